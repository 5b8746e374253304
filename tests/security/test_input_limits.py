"""Bad credential input gets exit 2 naming the field before any cryptographic or network step; JSON too deep
or too large is refused before the parser sees it — in the CLI and in the simulators' control API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.security.conftest import InProcessCli
from tradedock.jsonlimits import JsonLimitError, json_depth, loads_limited

DEEP = "[" * 80_000 + "]" * 80_000


def _error(result_stdout: str) -> dict[str, str]:
    error: dict[str, str] = json.loads(result_stdout)["error"]
    return error


def test_a_lone_surrogate_in_api_key_is_exit_2_naming_the_field(tcli: InProcessCli) -> None:
    credentials = tcli.healthy("bybit")
    stdin = json.dumps({**credentials, "api_key": credentials["api_key"] + "\ud800"})  # "\\ud800" escape in JSON
    result = tcli.run("connect", "bybit", "--environment", "sandbox", "--credentials", "-", "--json", stdin=stdin)
    assert result.code == 2, result.stdout + result.stderr
    assert _error(result.stdout)["field"] == "api_key"
    assert tcli.raw.execute("SELECT count(*) FROM connections") == [(0,)]


def test_a_non_ascii_bitget_passphrase_is_exit_2_not_unreachable(tcli: InProcessCli) -> None:
    credentials = {**tcli.healthy("bitget"), "passphrase": "Pässwort1234"}
    result = tcli.connect("bitget", credentials)
    assert result.code == 2, result.stdout + result.stderr
    error = _error(result.stdout)
    assert error["field"] == "passphrase" and "non-ASCII" in error["message"]
    assert "Pässwort1234" not in result.stdout + result.stderr


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_80000_levels_of_json_are_exit_2_naming_the_field(tcli: InProcessCli, tmp_path: Path) -> None:
    result = tcli.run("connect", "bybit", "--environment", "sandbox", "--credentials", "-", "--json", stdin=DEEP)
    assert result.code == 2
    assert _error(result.stdout)["field"] == "credentials"  # 160 kB: refused for its size already
    within_size = "[" * 30_000 + "]" * 30_000
    result = tcli.run("connect", "bybit", "--environment", "sandbox", "--credentials", "-", "--json", stdin=within_size)
    assert result.code == 2
    error = _error(result.stdout)
    assert error["field"] == "credentials" and "nested more than" in error["message"]
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({"api_key": "x" * 200_000, "secret": "y"}))
    result = tcli.run("connect", "bybit", "--environment", "sandbox", "--credentials", str(huge), "--json")
    assert result.code == 2 and _error(result.stdout)["field"] == "credentials"
    assert "x" * 100 not in result.stdout


@pytest.mark.slow
def test_80000_levels_do_not_crash_the_real_command_with_eth_account_loaded(tmp_path: Path) -> None:
    # py_ecc (imported by eth-account) raises the recursion limit to 100,000: without the depth check,
    # json.loads overflows the C stack and the process dies with SIGSEGV (rc 139).
    code = "import py_ecc, sys; from tradedock.cli.main import main; sys.argv[0] = 'tradedock'; main()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "connect", "bybit", "--credentials", "-", "--json"],
        input=DEEP,
        capture_output=True,
        text=True,
        timeout=120,
        env={"TRADEDOCK_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["error"]["field"] == "credentials"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_simulator_control_api_refuses_deep_json_and_stays_up(tcli: InProcessCli) -> None:
    for url in tcli.urls.values():
        answer = httpx.post(f"{url}/_sim/accounts", content=DEEP, headers={"content-type": "application/json"})
        assert answer.status_code == 400
        assert "nested more than" in answer.json()["error"]
        assert httpx.post(f"{url}/_sim/accounts", json={}).status_code == 200


def test_the_depth_scan_ignores_brackets_inside_strings() -> None:
    assert json_depth('{"a": "[[[[{{{{\\"]]]", "b": [[1]]}') == 3
    assert loads_limited(json.dumps({"a": "[" * 40}), max_depth=2) == {"a": "[" * 40}
    with pytest.raises(JsonLimitError, match="nested more than 2"):
        loads_limited('{"a": [[1]]}', max_depth=2)
    with pytest.raises(JsonLimitError, match="at most 10 are accepted"):
        loads_limited('{"a": "0123456789"}', max_bytes=10)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("variable", ["TRADEDOCK_SANDBOX_URLS", "TRADEDOCK_BALANCE_MINIMUMS", "TRADEDOCK_EGRESS_IPS"])
def test_deep_json_in_a_setting_is_exit_2_naming_the_variable(tcli: InProcessCli, variable: str) -> None:
    tcli.env[variable] = DEEP
    result = tcli.run("list", "--json")
    assert result.code == 2, result.stdout + result.stderr
    assert _error(result.stdout)["field"] == variable
    tcli.env[variable] = "[" * 1000 + "]" * 1000
    result = tcli.run("list", "--json")
    assert result.code == 2 and "nested more than" in _error(result.stdout)["message"]
