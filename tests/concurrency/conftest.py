"""Fixtures for multi-process tests: the simulator in its own process (`tradedock-sim serve`), a fresh
TradeDock home on SQLite or on a fresh PostgreSQL database, and a runner that starts many `tradedock`
processes at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.pg import postgres_database


@pytest.fixture(scope="module")
def sim_urls() -> Iterator[dict[str, str]]:
    """`tradedock-sim serve --exchanges bybit` in its own process; its URLs from the JSON line it prints."""
    command = [str(Path(sys.executable).with_name("tradedock-sim")), "serve", "--exchanges", "bybit"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "tradedock-sim printed nothing"
        yield dict(json.loads(line))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def sim_post(base_url: str, path: str, payload: dict[str, Any]) -> Any:
    """A control-API call to the simulator process (blocking; it answers in milliseconds)."""
    response = httpx.post(f"{base_url}{path}", json=payload, timeout=10)
    response.raise_for_status()
    return response.json()


@dataclass
class Ran:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Home:
    """One TradeDock installation: a home directory and a database (SQLite in the home, or PostgreSQL)."""

    backend: str
    home: Path
    database_url: str
    env: dict[str, str]

    async def run(self, *args: str, stdin: str | None = None) -> Ran:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tradedock",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
        )
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin else None), timeout=240)
        return Ran(args, proc.returncode or 0, out.decode(), err.decode())

    async def at_once(self, *commands: tuple[tuple[str, ...], str | None]) -> list[Ran]:
        """Start every command at the same moment (each ``(args, stdin)``) and wait for all."""
        return list(await asyncio.gather(*(self.run(*args, stdin=stdin) for args, stdin in commands)))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def fresh_home(request: pytest.FixtureRequest, tmp_path: Path, sim_urls: dict[str, str]) -> AsyncIterator[Home]:
    """A home nobody has used yet; on PostgreSQL also a freshly created, empty database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEDOCK_")}
    home = tmp_path / "home"
    env.update(
        TRADEDOCK_HOME=str(home),
        TRADEDOCK_SANDBOX_URLS=json.dumps(sim_urls),
        TRADEDOCK_EGRESS_IPS="127.0.0.1",
        TRADEDOCK_HTTP_TIMEOUT_S="20",
        COLUMNS="160",
    )
    for url in sim_urls.values():
        sim_post(url, "/_sim/reset", {})
    if request.param == "sqlite":
        yield Home("sqlite", home, f"sqlite+aiosqlite:///{home / 'tradedock.db'}", env)
        return
    async with postgres_database() as url:
        env["TRADEDOCK_DATABASE_URL"] = url
        yield Home("postgresql", home, url, env)
