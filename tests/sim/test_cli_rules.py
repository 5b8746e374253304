"""`tradedock-sim serve --rule EXCHANGE.RULE=CHOICE`: start with a chosen reading of UNCONFIRMED behaviour."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from tradedock_sim.cli import parse_rules


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "tradedock_sim.cli", *args]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("bitget.spot_read", "write EXCHANGE.RULE=CHOICE"),
        ("bybit.spot_read=any_key", "'bybit' is not being served"),
        ("bitget.colour=red", "bitget has no rule 'colour' (its rules: futures_read, spot_read)"),
        ("bitget.spot_read=maybe", "choose one of spot_permission, any_key"),
    ],
)
def test_bad_rules_are_refused_naming_the_option(value: str, fragment: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_rules([value], ["bitget", "aster"])
    assert str(caught.value).startswith(f"--rule {value!r}: ") and fragment in str(caught.value)


def test_bad_rule_exits_2_before_serving() -> None:
    result = subprocess.run(_cli("serve", "--exchanges", "aster", "--rule", "aster.main_wallet_signer=yes"),
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert "choose one of refuse, accept" in result.stderr


def test_serve_starts_with_the_chosen_readings() -> None:
    process = subprocess.Popen(
        _cli("serve", "--exchanges", "bitget,aster", "--rule", "bitget.spot_read=any_key",
             "--rule", "aster.main_wallet_signer=accept"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        urls = json.loads(line)
        bitget = httpx.get(f"{urls['bitget']}/_sim/config").json()["rules"]
        assert bitget == {"spot_read": "any_key", "futures_read": "futures_permission"}
        assert httpx.get(f"{urls['aster']}/_sim/config").json()["rules"] == {"main_wallet_signer": "accept"}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
