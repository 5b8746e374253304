"""Outbound requests stay inside an exchange's per-IP limit across processes: two monitor processes that have
registered their heartbeats each take half of Bybit's 600 requests / 5 s, and together send 900 requests to the
simulator (in its own process, which enforces the limit and bans the IP for 10 minutes past it) without one being
refused or banned. Without the sharing each would burst 300 at once and the simulator would ban the IP.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from tests.pg import postgres_database
from tradedock.config import load_settings
from tradedock.exchanges.budgets import Budgets, RateBook
from tradedock.services.context import open_app

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

REPO_ROOT = str(Path(__file__).resolve().parents[2])
PROCESSES = 2
REQUESTS_EACH = 450


async def test_a_shared_per_ip_budget_costs_each_request_the_number_of_processes() -> None:
    book = RateBook.collect([], ip="600/5s per IP")
    budgets = Budgets()
    budgets.ip_share = 3
    args = {"exchange": "bybit", "host": "http://h", "base_url": "http://h", "account": "k", "path": "/x"}
    granted = 0
    while await budgets.take(book, **args, wait_s=0) is None:
        granted += 1
    assert granted == 100  # a third of the burst of 300 (half of 600)


async def test_two_processes_share_bybits_per_ip_limit(tmp_path: Path, sim_process: dict[str, str]) -> None:
    home = tmp_path / "home"
    async with postgres_database() as url:
        ctx = await open_app(load_settings(home=home, database_url=url, master_key=None))  # migrates, makes the key
        await ctx.aclose()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEDOCK_")}
        env.update(
            TRADEDOCK_HOME=str(home),
            TRADEDOCK_DATABASE_URL=url,
            TRADEDOCK_SANDBOX_URLS=json.dumps(sim_process),
            TRADEDOCK_EGRESS_IPS="127.0.0.1",
            PYTHONPATH=REPO_ROOT,
        )
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.monitor.budget_client", str(REQUESTS_EACH),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
            )
            for _ in range(PROCESSES)
        ]  # fmt: skip
        for proc in procs:
            assert proc.stdout is not None
            assert "ready" in json.loads(await asyncio.wait_for(proc.stdout.readline(), 60))
        results = await asyncio.gather(*(asyncio.wait_for(p.communicate(b"go\n"), 90) for p in procs))
    reports = []
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
        reports.append(json.loads(out.decode().strip().splitlines()[-1]))
    assert [r["share"] for r in reports] == [PROCESSES] * PROCESSES
    assert [r["outcomes"] for r in reports] == [{"answered": REQUESTS_EACH}] * PROCESSES, reports
