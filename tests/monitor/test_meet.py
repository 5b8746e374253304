"""Workers started together count each other before their first request (`MonitorService.meet`): the first one up
waits for the others' heartbeats instead of taking the whole per-IP budget alone until its next beat."""

from __future__ import annotations

import asyncio

from tests.services.conftest import Harness
from tradedock.exchanges.pool import loop_pool
from tradedock.services.monitor import MEET_S, MonitorService


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
