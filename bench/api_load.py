"""API load: requests per second and p99 latency of listing and getting connections, 1,000 stored.

The server is ``tradedock serve`` in its own process (the monitor off: ``TRADEDOCK_MONITOR_IN_SERVE=false``, so
only the API works), on a SQLite home and on a fresh PostgreSQL database; 1,000 connections stored in bulk for
one user, who calls with a personal API token. The load comes from another process (`bench.api_client`):

* **at 200 requests/s** — open loop, requests sent on schedule whatever the answers (latency counted from the
  scheduled time, so queueing shows): p50, p99, max, errors;
* **capacity** — 16 clients in a closed loop, as fast as answers come: requests per second.

"list" is ``GET /api/v1/connections`` (first page, 50 items), "get" is ``GET /api/v1/connections/{id}`` over
all 1,000 ids in turn.

    .venv/bin/python -m bench.api_load [--connections 1000] [--duration 10] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.common import BIN, postgres_database, process_cpu_seconds
from bench.profiles import summarize
from tradedock import eventloop
from tradedock.config import load_settings
from tradedock.domain import ExchangeId
from tradedock.services.accounts import AccountService
from tradedock.services.bulk_store import KeyToStore, store_many
from tradedock.services.context import open_app

USER = "bench@example.com"
RATE = 200


async def _seed(home: Path, database_url: str | None, count: int) -> tuple[str, list[str]]:
    ctx = await open_app(load_settings(home=home, database_url=database_url, master_key=None, master_key_file=None))
    try:
        async with ctx.transaction() as session:
            accounts = AccountService(session, ctx.clock)
            await accounts.create_user(USER, None)
            token = (await accounts.create_token_for(USER, "bench")).token
        keys = [
            KeyToStore(
                ExchangeId.BITGET,
                "live",
                f"account {i}",
                "futures",
                {"api_key": f"bg_{i:06d}{os.urandom(12).hex()}", "secret": os.urandom(32).hex(), "passphrase": "pp1"},
                contract_type="usdt_m",
            )
            for i in range(count)
        ]
        stored = await store_many(ctx, USER, keys)
        return token, [cid for cid in stored.connection_ids if cid is not None]
    finally:
        await ctx.aclose()


class Server:
    """``tradedock serve --port 0 --json`` on the given home/database, monitor off."""

    def __init__(self, home: Path, database_url: str | None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEDOCK_")}
        env.update(TRADEDOCK_HOME=str(home), TRADEDOCK_MONITOR_IN_SERVE="false")
        if database_url:
            env["TRADEDOCK_DATABASE_URL"] = database_url
        self.log = open(home / "serve.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(BIN / "tradedock"), "serve", "--port", "0", "--json"],
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("{"):
            raise RuntimeError(f"tradedock serve did not start; see {home / 'serve.log'}")
        self.api: str = json.loads(line)["api"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


def _load(urls: list[str], token: str, *mode: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.api_client", *urls, "--token", token, *mode],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _py_spy(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes]:
    """Sample the server while it holds the GIL (its Python work; waiting is left out) for ``seconds``."""
    command = [str(BIN / "py-spy"), "record", "--pid", str(pid), "--gil", "--rate", "200", "--format", "raw"]
    command += ["--duration", str(max(1, round(seconds))), "--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _measure(
    home: Path, database_url: str | None, count: int, duration: float, profile: bool = False
) -> list[dict[str, Any]]:
    token, ids = await _seed(home, database_url, count)
    server = Server(home, database_url)
    rows = []
    try:
        targets = {
            "list": [f"{server.api}/connections"],
            "get": [f"{server.api}/connections/{cid}" for cid in ids],
        }
        for name, urls in targets.items():
            cpu_before = process_cpu_seconds(server.process.pid)
            paced = await asyncio.to_thread(_load, urls, token, "--rate", str(RATE), "--duration", str(duration))
            served = paced["answered"] + paced["errors"]
            paced["server_cpu_ms"] = (process_cpu_seconds(server.process.pid) - cpu_before) / max(served, 1) * 1000
            spy = _py_spy(server.process.pid, home / f"{name}.stacks", duration / 2) if profile else None
            capacity = await asyncio.to_thread(_load, urls, token, "--clients", "16", "--duration", str(duration / 2))
            if spy is not None:
                spy.wait(timeout=60)
            rows.append(
                {
                    "backend": "PostgreSQL" if database_url else "SQLite",
                    "request": name,
                    "paced": paced,
                    "capacity": capacity,
                    "profile": summarize(home / f"{name}.stacks") if spy is not None else None,
                }
            )
    finally:
        server.stop()
    return rows


async def run(count: int, duration: float, postgres: str | None, profile: bool = False) -> list[dict[str, Any]]:
    rows = []
    with TemporaryDirectory() as tmp:
        rows += await _measure(Path(tmp), None, count, duration, profile)
    if postgres:
        async with postgres_database(postgres) as url:
            with TemporaryDirectory() as tmp:
                rows += await _measure(Path(tmp), url, count, duration, profile)
    return rows


def report(rows: list[dict[str, Any]], count: int) -> str:
    lines = [
        f"| backend | request ({count:,} connections) | at {RATE}/s: answered/s | p50 | p99 | max | errors "
        "| server CPU per request | capacity (16 clients) | p99 at capacity |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        p, c = r["paced"], r["capacity"]
        errors = f"{p['errors']} ({p['error_kinds']})" if p["errors"] else "0"
        lines.append(
            f"| {r['backend']} | {r['request']} | {p['per_s']:.0f} | {p['p50_ms']:.1f} ms | {p['p99_ms']:.1f} ms "
            f"| {p['max_ms']:.0f} ms | {errors} | {p['server_cpu_ms']:.1f} ms | {c['per_s']:.0f}/s "
            f"| {c['p99_ms']:.0f} ms |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--postgres", default=None, help="postgresql+psycopg://… (a scratch database is used)")
    args = parser.parse_args()
    print(report(eventloop.run(run(args.connections, args.duration, args.postgres)), args.connections))


if __name__ == "__main__":
    main()
