"""Helpers for the bot tests: connected simulator accounts, a webhook strategy with running bots, signals, and
what the in-process simulators themselves hold (their matching engine's orders and positions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from tradedock.domain import ExchangeId
from tradedock.services.bot_views import BotRequest, SignalAccepted, SizingKind
from tradedock.services.bots import BotService
from tradedock.services.execution import ExecutionPolicy, ExecutionRound, ExecutionService
from tradedock.services.strategies import StrategyService, ingest_signal
from tradedock_sim.core.engine import Engine
from tradedock_sim.core.orders import Order, Position
from tradedock_sim.core.state import SimState

from .conftest import Harness

#: Fast lookups after a lost answer (the simulator answers at once).
FAST = ExecutionPolicy(lookups=2, lookup_pause_s=0.01)


@dataclass
class Linked:
    exchange: ExchangeId
    connection_id: str
    uid: str
    key_id: str


def sim_state(harness: Harness, exchange: ExchangeId) -> SimState:
    inner = harness.transports[exchange].inner
    assert isinstance(inner, httpx.ASGITransport)
    state: SimState = inner.app.state.sim  # type: ignore[attr-defined]
    return state


def sim_orders(harness: Harness, linked: Linked) -> list[Order]:
    state = sim_state(harness, linked.exchange)
    engine = state.extra.get("trading.engine")
    if engine is None:
        return []
    assert isinstance(engine, Engine)
    return engine.orders(state.accounts[linked.uid], open_only=False)


def sim_positions(harness: Harness, linked: Linked) -> list[Position]:
    state = sim_state(harness, linked.exchange)
    engine = state.extra.get("trading.engine")
    if engine is None:
        return []
    assert isinstance(engine, Engine)
    return [p for p in engine.positions(state.accounts[linked.uid]) if p.size]


def sim_realised(harness: Harness, linked: Linked) -> Decimal:
    state = sim_state(harness, linked.exchange)
    engine = state.extra["trading.engine"]
    assert isinstance(engine, Engine)
    book = engine.book(state.accounts[linked.uid])
    return sum((p.realised_pnl for p in book.positions.values()), Decimal(0))


async def link(harness: Harness, exchange: ExchangeId, *, price: str = "60000", fees: bool = False) -> Linked:
    """A healthy simulator account (BTCUSDT at ``price``; fees 0 unless ``fees``: the simulator's default taker
    0.055 %) connected for the local owner."""
    control = harness.controls[exchange]
    await control.set_price("BTCUSDT", price)
    if fees:
        await control.set_fees(taker="0.00055", maker="0.0002")
    else:
        await control.set_fees(taker="0", maker="0")
    preset = await harness.scenario(exchange, "healthy")
    outcome = await harness.connect(exchange, preset["credentials"])
    assert outcome.connection_id is not None, outcome.status
    return Linked(exchange, outcome.connection_id, str(preset["uid"]), str(preset["key_id"]))


async def webhook_strategy(harness: Harness, owner: str = "local") -> tuple[str, str]:
    created = await StrategyService(harness.ctx, owner).create_webhook("tv alerts", max_signal_age_s=60)
    return created.strategy.id, created.secret


async def running_bot(
    harness: Harness,
    linked: Linked,
    strategy_id: str,
    *,
    kind: SizingKind = SizingKind.FIXED_QUOTE,
    value: str = "300",
    **extra: Any,
) -> str:
    service = BotService(harness.ctx)
    request = BotRequest(
        name=f"{linked.exchange.value} bot",
        connection_id=linked.connection_id,
        strategy_id=strategy_id,
        symbols=["BTCUSDT"],
        sizing_kind=kind,
        sizing_value=Decimal(value),
        **extra,
    )
    bot = await service.create(request)
    await service.start(bot.id)
    return bot.id


def body(secret: str, signal_id: str, action: str, now: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "secret": secret,
        "signal_id": signal_id,
        "action": action,
        "symbol": "BTCUSDT",
        "time": now.isoformat(),
        **extra,
    }


async def signal(harness: Harness, strategy_id: str, secret: str, signal_id: str, action: str) -> SignalAccepted:
    return await ingest_signal(harness.ctx, strategy_id, body(secret, signal_id, action, harness.ctx.clock.now()))


async def execute(harness: Harness, worker: str = "w1") -> ExecutionRound:
    return await ExecutionService(harness.ctx, worker, policy=FAST).run_round()
