"""Three `tradedock worker` processes (procrastinate workers on PostgreSQL) share the re-checks of 300 sandbox
connections; one is killed with SIGKILL while it holds a connection's lease (mid-job); every connection is still
re-checked exactly once per round, no job is left queued, running or failed, no lease is left behind, and the
workers together stay inside each exchange's per-IP limit (the simulator would ban the IP: every check unreachable).

The simulator runs in its own process (`tradedock-sim serve`); connections are seeded directly (sealed by the real
vault), half on Bybit and half on Bitget, and the intervals are shortened through settings (tick 1 s, lease and
stalled-worker timeout 4 s).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from tests.monitor.conftest import seed_bulk
from tests.pg import postgres_database
from tradedock.config import load_settings
from tradedock.db.models import MonitorLease, MonitorWorker, VerificationRun
from tradedock.services.context import AppContext, open_app

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PER_EXCHANGE = {"bybit": 150, "bitget": 150}
CONNECTIONS = sum(PER_EXCHANGE.values())
WORKERS = 3


async def _runs(ctx: AppContext) -> dict[str, int]:
    async with ctx.reading() as session:
        rows = await session.execute(
            select(VerificationRun.connection_id, func.count())
            .where(VerificationRun.trigger == "schedule")
            .group_by(VerificationRun.connection_id)
        )
        return {cid: int(n) for cid, n in rows.all()}


async def _wait_for_round(ctx: AppContext, ids: list[str], n: int, deadline: float) -> dict[str, int]:
    while time.monotonic() < deadline:
        runs = await _runs(ctx)
        if all(runs.get(cid, 0) >= n for cid in ids):
            return runs
        await asyncio.sleep(0.3)
    return await _runs(ctx)


async def _leased_by(ctx: AppContext, worker: str) -> list[str]:
    async with ctx.reading() as session:
        query = select(MonitorLease.connection_id).where(MonitorLease.lease_owner == worker)
        return list((await session.execute(query)).scalars())


async def test_workers_share_rounds_and_survive_a_sigkill(tmp_path: Path, sim_process: dict[str, str]) -> None:
    home = tmp_path / "home"
    async with postgres_database() as url:
        settings = load_settings(
            home=home, database_url=url, sandbox_urls=sim_process, egress_ips=("127.0.0.1",), master_key=None
        )
        ctx = await open_app(settings)
        workers: list[asyncio.subprocess.Process] = []
        try:
            ids, secrets = await seed_bulk(ctx, sim_process, PER_EXCHANGE)
            env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEDOCK_")}
            env.update(
                TRADEDOCK_HOME=str(home),
                TRADEDOCK_DATABASE_URL=url,
                TRADEDOCK_SANDBOX_URLS=json.dumps(sim_process),
                TRADEDOCK_EGRESS_IPS="127.0.0.1",
                TRADEDOCK_MONITOR_LEASE_S="4",
                TRADEDOCK_MONITOR_POLL_S="0.3",
                TRADEDOCK_MONITOR_BATCH="8",
                TRADEDOCK_MONITOR_INTERVAL_S="3600",
            )
            for _ in range(WORKERS):
                workers.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "tradedock", "worker", "--json",
                        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
                    )
                )  # fmt: skip
            names = []
            for proc in workers:
                assert proc.stdout is not None
                ready = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
                assert ready["database"] == "postgresql" and ready["queue"] == "procrastinate"
                names.append(ready["worker"])

            # Round 1: once a fifth of the connections are done, kill a worker while it is checking (holds leases).
            deadline = time.monotonic() + 40
            held: list[str] = []
            while time.monotonic() < deadline and not held:
                if sum((await _runs(ctx)).values()) >= CONNECTIONS // 5:
                    held = await _leased_by(ctx, names[0])
                await asyncio.sleep(0.02)
            workers[0].send_signal(signal.SIGKILL)
            await workers[0].wait()
            assert held, "the killed worker was not checking anything"
            await _wait_for_round(ctx, ids, 1, time.monotonic() + 60)
            await asyncio.sleep(5)  # longer than a lease: a duplicate would show up now
            runs = await _runs(ctx)
            assert sorted(runs) == sorted(ids) and set(runs.values()) == {1}, runs

            # Round 2 (the hour has passed): every connection due again, two workers left.
            async with ctx.transaction() as session:
                await session.execute(update(MonitorLease).values(next_check_at=ctx.clock.now()))
            await _wait_for_round(ctx, ids, 2, time.monotonic() + 60)
            await asyncio.sleep(1)
            runs = await _runs(ctx)
            assert set(runs.values()) == {2}, runs

            async with ctx.reading() as session:
                leased = await session.scalar(
                    select(func.count()).select_from(MonitorLease).where(MonitorLease.lease_owner.is_not(None))
                )
                beats = (await session.execute(select(MonitorWorker))).scalars().all()
                rows = await session.execute(text("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY 1"))
                jobs = {str(status): int(n) for status, n in rows.all()}
                rows = await session.execute(
                    select(VerificationRun.status, func.count()).group_by(VerificationRun.status)
                )
                statuses = {str(status): int(n) for status, n in rows.all()}
            # Healthy keys stay healthy: the workers together kept inside each exchange's per-IP limit.
            assert set(statuses) <= {"connected", "connected_with_warnings"}, statuses
            assert leased == 0
            assert len(beats) == WORKERS
            # Successful jobs are deleted; a job of the killed worker still 'doing', or one failed, would show here
            # ('aborted' = a stalled periodic tick superseded by the next one).
            assert not {"todo", "doing", "failed"} & set(jobs), jobs
        finally:
            for proc in workers[1:]:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
            outputs = []
            for proc in workers[1:]:
                out, err = await asyncio.wait_for(proc.communicate(), 30)
                outputs.append(out.decode() + err.decode())
                assert proc.returncode == 0, err.decode()[-2000:]
            await ctx.aclose()
        for output in outputs:  # the workers' output never carries a key's secret
            assert not any(secret in output for secret in secrets)
