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
Strategies on one market (exchange, environment, symbol, interval) share one read per round. Pacing is per
process: after an evaluation, a strategy is due again when its next candle opens (plus ``grace_s``), or ``retry_s``
later when the exchange did not yet list the candle open now, or the evaluation failed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from tradedock.db.repositories.connections import ConnectionRepository
from tradedock.domain import Candle, CandleInterval, Environment, ExchangeId
from tradedock.errors import SignalRefusedError, TradeDockError
from tradedock.exchanges.candles import PublicMarket, public_market
from tradedock.services.context import AppContext, hook_per_context
from tradedock.services.strategies import ActiveBuiltin, active_builtin_strategies, emit_signal
from tradedock.strategies.base import BuiltinStrategy
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


#: One market read: exchange, environment, symbol, interval. Strategies sharing it share one request per round.
MarketKey = tuple[ExchangeId, Environment, str, CandleInterval]
#: The candles of one market read, or why it failed.
MarketRead = tuple[Candle, ...] | BaseException


@dataclass(frozen=True)
class _Planned:
    item: ActiveBuiltin
    strategy: BuiltinStrategy
    params: dict[str, Any]
    key: MarketKey


class BuiltinStrategyRunner:
    """Evaluates the active built-in strategies on their candle interval. One instance per worker process."""

    def __init__(
        self, ctx: AppContext, *, grace_s: float = 2.0, retry_s: float = 10.0, concurrent_reads: int = 8
    ) -> None:
        self.ctx = ctx
        self.grace_ms = int(grace_s * 1000)
        self.retry_ms = int(retry_s * 1000)
        self.concurrent_reads = concurrent_reads
        self._due_ms: dict[str, int] = {}

    async def run_round(self) -> BuiltinRound:
        """Plan the due strategies, read each market once (a few at a time, no transaction open), then evaluate
        and emit one by one. A strategy that fails is logged, retried ``retry_s`` later; the others go on."""
        result = BuiltinRound()
        now = self.ctx.clock.now()
        due = [i for i in await active_builtin_strategies(self.ctx) if self._due_ms.get(i.strategy_id, 0) <= _ms(now)]
        planned = await self._plan(due, now, result)
        needed: dict[MarketKey, int] = {}
        for plan in planned:
            needed[plan.key] = max(needed.get(plan.key, 0), plan.strategy.candles_needed(plan.params))
        markets = await self._read_markets(needed)
        for plan in planned:
            candles = markets[plan.key]
            if isinstance(candles, BaseException):
                self._failed(plan.item, now, result, candles)
                continue
            try:
                await self._evaluate(plan, candles, now, result)
            except Exception as exc:  # one strategy's bug must not stop the others (nor the worker's round)
                self._failed(plan.item, now, result, exc)
        return result

    async def _plan(self, due: list[ActiveBuiltin], now: datetime, result: BuiltinRound) -> list[_Planned]:
        """Each due strategy's generator, params and market (one short read for every connection)."""
        planned: list[_Planned] = []
        async with self.ctx.reading() as session:
            repo = ConnectionRepository(session)
            for item in due:
                try:
                    strategy = get_builtin(item.builtin_name)
                    params = strategy.validate(item.params)
                    symbol, interval = strategy.symbol(params), strategy.interval(params)
                    connection_id = item.connections.get(symbol)
                    found = await repo.exchange_and_environment(connection_id) if connection_id else None
                except TradeDockError as exc:
                    self._failed(item, now, result, exc)
                    continue
                if found is None:
                    self._due_ms[item.strategy_id] = _ms(now) + self.retry_ms
                    result.notes.append(f"{item.strategy_id}: no running bot's connection trades {symbol}")
                    continue
                key = (ExchangeId(found[0]), Environment(found[1]), symbol, interval)
                planned.append(_Planned(item, strategy, params, key))
        return planned

    async def _read_markets(
        self, needed: Mapping[MarketKey, int]
    ) -> dict[MarketKey, tuple[Candle, ...] | BaseException]:
        gate = asyncio.Semaphore(self.concurrent_reads)

        async def read(key: MarketKey, limit: int) -> tuple[Candle, ...]:
            exchange, environment, symbol, interval = key
            async with gate:
                return await self._market(exchange, environment).candles(symbol, interval, limit)

        keys = list(needed)
        answers = await asyncio.gather(*(read(key, needed[key]) for key in keys), return_exceptions=True)
        return dict(zip(keys, answers, strict=True))

    async def _evaluate(self, plan: _Planned, candles: tuple[Candle, ...], now: datetime, result: BuiltinRound) -> None:
        item, strategy, params = plan.item, plan.strategy, plan.params
        interval = plan.key[3]
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
        _log.info("built-in strategy %s: %s %s (%s)", item.strategy_id, signal.action, signal.symbol, signal.reason)

    def _failed(self, item: ActiveBuiltin, now: datetime, result: BuiltinRound, exc: BaseException) -> None:
        result.failed += 1
        self._due_ms[item.strategy_id] = _ms(now) + self.retry_ms
        if isinstance(exc, TradeDockError):
            _log.warning("built-in strategy %s not evaluated: %s", item.strategy_id, exc.message)
        else:
            _log.error("built-in strategy %s failed", item.strategy_id, exc_info=exc)

    def _next_due(self, candles: tuple[Candle, ...], interval: CandleInterval, now: datetime) -> int:
        """When the next candle opens (the previous one has closed; a DCA slot begins), plus ``grace``; sooner when
        the exchange does not show the candle open now yet (all three list it), so neither a cross nor a DCA slot
        is missed for a whole candle."""
        now_ms = _ms(now)
        current_open = now_ms - now_ms % interval.ms
        newest = max((c.open_time_ms for c in candles if c.interval is interval), default=None)
        if newest is None or newest < current_open:
            return now_ms + self.retry_ms
        return current_open + interval.ms + self.grace_ms

    def _market(self, exchange: ExchangeId, environment: Environment) -> PublicMarket:
        """The public market data of an exchange and environment (the sandbox: the simulator)."""
        access = self.ctx.access
        flavor, _ = access.flavors(exchange, environment)
        base_url = access.base_url(exchange, environment, flavor)
        return public_market(exchange, flavor=flavor, base_url=base_url, options=access.http_options(exchange))


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def builtin_tick_hook() -> Callable[[AppContext], Awaitable[None]]:
    """A worker tick hook (``monitor.queue.TickHook``) running one built-in round per tick, with one runner (and
    so one pacing memory) per process."""
    return hook_per_context("run_builtin_strategies", BuiltinStrategyRunner, BuiltinStrategyRunner.run_round)
