"""The PostgreSQL job queue of `tradedock worker` (procrastinate), in-process against the real database schema:
a tick queues the due connections in re-check jobs of up to a batch each and never one twice; a procrastinate worker
runs them (each connection checked once; a per-connection job queued by an earlier version still runs); a job left
running by a worker that stopped beating is put back in the queue and done once by another worker; a job for a
connection leased elsewhere does nothing; the health view shows the jobs.

The multi-process proof (three `tradedock worker` processes, one SIGKILLed) is tests/monitor/test_workers_pg.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text, update

from tests.monitor.conftest import monitor_runs, seed_healthy
from tests.services.conftest import Harness
from tradedock.db.models import MonitorLease
from tradedock.monitor.queue import DELIVER, QUEUE, RECHECK, RECHECKS, TICK, QueueWorker, tick_cron
from tradedock.services.context import AppContext
from tradedock.services.health import HealthService

#: A due time long past.
T_PAST = datetime(2026, 1, 1, tzinfo=UTC)

postgres_only = pytest.mark.parametrize(
    "monitor_db", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def test_tick_cron_fires_about_every_poll_interval() -> None:
    assert tick_cron(0.3) == "* * * * * */1"
    assert tick_cron(5) == "* * * * * */5"
    assert tick_cron(7) == "* * * * * */6"  # seconds must divide a minute
    assert tick_cron(90) == "*/1 * * * *"
    assert tick_cron(600) == "*/10 * * * *"
    assert tick_cron(3600) == "0 * * * *"


async def _jobs(harness: Harness) -> list[tuple[str, str, dict[str, Any]]]:
    async with harness.ctx.reading() as session:
        rows = await session.execute(text("SELECT task_name, status::text, args FROM procrastinate_jobs ORDER BY id"))
        return [(str(a), str(b), dict(c)) for a, b, c in rows.all()]


def _queued(jobs: list[tuple[str, str, dict[str, Any]]], status: str = "todo") -> list[str]:
    """The connection ids in the re-check jobs of this status, in queue order."""
    return [cid for task, state, args in jobs if task == RECHECKS and state == status for cid in args["connection_ids"]]


@postgres_only
async def test_a_tick_queues_the_due_connections_in_batches_once_and_a_worker_checks_each_once(
    mharness: Harness,
) -> None:
    ids = await seed_healthy(mharness, 6)
    queue = QueueWorker(mharness.ctx)
    queue.job_size = 4
    async with queue.app.open_async():
        await queue._tick(0)
        await queue._tick(1)  # a second tick while the jobs wait queues nothing more
        jobs = await _jobs(mharness)
        assert [(task, status, len(args["connection_ids"])) for task, status, args in jobs] == [
            (RECHECKS, "todo", 4),
            (RECHECKS, "todo", 2),
        ]
        assert sorted(_queued(jobs)) == sorted(ids)  # each due connection in one job, once

        health = await HealthService(mharness.ctx).view()
        assert health.queue_depth.jobs == {"todo": 2}

        await queue.app.run_worker_async(queues=[QUEUE], wait=False, concurrency=3, install_signal_handlers=False)
        assert await monitor_runs(mharness) == dict.fromkeys(ids, 1)
        assert sorted(_queued(await _jobs(mharness), "succeeded")) == sorted(ids)

        await queue._tick(2)  # nothing is due any more: nothing is queued
        assert len([task for task, _, _ in await _jobs(mharness) if task == RECHECKS]) == 2

        # A per-connection job queued by an earlier version before the upgrade still runs, and the tick does not
        # queue its connection a second time meanwhile.
        async with mharness.ctx.transaction() as session:
            await session.execute(
                update(MonitorLease).where(MonitorLease.connection_id == ids[0]).values(next_check_at=T_PAST)
            )
        await queue.app.configure_task(RECHECK, queue=QUEUE).defer_async(connection_id=ids[0])
        await queue._tick(3)
        waiting = [task for task, status, _ in await _jobs(mharness) if status == "todo"]
        assert [task for task in waiting if task in (RECHECK, RECHECKS)] == [RECHECK]
        await queue.app.run_worker_async(queues=[QUEUE], wait=False, install_signal_handlers=False)
        assert await monitor_runs(mharness) == {**dict.fromkeys(ids, 1), ids[0]: 2}
    await queue.service.aclose()


@postgres_only
async def test_the_tick_and_deliveries_go_ahead_of_waiting_re_check_batches(mharness: Harness) -> None:
    """A wave of re-checks (a restart, a bulk import) never holds back webhooks or the tick's hooks (the built-in
    strategies' signals): procrastinate fetches by priority first."""
    await seed_healthy(mharness, 4)
    queue = QueueWorker(mharness.ctx)
    queue.job_size = 2
    async with queue.app.open_async():
        await queue._tick(0)  # two batches wait
        await queue.app.configure_task(DELIVER, queue=QUEUE, queueing_lock=DELIVER).defer_async()
        await queue.app.configure_task(TICK, queue=QUEUE).defer_async(timestamp=1)  # as the periodic deferrer does
        manager = queue.app.job_manager
        worker = await manager.register_worker()
        order = []
        for _ in range(4):
            job = await manager.fetch_job(queues=[QUEUE], worker_id=worker)
            assert job is not None
            order.append(job.task_name)
        assert order == [DELIVER, TICK, RECHECKS, RECHECKS]
    await queue.service.aclose()


async def _returning(value: object) -> object:
    return value


@postgres_only
async def test_a_stalled_workers_job_is_put_back_and_checked_once_by_another(
    mharness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    [cid] = await seed_healthy(mharness, 1)
    dead = QueueWorker(mharness.ctx)
    alive = QueueWorker(mharness.ctx)
    manager = dead.app.job_manager
    async with dead.app.open_async(), alive.app.open_async():
        await dead._tick(0)
        # The dead worker fetched the job and leased the connection, then stopped beating (SIGKILL, host lost).
        dead_id = await manager.register_worker()
        job = await manager.fetch_job(queues=[QUEUE], worker_id=dead_id)
        assert job is not None and job.task_kwargs == {"connection_ids": [cid]}
        now = mharness.ctx.clock.now()
        async with mharness.ctx.transaction() as session:
            await session.execute(
                update(MonitorLease)
                .where(MonitorLease.connection_id == cid)
                .values(lease_owner=dead.worker_id, lease_expires_at=now + timedelta(minutes=5))
            )
        # While its lease is live, the job run elsewhere does nothing (never two checks at once).
        assert await alive.service.check_queued([cid]) == {cid: None}
        assert await monitor_runs(mharness) == {}

        # Heartbeat and lease both run out: the recovery task requeues the job, another worker checks once.
        async with mharness.ctx.transaction() as session:
            await session.execute(
                text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' WHERE id = :id"),
                {"id": dead_id},
            )
            await session.execute(
                update(MonitorLease)
                .where(MonitorLease.connection_id == cid)
                .values(lease_expires_at=now - timedelta(seconds=1))
            )
        stale = await manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=alive.stalled_s)
        assert await alive._recover(0) == 1
        # A recover job that overlapped (it listed the job before the first requeued it) leaves it queued.
        with monkeypatch.context() as patch:
            patch.setattr(alive.app.job_manager, "get_stalled_jobs", lambda **_: _returning(stale))
            assert await alive._recover(1) == 0
        assert _queued(await _jobs(mharness)) == [cid]
        await alive.app.run_worker_async(queues=[QUEUE], wait=False, install_signal_handlers=False)
        assert await monitor_runs(mharness) == {cid: 1}
        # The dead worker coming back late records nothing: its lease is gone (fenced in the record transaction).
        assert await dead.service.check(cid) is None
        assert await monitor_runs(mharness) == {cid: 1}
    await dead.service.aclose()
    await alive.service.aclose()


@postgres_only
async def test_every_worker_runs_its_worker_hooks_each_tick_and_a_failing_round_does_not_stop_them(
    mharness: Harness,
) -> None:
    """The bots' execution engine is a worker hook: every worker claims its own share each tick (under the tick's
    lock only one worker at a time would run every bot)."""
    calls: list[str] = []
    enough = asyncio.Event()

    def hook_of(name: str) -> Callable[[AppContext], Awaitable[None]]:
        async def hook(ctx: AppContext) -> None:
            calls.append(name)
            if min(calls.count("a"), calls.count("b")) >= 3:
                enough.set()
            if name == "b" and calls.count("b") == 1:
                raise RuntimeError("one bad round")

        return hook

    workers = [QueueWorker(mharness.ctx, worker_hooks=(hook_of(name),)) for name in ("a", "b")]
    for worker in workers:
        worker.tick_s = 0.2
    stopping = asyncio.Event()
    running = [asyncio.create_task(worker.run(stopping)) for worker in workers]
    try:
        await asyncio.wait_for(enough.wait(), 30)
    finally:
        stopping.set()
        await asyncio.gather(*running)
    assert calls.count("a") >= 3 and calls.count("b") >= 3
