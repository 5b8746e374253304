"""Fixtures for CLI tests: the simulators on real loopback ports, and two ways to run `tradedock`.

`Cli.run` invokes the Typer app in this process (Typer's CliRunner) with a temporary TRADEDOCK_HOME and
TRADEDOCK_SANDBOX_URLS pointing at the simulators: fast, and it exercises the same command functions, settings
parsing, services and rendering. `Cli.run_process` / `Cli.popen` run the real console entry point
(``python -m tradedock``) in a subprocess, for what only a process proves: signals, a pseudo-terminal, a broken
pipe, start-up imports, killing it midway.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tradedock.cli.main import app
from tradedock_sim.server import BackgroundSims, start_background


@pytest.fixture(scope="session")
def sims() -> Iterator[BackgroundSims]:
    with start_background() as running:
        yield running


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Cli:
    env: dict[str, str]
    home: Path
    urls: dict[str, str]

    def run(self, *args: str, stdin: str | None = None, timeout: float = 60) -> Result:
        """Run ``tradedock ARGS`` in this process (Typer's CliRunner); unexpected exceptions propagate."""
        tradedock_env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("TRADEDOCK_")}
        tradedock_env.update({k: v for k, v in self.env.items() if k.startswith("TRADEDOCK_") or k == "COLUMNS"})
        result = CliRunner().invoke(app, list(args), input=stdin, env=tradedock_env, catch_exceptions=True)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Result(result.exit_code, result.stdout, result.stderr)

    def run_process(self, *args: str, stdin: str | None = None, timeout: float = 60) -> Result:
        """Run the real ``python -m tradedock ARGS`` in a subprocess."""
        proc = subprocess.run(
            [sys.executable, "-m", "tradedock", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def connect(self, exchange: str, credentials: dict[str, str], *extra: str) -> Result:
        """`tradedock connect EXCHANGE --environment sandbox --credentials - --json` with the fields on stdin."""
        return self.run(
            "connect",
            exchange,
            "--environment",
            "sandbox",
            "--credentials",
            "-",
            "--json",
            *extra,
            stdin=json.dumps(credentials),
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "tradedock", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
        )

    def scenario(self, exchange: str, name: str) -> dict[str, Any]:
        response = httpx.post(f"{self.urls[exchange]}/_sim/scenarios/{name}", json={}, timeout=10)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def new_key(self, exchange: str, payload: dict[str, Any]) -> dict[str, str]:
        """Create a key on the simulator; return only the credential fields."""
        answer = self.sim(exchange, "/_sim/keys", payload)
        return {k: v for k, v in answer.items() if k not in ("uid", "environment", "expires_at", "key_id")}

    def sim(self, exchange: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(f"{self.urls[exchange]}{path}", json=payload, timeout=10)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data


@pytest.fixture
def cli(sims: BackgroundSims, tmp_path: Path) -> Iterator[Cli]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEDOCK_")}
    home = tmp_path / "home"
    env.update(
        TRADEDOCK_HOME=str(home),
        TRADEDOCK_SANDBOX_URLS=json.dumps(sims.urls),
        TRADEDOCK_EGRESS_IPS="127.0.0.1",
        TRADEDOCK_HTTP_TIMEOUT_S="3",
        COLUMNS="160",
    )
    for url in sims.urls.values():
        httpx.post(f"{url}/_sim/reset", json={}, timeout=10)
    yield Cli(env, home, sims.urls)
    for url in sims.urls.values():
        httpx.post(f"{url}/_sim/reset", json={}, timeout=10)
