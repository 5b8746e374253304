"""Workers started together count each other before their first request (`MonitorService.meet`): the first one up
waits for the others' heartbeats instead of taking the whole per-IP budget alone until its next beat, and a worker
joining a running fleet waits until each running worker has beaten again (and so counted it)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.services.conftest import Harness
from tradedock.db.models import MonitorWorker
from tradedock.exchanges.pool import loop_pool
from tradedock.services import monitor
from tradedock.services.monitor import MonitorService

#: The first wait, shortened here (2 s in a worker): what the tests time is relative to it.
MEET_S = 0.5


@pytest.fixture(autouse=True)
def short_meet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(monitor, "MEET_S", MEET_S)
    yield


async def test_a_starting_worker_counts_one_that_starts_while_it_waits(mharness: Harness) -> None:
    first, second = MonitorService(mharness.ctx), MonitorService(mharness.ctx)
    stopping = asyncio.Event()

    async def second_starts_later() -> int:
        await asyncio.sleep(MEET_S / 4)
        return await second.heartbeat()

    met, seen_by_second = await asyncio.gather(first.meet(stopping), second_starts_later())
    assert (met, seen_by_second) == (2, 2)
    assert loop_pool().budgets.ip_share == 2
    await first.aclose()
    await second.aclose()


async def test_a_worker_told_to_stop_while_meeting_leaves_at_once(mharness: Harness) -> None:
    service = MonitorService(mharness.ctx)
    stopping = asyncio.Event()
    stopping.set()
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await service.meet(stopping) == 1
    assert loop.time() - started < MEET_S / 2
    await service.aclose()


async def test_a_worker_joining_waits_until_a_running_one_has_counted_it(mharness: Harness) -> None:
    running, joining = MonitorService(mharness.ctx), MonitorService(mharness.ctx)
    await running.heartbeat()  # busy in a batch: its next beat comes after it
    loop = asyncio.get_running_loop()
    started = loop.time()
    counted_by_running: list[int] = []

    async def running_beats_later() -> None:
        await asyncio.sleep(MEET_S + 1.0)
        counted_by_running.append(await running.heartbeat())

    async def join() -> tuple[int, float]:
        met = await joining.meet(asyncio.Event())
        return met, loop.time() - started

    (met, waited), _ = await asyncio.gather(join(), running_beats_later())
    assert (met, counted_by_running) == (2, [2])
    assert MEET_S + 1.0 <= waited < MEET_S + 2.0  # not before the running worker had counted it
    await running.aclose()
    await joining.aclose()


async def test_a_dead_workers_last_beat_holds_a_joining_one_only_until_it_is_no_longer_live(mharness: Harness) -> None:
    joining = MonitorService(mharness.ctx)
    window = joining.live_window.total_seconds()
    beat = datetime.now(UTC) - timedelta(seconds=window - MEET_S - 1.0)  # live for MEET_S + 1 s more
    async with mharness.ctx.transaction() as session:
        session.add(MonitorWorker(id="killed", hostname="h", pid=1, started_at=beat, heartbeat_at=beat))
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await joining.meet(asyncio.Event()) == 1
    assert MEET_S + 0.8 <= loop.time() - started < MEET_S + 2.0
    await joining.aclose()


async def test_a_worker_that_stopped_cleanly_is_not_waited_for(mharness: Harness) -> None:
    before, after = MonitorService(mharness.ctx), MonitorService(mharness.ctx)
    await before.heartbeat()
    await before.aclose()  # stopped (restart, deploy): its row went with it
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await after.meet(asyncio.Event()) == 1
    assert loop.time() - started < MEET_S + 0.5
    await after.aclose()
