"""Signal ingestion refuses a bad secret, replays, stale and future signals, unknown symbols and malformed fields,
each naming the field, and nothing is stored or ordered; a refused signal with a good secret is an event for the
strategy's owner; publishing is for operators and public strategies serve every user. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from tradedock.db.models import BotOrder, Event, StrategySignal, User
from tradedock.domain import ExchangeId
from tradedock.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    SignalRefusedError,
)
from tradedock.services.bot_views import BotRequest, SignalAction, SizingKind, Visibility
from tradedock.services.bots import BotService
from tradedock.services.strategies import StrategyService, emit_signal, ingest_signal

from .bots_helpers import body, execute, link, running_bot, sim_orders, webhook_strategy
from .conftest import Harness


async def _count(harness: Harness, model: Any) -> int:
    async with harness.ctx.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_every_bad_signal_is_refused_naming_the_field_and_nothing_is_ordered(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id, secret = await webhook_strategy(harness)
    await running_bot(harness, bybit, strategy_id)
    now = harness.ctx.clock.now()
    ctx = harness.ctx

    with pytest.raises(AuthenticationError):
        await ingest_signal(ctx, strategy_id, body(secret + "x", "s1", "long", now))
    with pytest.raises(AuthenticationError) as unknown_strategy:
        await ingest_signal(ctx, "00000000-0000-4000-8000-000000000000", body(secret, "s1", "long", now))
    assert "unknown strategy or wrong signal secret" in unknown_strategy.value.message  # the same answer
    with pytest.raises(AuthenticationError):
        await ingest_signal(
            ctx, strategy_id, {k: v for k, v in body(secret, "s1", "long", now).items() if k != "secret"}
        )

    cases: list[tuple[dict[str, Any], str, str]] = [
        (body(secret, "s1", "long", now - timedelta(seconds=61)), "time", "stale"),
        (body(secret, "s1", "long", now + timedelta(seconds=30)), "time", "future"),
        (body(secret, "s1", "long", now, symbol="XRPUSDT"), "symbol", "unknown_symbol"),
        (body(secret, "s1", "buy", now), "action", "malformed"),
        (body(secret, "", "long", now), "signal_id", "malformed"),
        (body(secret, "s1", "long", now, size="-1"), "size", "malformed"),
        (body(secret, "s1", "long", now, time="yesterday"), "time", "malformed"),
        (body(secret, "s1", "long", now, time="2026-12-01T09:30:00"), "time", "malformed"),  # no offset
        (body(secret, "s1", "long", now, acton="long"), "acton", "malformed"),
        (body(secret, "s1", "long", now, symbol="btc/usdt"), "symbol", "malformed"),
        (body(secret, secret, "long", now), "signal_id", "holds_secret"),  # an alert template pasted it there
        (body(secret, "s1", "long", now, comment=f"key {secret}"), "comment", "holds_secret"),
    ]
    for sent, field, reason in cases:
        with pytest.raises(SignalRefusedError) as refused:
            await ingest_signal(ctx, strategy_id, sent)
        assert (refused.value.field, refused.value.reason) == (field, reason), sent
        assert refused.value.fix
    assert await _count(harness, StrategySignal) == 0

    # The first good one is accepted; its replay is refused, even with another action.
    assert (await ingest_signal(ctx, strategy_id, body(secret, "s1", "long", now))).orders_created == 1
    with pytest.raises(SignalRefusedError) as replay:
        await ingest_signal(ctx, strategy_id, body(secret, "s1", "close", now))
    assert (replay.value.field, replay.value.reason) == ("signal_id", "replay")
    assert (await _count(harness, StrategySignal), await _count(harness, BotOrder)) == (1, 1)
    await execute(harness)
    assert len(sim_orders(harness, bybit)) == 1

    # The owner sees every refusal with a good secret (never the bad-secret ones).
    async with ctx.reading() as session:
        refusals = (await session.execute(select(Event).where(Event.type == "strategy.signal_refused"))).scalars().all()
    assert len(refusals) == len(cases) + 1
    assert {e.data["reason"] for e in refusals} >= {"stale", "future", "unknown_symbol", "malformed", "replay"}
    assert all(secret not in str(e.data) for e in refusals)


async def test_tradingview_forms_are_accepted(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id, secret = await webhook_strategy(harness)
    await running_bot(harness, bybit, strategy_id)
    now = harness.ctx.clock.now()
    unix_ms = int(now.timestamp() * 1000)
    sent = body(secret, "tv:1.a_b-c", "LONG", now, symbol="btcusdt.P", time=unix_ms, size="0.002")
    accepted = await ingest_signal(
        harness.ctx, strategy_id, {k: v for k, v in sent.items() if k != "secret"}, secret=secret
    )
    assert (accepted.signal.symbol, accepted.signal.action, str(accepted.signal.size)) == ("BTCUSDT", "long", "0.002")
    await execute(harness)
    [order] = sim_orders(harness, bybit)
    assert str(order.qty) == "0.002"  # the signal's own size wins over the bot's sizing


async def test_builtin_strategies_take_no_webhook_signals_but_emit_through_the_same_path(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    service = StrategyService(harness.ctx)
    builtin = await service.create_builtin(
        "ma", "ma_crossover", {"symbol": "BTCUSDT", "interval": "1m", "fast": 9, "slow": 21}
    )
    assert builtin.params["mode"] == "long_short"  # normalised by the strategy's own check
    with pytest.raises(InvalidInputError) as unknown:
        await service.create_builtin("x", "grid", {})
    assert unknown.value.field == "builtin_name"
    with pytest.raises(InvalidInputError) as bad:
        await service.create_builtin(
            "x", "ma_crossover", {"symbol": "BTCUSDT", "interval": "1m", "fast": 30, "slow": 21}
        )
    assert bad.value.field == "params.fast"
    await running_bot(harness, bybit, builtin.id)
    now = harness.ctx.clock.now()
    with pytest.raises(AuthenticationError):  # it has no secret at all
        await ingest_signal(harness.ctx, builtin.id, body("tds_whatever", "b1", "long", now))
    accepted = await emit_signal(
        harness.ctx, builtin.id, signal_id="ma-1", action=SignalAction.SHORT, symbol="BTCUSDT", time=now
    )
    assert accepted.orders_created == 1
    with pytest.raises(SignalRefusedError) as replay:
        await emit_signal(harness.ctx, builtin.id, signal_id="ma-1", action="short", symbol="BTCUSDT", time=now)
    assert replay.value.reason == "replay"
    await execute(harness)
    [order] = sim_orders(harness, bybit)
    assert (order.side.value, str(order.qty)) == ("sell", "0.005")


async def test_publishing_is_for_operators_and_public_strategies_serve_every_user(harness: Harness) -> None:
    operator, trader = StrategyService(harness.ctx, "ops@example.com"), StrategyService(harness.ctx, "ann@example.com")
    created = await operator.create_webhook("house signals")
    assert [s.id for s in await trader.list()] == []  # private: invisible to others
    with pytest.raises(NotFoundError):
        await trader.get(created.strategy.id)
    with pytest.raises(NotAllowedError):
        await operator.publish(created.strategy.id)
    async with harness.ctx.transaction() as session:
        await session.execute(update(User).where(User.name == "ops@example.com").values(is_operator=True))
    published = await operator.publish(created.strategy.id)
    assert published.visibility is Visibility.PUBLIC and published.owned
    [seen] = await trader.list()
    assert (seen.id, seen.owned, seen.secret_hint) == (created.strategy.id, False, created.strategy.secret_hint)
    with pytest.raises(NotFoundError):  # only the owner rotates, deletes or reads the signals
        await trader.rotate_secret(created.strategy.id)
    with pytest.raises(NotFoundError):
        await trader.signals(created.strategy.id)
    # A trader's bot follows the operator's public strategy; the operator's signals reach it.
    bybit = await link(harness, ExchangeId.BYBIT)
    bots = BotService(harness.ctx, "ann@example.com")
    request = BotRequest(
        name="follow",
        connection_id=bybit.connection_id,
        strategy_id=created.strategy.id,
        symbols=["BTCUSDT"],
        sizing_kind=SizingKind.FIXED_QUOTE,
        sizing_value=Decimal(300),
    )
    with pytest.raises(NotFoundError):  # the connection is the local owner's, not ann's
        await bots.create(request)
    bot_id = await running_bot(harness, bybit, created.strategy.id)
    now = harness.ctx.clock.now()
    assert (
        await ingest_signal(harness.ctx, created.strategy.id, body(created.secret, "h1", "long", now))
    ).orders_created == 1
    with pytest.raises(ConflictError):  # in use by a bot
        await operator.delete(created.strategy.id)
    await BotService(harness.ctx).stop(bot_id)
    await operator.delete(created.strategy.id)
    assert await trader.list() == []
