"""The built-in strategy runner (one call per worker round) and the built-in strategy catalog.

What belongs here: for each built-in strategy with running bots, reading its exchange's public candles when its
candle interval says a new candle has closed (or a DCA slot has begun), evaluating the pure generator
(`tradedock.strategies`) and emitting the signal through the bots' ingestion (`services.strategies.emit_signal`);
and `builtin_catalog()`, the catalog the API, CLI and dashboard list. What does not: the generators themselves,
storing signals or placing orders (the ingestion and the execution engine do that).

Concurrency: no transaction is open while candles are read (load the connection's exchange in a short read,
then the exchange round trip, then the ingestion's own transaction). Several workers may evaluate the same
strategy: the signal id is derived from the candles, and the store's ``UNIQUE(strategy_id, signal_id)`` lets
exactly one of them create the signal (the others get a ``replay`` refusal, which is the expected outcome).
Each strategy is isolated: one failing (exchange down, bad params) is logged and retried later; the others go on.
Pacing is per process: after an evaluation, a strategy is due again when its next candle closes (plus
``grace_s``), or ``retry_s`` later when the exchange did not yet show the candle just closed, or failed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from tradedock.db.repositories.connections import ConnectionRepository
from tradedock.domain import Candle, CandleInterval, Environment, ExchangeId
from tradedock.errors import NotFoundError, SignalRefusedError, TradeDockError
from tradedock.exchanges.candles import PublicMarket, public_market
from tradedock.services.context import AppContext
from tradedock.services.strategies import ActiveBuiltin, active_builtin_strategies, emit_signal
from tradedock.strategies.catalog import BUILTINS, get_builtin

_log = logging.getLogger(__name__)


# --- catalog ---------------------------------------------------------------------------------------------------


class BuiltinParamView(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: str  # symbol | interval | integer | decimal | choice | datetime
    help: str
    required: bool
    default: str | int | None = None
    choices: list[str] = []
    minimum: int | None = None
    maximum: int | None = None


class BuiltinStrategyView(BaseModel):
    """One built-in strategy as the catalog shows it (create one with `StrategyService.create_builtin`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    title: str
    description: str
    params: list[BuiltinParamView]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def builtin_catalog() -> list[BuiltinStrategyView]:
    """Every built-in strategy with its parameters (no database, no exchange)."""
    return [
        BuiltinStrategyView(
            name=s.name,
            title=s.title,
            description=s.description,
            params=[BuiltinParamView(**p.to_dict()) for p in s.params],
        )
        for s in BUILTINS.values()
    ]


# --- runner ----------------------------------------------------------------------------------------------------


@dataclass
class BuiltinRound:
    """What one round did: strategies evaluated, signals created here, ones another worker had already made."""

    evaluated: int = 0
    signals: int = 0
    already_emitted: int = 0
    failed: int = 0
    orders_created: int = 0
    notes: list[str] = field(default_factory=list)


class BuiltinStrategyRunner:
    """Evaluates the active built-in strategies on their candle interval. One instance per worker process."""

    def __init__(self, ctx: AppContext, *, grace_s: float = 2.0, retry_s: float = 10.0) -> None:
        self.ctx = ctx
        self.grace_ms = int(grace_s * 1000)
        self.retry_ms = int(retry_s * 1000)
        self._due_ms: dict[str, int] = {}

    async def run_round(self) -> BuiltinRound:
        result = BuiltinRound()
        active = await active_builtin_strategies(self.ctx)
        for item in active:
            now = self.ctx.clock.now()
            if self._due_ms.get(item.strategy_id, 0) > _ms(now):
                continue
            try:
                await self._evaluate(item, now, result)
            except TradeDockError as exc:
                result.failed += 1
                self._due_ms[item.strategy_id] = _ms(now) + self.retry_ms
                _log.warning("built-in strategy %s not evaluated: %s", item.strategy_id, exc.message)
            except Exception:  # one strategy's bug must not stop the others (nor the worker's round)
                result.failed += 1
                self._due_ms[item.strategy_id] = _ms(now) + self.retry_ms
                _log.exception("built-in strategy %s failed", item.strategy_id)
        return result

    async def _evaluate(self, item: ActiveBuiltin, now: datetime, result: BuiltinRound) -> None:
        strategy = get_builtin(item.builtin_name)
        params = strategy.validate(item.params)
        symbol, interval = strategy.symbol(params), strategy.interval(params)
        connection_id = item.connections.get(symbol)
        if connection_id is None:
            self._due_ms[item.strategy_id] = _ms(now) + self.retry_ms
            result.notes.append(f"{item.strategy_id}: no running bot trades {symbol}")
            return
        market = await self._market(connection_id)
        candles = await market.candles(symbol, interval, strategy.candles_needed(params))
        result.evaluated += 1
        self._due_ms[item.strategy_id] = self._next_due(candles, interval, now)
        signal = strategy.evaluate(params, candles, now)
        if signal is None:
            return
        try:
            accepted = await emit_signal(
                self.ctx,
                item.strategy_id,
                signal_id=signal.signal_id,
                action=signal.action.value,
                symbol=signal.symbol,
                time=signal.time,
                size=signal.size,
            )
        except SignalRefusedError as refused:
            if refused.reason != "replay":
                raise
            result.already_emitted += 1
            return
        result.signals += 1
        result.orders_created += accepted.orders_created
        _log.info("built-in strategy %s: %s %s (%s)", item.strategy_id, signal.action, symbol, signal.reason)

    def _next_due(self, candles: tuple[Candle, ...], interval: CandleInterval, now: datetime) -> int:
        """When the next candle closes; sooner when the exchange has not shown the candle that just closed."""
        now_ms = _ms(now)
        current_open = now_ms - now_ms % interval.ms
        newest = max((c.open_time_ms for c in candles if c.interval is interval), default=None)
        if newest is None or newest < current_open - interval.ms:
            return now_ms + self.retry_ms
        return current_open + interval.ms + self.grace_ms

    async def _market(self, connection_id: str) -> PublicMarket:
        """The public market data of the connection's exchange and environment (the sandbox: the simulator)."""
        async with self.ctx.reading() as session:
            found = await ConnectionRepository(session).exchange_and_environment(connection_id)
        if found is None:
            raise NotFoundError(f"connection {connection_id} is gone")
        exchange, environment = ExchangeId(found[0]), Environment(found[1])
        access = self.ctx.access
        flavor, _ = access.flavors(exchange, environment)
        base_url = access.base_url(exchange, environment, flavor)
        return public_market(exchange, flavor=flavor, base_url=base_url, options=access.http_options(exchange))


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def builtin_tick_hook() -> Callable[[AppContext], Awaitable[None]]:
    """A worker tick hook (``monitor.queue.TickHook``) running one built-in round per tick, with one runner (and
    so one pacing memory) per process."""
    runners: dict[int, BuiltinStrategyRunner] = {}

    async def run_builtin_strategies(ctx: AppContext) -> None:
        runner = runners.get(id(ctx))
        if runner is None:
            runner = runners[id(ctx)] = BuiltinStrategyRunner(ctx)
        await runner.run_round()

    return run_builtin_strategies
