"""The bot state machine with its audit trail, refusals to start, and the key revoked behind a running bot: the
bot pauses with a reason, the owner gets the event (and its webhook delivery), no order is attempted until the key
is replaced. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from tradedock.db.models import Event, WebhookDelivery
from tradedock.db.repositories import UserRepository
from tradedock.domain import ConnectionStatus, ExchangeId
from tradedock.errors import BotNotReadyError, ConflictError, InvalidInputError, NotFoundError
from tradedock.services.bot_views import BotMode, BotRequest, BotState, OrderState, SizingKind
from tradedock.services.bots import BotService
from tradedock.services.execution import ExecutionPolicy, ExecutionService
from tradedock.services.webhooks import WebhookService

from .bots_helpers import execute, link, running_bot, signal, sim_orders, sim_positions, sim_state, webhook_strategy
from .conftest import Harness

ORDER_PATH = "/v5/order/create"


def _order_posts(harness: Harness) -> int:
    return sum(1 for r in sim_state(harness, ExchangeId.BYBIT).requests if r.path == ORDER_PATH)


async def _webhook(harness: Harness) -> None:
    async with harness.ctx.transaction() as session:
        owner = await UserRepository(session, harness.ctx.clock).get_or_create("local")
        await WebhookService(session, harness.ctx.clock, harness.ctx.vault, owner.id).create("https://hooks.example/td")


async def test_state_machine_and_its_audit_trail(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id, secret = await webhook_strategy(harness)
    service = BotService(harness.ctx)
    request = BotRequest(
        name="b",
        connection_id=bybit.connection_id,
        strategy_id=strategy_id,
        symbols=["BTCUSDT"],
        sizing_kind=SizingKind.FIXED_QUOTE,
        sizing_value=D(300),
    )
    bad = [
        (request.model_copy(update={"symbols": ["XRPUSDT"]}), "symbols"),
        (request.model_copy(update={"sizing_value": D(0)}), "sizing_value"),
        (request.model_copy(update={"sizing_kind": SizingKind.BALANCE_PCT, "sizing_value": D(101)}), "sizing_value"),
        (request.model_copy(update={"leverage_cap": D(500)}), "leverage_cap"),
        (request.model_copy(update={"stops": {"trailing": D(1)}}), "stops"),
        (request.model_copy(update={"strategy_id": "00000000-0000-4000-8000-000000000000"}), "strategy_id"),
    ]
    for wrong, field in bad:
        with pytest.raises(InvalidInputError) as refused:
            await service.create(wrong)
        assert refused.value.field == field
    bot = await service.create(request)
    assert bot.state is BotState.DRAFT
    # A draft bot takes no signals; they are refused only when no bot trades the symbol.
    assert (await signal(harness, strategy_id, secret, "d1", "long")).orders_created == 0
    with pytest.raises(ConflictError):
        await service.pause(bot.id)
    assert (await service.start(bot.id[:8])).state is BotState.RUNNING
    assert (await service.pause(bot.id)).state is BotState.PAUSED
    assert (await signal(harness, strategy_id, secret, "p1", "long")).orders_created == 0
    assert (await service.start(bot.id)).state is BotState.RUNNING
    assert (await signal(harness, strategy_id, secret, "r1", "long")).orders_created == 1
    await execute(harness)
    twin = await service.create(request.model_copy(update={"name": "twin"}))
    with pytest.raises(BotNotReadyError) as taken:
        await service.start(twin.id)
    assert taken.value.reason == "symbol_in_use" and "'b'" in taken.value.message
    assert (await service.stop(twin.id, close_position=True)).state is BotState.STOPPED
    assert await service.orders(twin.id) == []  # a draft never traded: it closes nothing of the account's
    await service.delete(twin.id)
    stopped = await service.stop(bot.id, close_position=True)
    assert stopped.state is BotState.STOPPED
    with pytest.raises(ConflictError):
        await service.start(bot.id)
    await execute(harness)  # the close order of the stop
    assert sim_positions(harness, bybit) == []
    orders = await service.orders(bot.id)
    assert [(o.origin, o.state) for o in orders] == [("stop", OrderState.FILLED), ("signal", OrderState.FILLED)]
    trail = [
        (e.data["from"], e.data["to"]) for e in reversed(await service.events(bot.id)) if e.type == "bot.state_changed"
    ]
    assert trail == [
        (None, "draft"),
        ("draft", "running"),
        ("running", "paused"),
        ("paused", "running"),
        ("running", "stopped"),
    ]
    # Another user sees nothing.
    with pytest.raises(NotFoundError):
        await BotService(harness.ctx, "mallory@example.com").get(bot.id)
    assert await BotService(harness.ctx, "mallory@example.com").list() == []
    await service.delete(bot.id)
    assert await service.list() == []


async def test_start_refused_when_the_account_is_in_hedge_mode(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BYBIT, "hedge_mode")
    outcome = await harness.connect(ExchangeId.BYBIT, preset["credentials"])
    strategy_id, _ = await webhook_strategy(harness)
    await _webhook(harness)
    service = BotService(harness.ctx)
    bot = await service.create(
        BotRequest(
            name="h",
            connection_id=outcome.connection_id or "",
            strategy_id=strategy_id,
            symbols=["BTCUSDT"],
            sizing_kind=SizingKind.FIXED_QUOTE,
            sizing_value=D(100),
        )
    )
    with pytest.raises(BotNotReadyError) as refused:
        await service.start(bot.id)
    assert refused.value.reason == "position_mode" and refused.value.fix
    view = await service.get(bot.id)
    assert view.bot.state is BotState.DRAFT and view.bot.state_reason
    [event] = [e for e in view.events if e.type == "bot.start_refused"]
    async with harness.ctx.reading() as session:
        queued = (await session.execute(select(WebhookDelivery).where(WebhookDelivery.event_id == event.id))).all()
    assert len(queued) == 1


async def test_revoked_key_pauses_the_bot_and_nothing_is_sent_until_replaced(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id, secret = await webhook_strategy(harness)
    await _webhook(harness)
    bot_id = await running_bot(harness, bybit, strategy_id)
    await execute(harness)  # first reconciliation: flat, key fine
    await harness.controls[ExchangeId.BYBIT].delete_key(bybit.key_id)
    posts = _order_posts(harness)

    # The next reconciliation meets the refused key: the bot pauses, with the reason, before any order.
    always = ExecutionPolicy(lookups=2, lookup_pause_s=0.01, reconcile_every=timedelta(0))
    result = await ExecutionService(harness.ctx, "w1", policy=always).run_round()
    assert result.paused == 1
    service = BotService(harness.ctx)
    view = (await service.get(bot_id)).bot
    assert view.state is BotState.PAUSED and "refused the connection's key" in (view.state_reason or "")
    async with harness.ctx.reading() as session:
        [paused] = (
            (await session.execute(select(Event).where(Event.bot_id == bot_id, Event.type == "bot.state_changed")))
            .scalars()
            .all()[-1:]
        )
        queued = (await session.execute(select(WebhookDelivery).where(WebhookDelivery.event_id == paused.id))).all()
    assert (paused.data["to"], paused.data["by"], paused.data["code"]) == ("paused", "platform", "key_refused")
    assert len(queued) == 1

    # Signals meanwhile order nothing; starting again re-verifies and is refused while the key is revoked.
    assert (await signal(harness, strategy_id, secret, "x1", "long")).orders_created == 0
    with pytest.raises(BotNotReadyError):
        await service.start(bot_id)
    await ExecutionService(harness.ctx, "w1", policy=always).run_round()
    assert _order_posts(harness) == posts and sim_orders(harness, bybit) == []

    # Replace the key (a new one on the same account), start, and the next signal trades.
    fresh = await harness.controls[ExchangeId.BYBIT].create_key(
        bybit.uid, {"ContractTrade": ["Order", "Position"], "Derivatives": ["DerivativesTrade"]}, ips=["203.0.113.7"]
    )
    replaced = await harness.service().replace(
        bybit.connection_id, {"api_key": fresh["api_key"], "secret": fresh["secret"]}
    )
    assert replaced.status in (ConnectionStatus.CONNECTED, ConnectionStatus.CONNECTED_WITH_WARNINGS)
    assert (await service.start(bot_id)).state is BotState.RUNNING
    assert (await signal(harness, strategy_id, secret, "x2", "long")).orders_created == 1
    await execute(harness)
    assert len(sim_orders(harness, bybit)) == 1


async def test_unhealthy_stored_status_pauses_without_asking_the_exchange(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id, secret = await webhook_strategy(harness)
    bot_id = await running_bot(harness, bybit, strategy_id)
    assert (await signal(harness, strategy_id, secret, "k1", "long")).orders_created == 1
    await harness.controls[ExchangeId.BYBIT].delete_key(bybit.key_id)
    checked = await harness.service().check(bybit.connection_id)  # what the monitor does on its schedule
    assert checked.status is ConnectionStatus.INVALID
    posts = _order_posts(harness)
    result = await execute(harness)
    assert (result.paused, result.skipped) == (1, 1)
    assert _order_posts(harness) == posts
    view = await BotService(harness.ctx).get(bot_id)
    assert view.bot.state is BotState.PAUSED and "invalid" in (view.bot.state_reason or "")
    assert [o.state for o in view.orders] == [OrderState.SKIPPED]


async def test_paper_bot_trades_on_its_own_simulator_account(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id, secret = await webhook_strategy(harness)
    service = BotService(harness.ctx)
    paper = await service.create(
        BotRequest(
            name="try it",
            connection_id=bybit.connection_id,
            strategy_id=strategy_id,
            symbols=["BTCUSDT"],
            sizing_kind=SizingKind.FIXED_QUOTE,
            sizing_value=D(300),
            mode=BotMode.PAPER,
        )
    )
    assert paper.paper_connection_id not in (None, bybit.connection_id)
    listed = {c.id: c for c in await harness.service().list()}
    assert listed[paper.paper_connection_id or ""].label == "paper: try it"
    await service.start(paper.id)
    assert (await signal(harness, strategy_id, secret, "pp-1", "long")).orders_created == 1
    await execute(harness)
    assert sim_orders(harness, bybit) == []  # the trader's own account is untouched
    [order] = (await service.get(paper.id)).orders
    assert order.state is OrderState.FILLED
    state = sim_state(harness, ExchangeId.BYBIT)
    traded = [
        uid
        for uid, book in state.extra["trading.engine"].books.items()
        if any(o.client_id == order.client_order_id for o in book.orders.values())
    ]
    assert len(traded) == 1 and traded[0] != bybit.uid
