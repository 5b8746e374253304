"""Three `tradedock worker` processes (procrastinate workers on PostgreSQL) share the re-checks of 300 sandbox
connections; one is killed with SIGKILL while it holds a connection's lease (mid-job); every connection is still
re-checked exactly once per round, no job is left queued, running or failed, no lease is left behind, and the
workers together stay inside each exchange's per-IP limit (the simulator would ban the IP: every check unreachable);
a run older than the history retention is pruned by a worker's tick.

The simulator runs in its own process (`tradedock-sim serve`); connections are seeded directly (sealed by the real
vault), half on Bybit and half on Bitget, and the intervals are shortened through settings (tick 1 s, lease 4 s,
stalled-worker timeout 10 s).
"""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from tests.monitor.conftest import schedule_runs, seed_bulk, start_workers, stop_workers, wait_for_round, worker_env
from tests.pg import postgres_database
from tradedock.config import load_settings
from tradedock.db.models import CheckResult, MonitorLease, MonitorWorker, VerificationRun
from tradedock.db.repositories import VerificationRunRepository
from tradedock.db.repositories.verification_runs import NewRun
from tradedock.monitor.queue import RECHECKS
from tradedock.services.context import AppContext, open_app

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PER_EXCHANGE = {"bybit": 150, "bitget": 150}
CONNECTIONS = sum(PER_EXCHANGE.values())
WORKERS = 3


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
        outputs: list[str] = []
        try:
            ids, secrets = await seed_bulk(ctx, sim_process, PER_EXCHANGE)
            # History older than history_days: the first tick prunes it (a connection's latest run always stays, so
            # a newer one is there too; otherwise only a tick after the round, in a process that has not pruned in
            # the last ten minutes, would).
            async with ctx.transaction() as session:
                old = ctx.clock.now() - timedelta(days=settings.history_days + 10)
                await VerificationRunRepository(session).add_many(
                    [NewRun(ids[0], "check", "connected", at, 900, []) for at in (old, ctx.clock.now())]
                )
            env = worker_env(
                home, url, sim_process, monitor_lease_s="4", monitor_poll_s="0.3", monitor_batch="8",
                monitor_interval_s="3600",
            )  # fmt: skip
            workers, names = await start_workers(WORKERS, env)

            # Round 1: once a fifth of the connections are done, kill a worker while it is checking (holds leases).
            deadline = time.monotonic() + 60
            held: list[str] = []
            while time.monotonic() < deadline and not held:
                if sum((await schedule_runs(ctx)).values()) >= CONNECTIONS // 5:
                    held = await _leased_by(ctx, names[0])
                await asyncio.sleep(0.02)
            workers[0].send_signal(signal.SIGKILL)
            await workers[0].wait()
            assert held, "the killed worker was not checking anything"
            await wait_for_round(ctx, ids, 1, time.monotonic() + 90)
            await asyncio.sleep(5)  # longer than a lease: a duplicate would show up now
            runs = await schedule_runs(ctx)
            assert sorted(runs) == sorted(ids) and set(runs.values()) == {1}, runs

            # Round 2 (the hour has passed): every connection due again, two workers left.
            async with ctx.transaction() as session:
                await session.execute(update(MonitorLease).values(next_check_at=ctx.clock.now()))
            await wait_for_round(ctx, ids, 2, time.monotonic() + 90)
            await asyncio.sleep(1)
            runs = await schedule_runs(ctx)
            assert set(runs.values()) == {2}, runs

            async with ctx.reading() as session:
                leased = await session.scalar(
                    select(func.count()).select_from(MonitorLease).where(MonitorLease.lease_owner.is_not(None))
                )
                beats = (await session.execute(select(MonitorWorker))).scalars().all()
                rows = await session.execute(
                    text("SELECT status::text, count(*) FROM procrastinate_jobs WHERE task_name = :t GROUP BY 1"),
                    {"t": RECHECKS},
                )
                jobs = {str(status): int(n) for status, n in rows.all()}
                rows = await session.execute(
                    select(VerificationRun.status, func.count()).group_by(VerificationRun.status)
                )
                statuses = {str(status): int(n) for status, n in rows.all()}
                oldest = await session.scalar(select(func.min(VerificationRun.started_at)))
                rows = await session.execute(
                    select(CheckResult.message, func.count())
                    .join(VerificationRun, VerificationRun.id == CheckResult.run_id)
                    .where(VerificationRun.status == "unreachable", CheckResult.outcome != "pass")
                    .group_by(CheckResult.message)
                )
                why = {str(message): int(n) for message, n in rows.all()}
            # Healthy keys stay healthy: the workers together kept inside each exchange's per-IP limit.
            assert set(statuses) <= {"connected", "connected_with_warnings"}, (statuses, why)
            assert leased == 0
            assert oldest is not None and oldest > ctx.clock.now() - timedelta(days=1)  # the old run was pruned
            assert len(beats) == WORKERS
            # Successful re-check jobs are deleted: one of the killed worker left 'doing', or one failed, shows here.
            assert not {"todo", "doing", "failed", "aborted"} & set(jobs), jobs
        finally:
            outputs = await stop_workers(workers[1:])
            await ctx.aclose()
        for output in outputs:  # the workers' output never carries a key's secret
            assert not any(secret in output for secret in secrets)
