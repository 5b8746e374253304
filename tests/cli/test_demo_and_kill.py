"""`tradedock demo` end to end, and killing `tradedock replace` midway never loses or mixes the key."""

from __future__ import annotations

import json
import signal
import time

import pytest

from tests.cli.conftest import Cli


def test_demo_connects_a_healthy_key_and_flags_the_broken_ones(cli: Cli) -> None:
    result = cli.run("demo", "--json", timeout=120)
    assert result.code == 0, result.stderr
    data = result.json()
    by_case = {r["scenario"] + "@" + r["exchange"]: r for r in data["reports"]}
    for exchange in ("bybit", "bitget", "aster"):
        assert by_case[f"healthy@{exchange}"]["status"] in ("connected", "connected_with_warnings"), exchange
    assert by_case["withdraw_enabled@bybit"]["status"] == "action_required"
    assert by_case["hedge_mode@bybit"]["status"] == "action_required"
    assert by_case["wrong_passphrase@bitget"]["status"] == "invalid"
    assert by_case["wrong_passphrase@bitget"]["stored"] is False
    assert by_case["low_balance@bitget"]["status"] == "action_required"
    assert by_case["main_wallet_key@aster"]["status"] == "invalid"
    stored = {c["id"] for c in data["connections"]}
    assert stored == {r["connection_id"] for r in data["reports"] if r["stored"]}


def test_demo_prints_reports_for_people(cli: Cli) -> None:
    result = cli.run("demo", timeout=120)
    assert result.code == 0, result.stderr
    assert "Verdict" in result.stdout
    assert "How to fix permissions.forbidden" in result.stdout
    assert "Connections" in result.stdout


@pytest.mark.parametrize("kill_after_s", [0.3, 0.9, 1.6])
def test_killing_replace_midway_leaves_the_old_key_working(cli: Cli, kill_after_s: float) -> None:
    first = cli.scenario("bybit", "healthy")
    code = cli.connect("bybit", first["credentials"])
    assert code.code == 0, code.stdout
    connection_id = code.json()["connection_id"]
    new_key = cli.new_key(
        "bybit",
        {"uid": first["uid"], "permissions": {"ContractTrade": ["Order", "Position"]}, "ips": ["127.0.0.1"]},
    )
    # Slow exchange: the replace is still verifying (or writing) when it is killed.
    cli.sim("bybit", "/_sim/faults", {"latency_ms": 700})
    proc = cli.popen("replace", connection_id, "--credentials", "-", "--json")
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(new_key))
    proc.stdin.close()
    time.sleep(kill_after_s)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    cli.sim("bybit", "/_sim/faults", {})

    shown = cli.run("show", connection_id, "--json")
    assert shown.code == 0, shown.stderr
    masked = shown.json()["masked_key"]
    # Either the old key, untouched, or (if the replace had committed) the new one — never a mix.
    assert masked[-4:] in (first["credentials"]["api_key"][-4:], new_key["api_key"][-4:])
    checked = cli.run("check", connection_id, "--json")
    assert checked.code == 0, checked.stdout + checked.stderr
    auth = next(c for c in checked.json()["checks"] if c["id"] == "auth.signature")
    assert auth["outcome"] == "pass"


def test_sandbox_records_its_urls_and_stops_cleanly_on_sigterm(cli: Cli) -> None:
    proc = cli.popen("sandbox", "--json")
    assert proc.stdout is not None
    started = json.loads(proc.stdout.readline())
    urls_file = cli.home / "sandbox-urls.json"
    assert json.loads(urls_file.read_text())["urls"] == started["urls"]
    assert set(started["healthy_keys"]) == {"bybit", "bitget", "aster"}
    # the recorded URLs are what `--environment sandbox` uses when TRADEDOCK_SANDBOX_URLS is not set
    env_without_urls = {k: v for k, v in cli.env.items() if k != "TRADEDOCK_SANDBOX_URLS"}
    connected = Cli(env_without_urls, cli.home, started["urls"]).connect("bybit", started["healthy_keys"]["bybit"])
    assert connected.code == 0, connected.stdout + connected.stderr
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    assert not urls_file.exists()
