"""Recovery and guard rails of the engine: an order left ``sending`` by a worker that died before its call is looked
up, not found, and sent once with the same client order id; a bot with nothing to trade with refuses to start;
the max-loss stop closes the position and stops the bot; signal secrets are stored only as hashes and never show up
in the database, events or logs. SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from tests.security.sweep import Sweep
from tradedock.db.models import BotOrder
from tradedock.domain import ExchangeId
from tradedock.errors import AuthenticationError, BotNotReadyError, SignalRefusedError
from tradedock.exchanges.base import TradingAdapter
from tradedock.exchanges.orders import OrderRequest, OrderSide, OrderType
from tradedock.services.bot_views import BotRequest, BotState, OrderState, SizingKind
from tradedock.services.bots import BotService
from tradedock.services.execution import ExecutionPolicy, ExecutionService
from tradedock.services.strategies import StrategyService, ingest_signal

from .bots_helpers import (
    body,
    execute,
    link,
    running_bot,
    signal,
    sim_orders,
    sim_positions,
    webhook_strategy,
)
from .conftest import Harness


async def test_sending_row_of_a_worker_that_died_before_its_call_is_sent_once(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id, secret = await webhook_strategy(harness)
    await running_bot(harness, bybit, strategy_id)
    await signal(harness, strategy_id, secret, "d1", "long")
    async with harness.ctx.transaction() as session:  # what a worker leaves when it dies right after committing
        await session.execute(update(BotOrder).values(state="sending", attempts=1, side="buy", qty=D("0.005")))
    result = await execute(harness)
    assert result.sent == 1
    async with harness.ctx.reading() as session:
        [row] = (await session.execute(select(BotOrder))).scalars().all()
    [placed] = sim_orders(harness, bybit)
    assert (row.state, row.attempts, row.client_order_id) == ("filled", 2, placed.client_id)
    assert (await execute(harness)).sent == 0 and len(sim_orders(harness, bybit)) == 1


async def test_empty_futures_wallet_refuses_to_start(harness: Harness) -> None:
    control = harness.controls[ExchangeId.BYBIT]
    uid = await control.create_account(balances={"FUND": {"USDT": "500"}})
    key = await control.create_key(
        uid, {"ContractTrade": ["Order", "Position"], "Derivatives": ["DerivativesTrade"]}, ips=["203.0.113.7"]
    )
    outcome = await harness.connect(ExchangeId.BYBIT, {"api_key": key["api_key"], "secret": key["secret"]})
    assert outcome.connection_id is not None
    strategy_id, _ = await webhook_strategy(harness)
    service = BotService(harness.ctx)
    bot = await service.create(
        BotRequest(
            name="empty",
            connection_id=outcome.connection_id,
            strategy_id=strategy_id,
            symbols=["BTCUSDT"],
            sizing_kind=SizingKind.BALANCE_PCT,
            sizing_value=D(10),
        )
    )
    with pytest.raises(BotNotReadyError) as refused:
        await service.start(bot.id)
    assert refused.value.reason == "balance", refused.value.message
    assert "Funding wallet holds 500 USDT" in refused.value.message and refused.value.fix
    assert (await service.get(bot.id)).bot.state is BotState.DRAFT


async def test_max_loss_closes_the_position_and_stops_the_bot(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id, secret = await webhook_strategy(harness)
    bot_id = await running_bot(harness, bybit, strategy_id, stops={"max_loss_quote": D(5)})
    await signal(harness, strategy_id, secret, "m1", "long")
    await execute(harness)
    assert sim_positions(harness, bybit)
    await harness.controls[ExchangeId.BYBIT].set_price("BTCUSDT", "58000")  # 0.005 × -2000 = -10 USDT
    always = ExecutionPolicy(lookups=2, lookup_pause_s=0.01, reconcile_every=timedelta(0))
    await ExecutionService(harness.ctx, "w1", policy=always).run_round()  # reconcile: the stop is hit
    await ExecutionService(harness.ctx, "w1", policy=always).run_round()  # the close order
    view = await BotService(harness.ctx).get(bot_id)
    assert view.bot.state is BotState.STOPPED and "max loss" in (view.bot.state_reason or "")
    assert sim_positions(harness, bybit) == []
    assert (view.orders[0].origin, view.orders[0].state) == ("stop_condition", OrderState.FILLED)
    assert view.bot.realized_pnl == D(-10)


async def test_signal_secrets_are_never_stored_or_shown(
    harness: Harness, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    bybit = await link(harness, ExchangeId.BYBIT)
    strategies = StrategyService(harness.ctx)
    created = await strategies.create_webhook("sweep")
    rotated = await strategies.rotate_secret(created.strategy.id)
    await running_bot(harness, bybit, created.strategy.id)
    now = harness.ctx.clock.now()
    with pytest.raises(AuthenticationError):  # the old secret stopped working
        await ingest_signal(harness.ctx, created.strategy.id, body(created.secret, "s1", "long", now))
    with pytest.raises(SignalRefusedError):  # a good secret, a bad field: an event for the owner
        await ingest_signal(harness.ctx, created.strategy.id, body(rotated.secret, "s1", "hold", now))
    await ingest_signal(harness.ctx, created.strategy.id, body(rotated.secret, "s2", "long", now))
    await execute(harness)
    sweep = Sweep()
    sweep.plant(created.secret, rotated.secret)
    for view in (*(await strategies.list()), *(await strategies.signals(created.strategy.id))):
        sweep.record(f"view {type(view).__name__}", view.model_dump_json())
    sweep.record("logs", "\n".join(r.getMessage() for r in caplog.records))
    async with harness.ctx.reading() as session:
        for table in ("strategies", "strategy_signals", "events", "audit_log", "bot_orders", "bots"):
            rows = (await session.execute(text(f"SELECT * FROM {table}"))).all()  # fixed table names
            sweep.record(f"table {table}", "\n".join(repr(tuple(r)) for r in rows))
    sweep.assert_clean()


async def test_a_signal_not_executed_in_time_is_skipped_not_traded_late(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id, secret = await webhook_strategy(harness)
    await running_bot(harness, bybit, strategy_id)
    await signal(harness, strategy_id, secret, "late", "long")
    long_ago = harness.ctx.clock.now() - timedelta(minutes=6)  # the workers were down meanwhile
    async with harness.ctx.transaction() as session:
        await session.execute(update(BotOrder).values(created_at=long_ago))
    result = await execute(harness)
    assert (result.sent, result.skipped) == (0, 1)
    async with harness.ctx.reading() as session:
        [row] = (await session.execute(select(BotOrder))).scalars().all()
    assert row.state == "skipped" and "after its signal" in (row.error or "")
    assert sim_orders(harness, bybit) == []


async def test_an_order_sent_by_a_dead_worker_is_found_recorded_and_counted_in_the_pnl(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id, secret = await webhook_strategy(harness)
    bot_id = await running_bot(harness, bybit, strategy_id)
    await signal(harness, strategy_id, secret, "o1", "long")
    await execute(harness)
    await harness.controls[ExchangeId.BYBIT].set_price("BTCUSDT", "61000")
    await signal(harness, strategy_id, secret, "o2", "close")
    async with harness.ctx.reading() as session:
        [closing] = (await session.execute(select(BotOrder).where(BotOrder.state == "pending"))).scalars().all()
    # The dead worker's part: it committed `sending`, the exchange took the order, nobody recorded the answer.
    async with harness.ctx.transaction() as session:
        await session.execute(update(BotOrder).where(BotOrder.id == closing.id).values(state="sending", attempts=1))
    credentials, target = await harness.service().open_for_call(bybit.connection_id)
    adapter = harness.ctx.access.adapter(
        credentials, target.environment, harness.ctx.access.flavors(credentials.exchange, target.environment)[0]
    )
    assert isinstance(adapter, TradingAdapter)
    try:
        await adapter.submit_order(
            OrderRequest(
                "BTCUSDT",
                OrderSide.SELL,
                OrderType.MARKET,
                D("0.005"),
                reduce_only=True,
                client_order_id=closing.client_order_id,
            )
        )
    finally:
        await adapter.aclose()  # type: ignore[attr-defined]
    result = await execute(harness)
    assert (result.resolved, result.sent) == (1, 0)
    view = await BotService(harness.ctx).get(bot_id)
    assert view.orders[0].state is OrderState.FILLED and view.orders[0].client_order_id == closing.client_order_id
    assert view.bot.realized_pnl == D(5) and view.bot.positions == []
    assert len([o for o in sim_orders(harness, bybit) if o.side.value == "sell"]) == 1
