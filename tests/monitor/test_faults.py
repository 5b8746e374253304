"""A flaky exchange never breaks a working connection: with 30 % of the simulator's answers failing (500, HTML
503, 429 — a different fault each round, via POST /_sim/faults) over many healthy connections for
several monitor rounds, none is ever marked invalid or action_required (only unreachable or warnings).

Scaled from the issue's 200 connections to 40 (the rounds run in-process on 2 shared cores); the count is a
parameter of the test below.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.monitor.conftest import monitor_runs, seed_healthy
from tests.services.conftest import Harness
from tradedock.clock import FrozenClock
from tradedock.db.models import Connection, MonitorLease, VerificationRun
from tradedock.domain import ExchangeId
from tradedock.services.monitor import MonitorPolicy, MonitorService

CONNECTIONS = 40
#: The simulator's `timeout` fault is left out for speed only: in-process (ASGITransport enforces no httpx timeout)
#: each hang lasts the simulator's 60 s, so a round with it takes ~8 min. With it in the mix the test passes
#: (verification no longer blames refused timestamps of delayed requests on the trader's clock; see
#: tests/verification/test_scenarios_slow_clock.py).
FAULTS = ("http_500", "http_503_html", "rate_limit", "http_500")


@pytest.mark.slow
async def test_thirty_percent_faults_mark_nothing_invalid_or_action_required(mharness: Harness) -> None:
    clock = FrozenClock(datetime.now(UTC))
    policy = MonitorPolicy(batch=20)
    monitor = MonitorService(mharness.ctx, worker_id="w1", policy=policy, clock=clock, rng=random.Random(11))
    ids = await seed_healthy(mharness, CONNECTIONS)
    control = mharness.controls[ExchangeId.BYBIT]
    seen: dict[str, int] = {}
    for fault in FAULTS:
        await control.set_faults(error=fault, error_rate=0.3)
        async with mharness.ctx.transaction() as session:  # a new round: everything due now
            for lease in (await session.execute(select(MonitorLease))).scalars():
                lease.next_check_at = clock.now()
        result = await monitor.run_round()
        assert result.failed == 0 and result.lost == 0
        for status, n in result.statuses.items():
            seen[status] = seen.get(status, 0) + n
    await control.set_faults()
    await monitor.aclose()

    assert set(await monitor_runs(mharness)) == set(ids)
    assert all(n == len(FAULTS) for n in (await monitor_runs(mharness)).values())
    assert seen.get("unreachable", 0) > 0  # the faults did hit
    assert not {"invalid", "action_required"} & set(seen), seen
    async with mharness.ctx.reading() as session:
        runs = (await session.execute(select(VerificationRun.status))).scalars().all()
        statuses = (await session.execute(select(Connection.status))).scalars().all()
    assert not {"invalid", "action_required"} & set(runs)
    assert not {"invalid", "action_required"} & set(statuses)
