"""Real loopback serving: `start_background` and the `tradedock-sim serve` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tradedock_sim.app import UnknownExchangeError
from tradedock_sim.server import start_background


def test_background_serves_each_exchange_on_its_own_port_with_its_own_state() -> None:
    with start_background(["toy", "bybit"]) as sims:
        urls = sims.urls
        assert set(urls) == {"toy", "bybit"}
        assert urls["toy"] != urls["bybit"]
        assert httpx.get(f"{urls['toy']}/api/whoami").json()["ip"] == "127.0.0.1"
        assert httpx.get(f"{urls['bybit']}/v5/market/time").json()["retCode"] == 0
        httpx.post(f"{urls['toy']}/_sim/accounts", json={})
        assert len(sims.apps["toy"].state.sim.accounts) == 1
        assert len(sims.apps["bybit"].state.sim.accounts) == 0


def test_unknown_exchange_is_refused_before_starting() -> None:
    with pytest.raises(UnknownExchangeError, match="registered"):
        start_background(["nope"])


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "tradedock_sim.cli", *args]


def test_serve_prints_one_json_line_writes_urls_file_and_exits_on_sigterm(tmp_path: Path) -> None:
    urls_file = tmp_path / "urls.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        _cli("serve", "--exchanges", "bybit", "--urls-file", str(urls_file)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=15)
            assert process.stderr is not None
            pytest.fail(f"serve exited with {process.returncode} before ready: {process.stderr.read()}")
        urls = json.loads(line)
        assert list(urls) == ["bybit"]
        assert urls["bybit"].startswith("http://127.0.0.1:")
        assert json.loads(urls_file.read_text()) == urls
        assert httpx.get(f"{urls['bybit']}/v5/market/time").json()["retCode"] == 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_reports_unregistered_exchanges() -> None:
    result = subprocess.run(_cli("serve", "--exchanges", "bybit,nope"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "no simulator registered for 'nope'" in result.stderr
    assert "registered: " in result.stderr


def test_scenarios_command_lists_presets() -> None:
    result = subprocess.run(_cli("scenarios", "bybit"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "healthy" in result.stdout
    assert "funds_in_funding_wallet" in result.stdout
