"""The engine under exchange faults and refusals: rate limits and 5xx before processing put the order back (same
client order id) and it is placed once later; refusals (exchange reject, insufficient margin, below the minimum)
are recorded with their reason; two workers and two identical signals racing still make one order.
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from tradedock.db.models import BotOrder, Event
from tradedock.domain import ExchangeId
from tradedock.errors import SignalRefusedError
from tradedock.services.bot_views import BotState, OrderState, SignalAction
from tradedock.services.bots import BotService
from tradedock.services.execution import ExecutionService
from tradedock.services.strategies import emit_signal

from .bots_helpers import FAST, execute, link, running_bot, signal, sim_orders, webhook_strategy
from .conftest import Harness

CREATE = "/v5/order/create"


async def _orders(harness: Harness) -> list[BotOrder]:
    async with harness.ctx.reading() as session:
        return list((await session.execute(select(BotOrder).order_by(BotOrder.created_at))).scalars())


@pytest.mark.parametrize("fault", ["rate_limit", "http_500"])
async def test_refused_before_processing_is_sent_again_once_with_the_same_id(harness: Harness, fault: str) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id, secret = await webhook_strategy(harness)
    await running_bot(harness, bybit, strategy_id)
    await execute(harness)  # first reconciliation
    control = harness.controls[ExchangeId.BYBIT]
    await control.set_faults(error=fault, paths=[CREATE])
    await signal(harness, strategy_id, secret, "f1", "long")
    await execute(harness)
    [row] = await _orders(harness)
    assert (row.state, row.attempts) == ("pending", 1) and row.error
    assert sim_orders(harness, bybit) == []
    await control.set_faults()
    await execute(harness)
    [row] = await _orders(harness)
    [placed] = sim_orders(harness, bybit)
    assert (row.state, row.attempts, row.client_order_id) == ("filled", 2, placed.client_id)


async def test_refusals_are_recorded_with_their_reason(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id, secret = await webhook_strategy(harness)
    tiny = await running_bot(harness, bybit, strategy_id, value="2")  # 2 USDT: below the minimum quantity
    other = await link(harness, ExchangeId.BYBIT)  # one bot per symbol and account
    huge = await running_bot(harness, other, strategy_id, value="1000000")  # far beyond 1000 USDT of margin
    await signal(harness, strategy_id, secret, "r1", "long")
    await execute(harness)
    service = BotService(harness.ctx)
    [small] = (await service.get(tiny)).orders
    [large] = (await service.get(huge)).orders
    assert small.state is OrderState.REJECTED and "minimum" in (small.error or "")
    assert large.state is OrderState.REJECTED and "margin" in (large.error or "").lower()
    assert [o for o in sim_orders(harness, bybit) + sim_orders(harness, other) if o.status.value == "filled"] == []
    # The exchange refusing outright (its own reject) is recorded too, and the bots keep running.
    await service.stop(tiny)
    await service.stop(huge)
    await harness.controls[ExchangeId.BYBIT].order_faults("reject")
    ok = await running_bot(harness, bybit, strategy_id, value="300")
    await signal(harness, strategy_id, secret, "r2", "long")
    await execute(harness)
    [refused] = (await service.get(ok)).orders
    assert refused.state is OrderState.REJECTED and refused.error
    assert (await service.get(ok)).bot.state is BotState.RUNNING
    async with harness.ctx.reading() as session:
        failed = (await session.execute(select(Event).where(Event.type == "bot.order_failed"))).scalars().all()
    assert len(failed) >= 3


async def test_two_workers_racing_on_one_bot_send_one_order(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id, secret = await webhook_strategy(harness)
    await running_bot(harness, bybit, strategy_id)
    await signal(harness, strategy_id, secret, "w1", "long")
    rounds = await asyncio.gather(
        *(ExecutionService(harness.ctx, f"worker-{n}", policy=FAST).run_round() for n in range(3))
    )
    assert sum(r.sent for r in rounds) == 1
    assert len(sim_orders(harness, bybit)) == 1


async def test_the_same_signal_twice_at_once_is_accepted_once(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    service_strategy, _ = await webhook_strategy(harness)
    await running_bot(harness, bybit, service_strategy)
    now = harness.ctx.clock.now()
    results = await asyncio.gather(
        *(
            emit_signal(
                harness.ctx, service_strategy, signal_id="same", action=SignalAction.LONG, symbol="BTCUSDT", time=now
            )
            for _ in range(4)
        ),
        return_exceptions=True,
    )
    accepted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, SignalRefusedError)]
    assert len(accepted) == 1 and len(refused) == 3 and all(r.reason == "replay" for r in refused)
    assert len(await _orders(harness)) == 1


async def test_partial_fill_is_recorded_and_the_position_follows_the_exchange(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id, secret = await webhook_strategy(harness)
    bot_id = await running_bot(harness, bybit, strategy_id, value="600")  # 0.010 BTC asked
    await harness.controls[ExchangeId.BYBIT].order_faults("partial_fill")
    await signal(harness, strategy_id, secret, "p1", "long")
    await execute(harness)
    service = BotService(harness.ctx)
    detail = await service.get(bot_id)
    [order] = detail.orders
    assert (order.state, order.qty, order.filled_qty) == (OrderState.CANCELLED, D("0.010"), D("0.005"))
    assert "filled 0.005 of 0.01" in (order.error or "")
    assert [p.qty for p in detail.bot.positions] == [D("0.005")]
    assert "bot.order_done" in [e.type for e in detail.events]
    # Nothing chases the rest; the close sells what the exchange holds.
    assert (await execute(harness)).sent == 0
    await signal(harness, strategy_id, secret, "p2", "close")
    await execute(harness)
    closing = [o for o in sim_orders(harness, bybit) if o.side.value == "sell"]
    assert [(o.qty, o.filled_qty) for o in closing] == [(D("0.005"), D("0.005"))]
