"""History retention (services.retention): verification runs and the monitor's audit entries older than
``history_days`` are deleted, in batches — never a connection's latest run, never what a user did — at most every
ten minutes per process; the monitor's loop runs it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.monitor.conftest import seed_healthy
from tests.services.conftest import Harness
from tradedock.clock import FrozenClock
from tradedock.db.models import AuditEntry, CheckResult, Connection, VerificationRun
from tradedock.db.repositories import AuditRepository, NewCheckResult, VerificationRunRepository
from tradedock.db.repositories.verification_runs import NewRun
from tradedock.monitor import MonitorRunner
from tradedock.services import monitor, retention
from tradedock.services.retention import EVERY, HistoryRetention, Pruned

NOW = datetime.now(UTC).replace(microsecond=0)
RESULTS = [NewCheckResult("credentials.format", "pass", "ok"), NewCheckResult("auth.signature", "pass", "ok")]


async def _runs(harness: Harness, connection_id: str, *days_ago: int) -> None:
    async with harness.ctx.transaction() as session:
        await VerificationRunRepository(session).add_many(
            [NewRun(connection_id, "schedule", "connected", NOW - timedelta(days=d), 900, RESULTS) for d in days_ago]
        )


async def _audit(harness: Harness, connection_id: str, action: str, days_ago: int) -> None:
    async with harness.ctx.transaction() as session:
        owner = await session.scalar(select(Connection.owner_id).where(Connection.id == connection_id))
        assert owner is not None
        clock = FrozenClock(NOW - timedelta(days=days_ago))
        await AuditRepository(session, clock).append_many([(owner, connection_id, action, {"status": "connected"})])


async def _ages(harness: Harness) -> dict[str, list[int]]:
    """Each connection's runs, by days ago."""
    async with harness.ctx.reading() as session:
        rows = (await session.execute(select(VerificationRun.connection_id, VerificationRun.started_at))).all()
    ages: dict[str, list[int]] = {}
    for connection_id, started_at in rows:
        ages.setdefault(connection_id, []).append((NOW - started_at).days)
    return {cid: sorted(days) for cid, days in ages.items()}


async def _audit_left(harness: Harness) -> list[tuple[str, int]]:
    async with harness.ctx.reading() as session:
        rows = (await session.execute(select(AuditEntry.action, AuditEntry.at))).all()
    return sorted((action, (NOW - at).days) for action, at in rows)


async def test_old_runs_and_monitor_audit_entries_go_the_latest_run_and_user_actions_stay(mharness: Harness) -> None:
    a, b, c = await seed_healthy(mharness, 3)
    await _runs(mharness, a, 100, 95, 91, 1)
    await _runs(mharness, b, 100)  # its latest: kept however old
    await _runs(mharness, c, 200, 150)
    await _audit(mharness, a, "schedule", 100)
    await _audit(mharness, a, "check", 100)  # a user's check: never deleted
    await _audit(mharness, a, "schedule", 1)
    pruner = HistoryRetention(mharness.ctx, FrozenClock(NOW))
    assert await pruner.prune_if_due() == Pruned(runs=4, audit_entries=1)
    assert await _ages(mharness) == {a: [1], b: [100], c: [150]}
    assert await _audit_left(mharness) == [("check", 100), ("schedule", 1)]
    async with mharness.ctx.reading() as session:  # the deleted runs' check results went with them
        orphans = await session.scalar(
            select(func.count()).select_from(CheckResult).where(CheckResult.run_id.not_in(select(VerificationRun.id)))
        )
        results = await session.scalar(select(func.count()).select_from(CheckResult))
    assert (orphans, results) == (0, 3 * len(RESULTS))


async def test_pruning_waits_ten_minutes_between_calls_and_works_in_batches(
    mharness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "BATCH", 2)
    [a] = await seed_healthy(mharness, 1)
    clock = FrozenClock(NOW)
    pruner = HistoryRetention(mharness.ctx, clock)
    assert await pruner.prune_if_due() == Pruned()
    await _runs(mharness, a, 120, 110, 100, 99, 98, 1)
    assert await pruner.prune_if_due() == Pruned()  # pruned a moment ago
    clock.advance(seconds=EVERY.total_seconds())
    assert await pruner.prune_if_due() == Pruned(runs=5)  # three transactions of at most 2
    assert await _ages(mharness) == {a: [1]}


async def test_history_days_0_keeps_everything(mharness: Harness) -> None:
    [a] = await seed_healthy(mharness, 1)
    await _runs(mharness, a, 3000, 1)
    mharness.ctx.settings = mharness.ctx.settings.model_copy(update={"history_days": 0})
    assert await HistoryRetention(mharness.ctx, FrozenClock(NOW)).prune_if_due() == Pruned()
    assert await _ages(mharness) == {a: [1, 3000]}


async def test_the_monitor_loop_prunes(mharness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(monitor, "MEET_S", 0.1)  # the loop starts after meeting the other workers (none here)
    [a] = await seed_healthy(mharness, 1)
    await _runs(mharness, a, 100, 1)
    runner = MonitorRunner(mharness.ctx)
    runner.start()
    try:
        for _ in range(100):
            if (await _ages(mharness)).get(a, [])[-1:] != [100]:
                break
            await asyncio.sleep(0.1)
    finally:
        await runner.stop()
    assert 100 not in (await _ages(mharness))[a]
