"""Candles from an exchange's public market data: the shared checks and the public client (no key needed).

Belongs here: what every exchange's ``<x>/candles.py`` shares (limit check, the errors for an unknown symbol or
interval, ordering), and `PublicMarket`, which reads candles with no credentials through the same pooled HTTP
layer and rate budgets as the adapters. Each exchange's own request and wire format is in ``<x>/candles.py``;
the trading adapters' ``candles()`` call the same function, so a candle is parsed in one place per exchange.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from tradedock.domain import Candle, CandleInterval, Environment, ExchangeId
from tradedock.errors import InvalidInputError, UnexpectedResponseError
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.http import ExchangeHttp

#: Where each exchange's candle module lives (loaded on first use, like the adapters).
_MODULES = {
    ExchangeId.BYBIT: "tradedock.exchanges.bybit.candles",
    ExchangeId.BITGET: "tradedock.exchanges.bitget.candles",
    ExchangeId.ASTER: "tradedock.exchanges.aster.candles",
}


class CandleModule(Protocol):
    """What ``<x>/candles.py`` offers: its name, budgets, official URLs and the one request."""

    EXCHANGE: str
    MAX_LIMIT: int

    def public_base_url(self, flavor: Environment) -> str: ...

    def public_http(self, base_url: str, options: HttpOptions) -> ExchangeHttp: ...

    async def fetch_candles(
        self, http: ExchangeHttp, symbol: str, interval: CandleInterval, limit: int
    ) -> tuple[Candle, ...]: ...


def candle_module(exchange: ExchangeId) -> CandleModule:
    module: CandleModule = importlib.import_module(_MODULES[exchange])
    return module


def checked_limit(limit: int, maximum: int, exchange: str) -> int:
    if not 1 <= limit <= maximum:
        raise InvalidInputError("limit", f"{exchange} returns 1 to {maximum} candles per request, not {limit}.")
    return limit


def unknown_symbol(exchange: str, symbol: str) -> InvalidInputError:
    return InvalidInputError(
        "symbol", f"{exchange} has no perpetual {symbol[:32]!r} to read candles for.", fix="Check the symbol."
    )


def unknown_interval(exchange: str, interval: str) -> InvalidInputError:
    names = ", ".join(i.value for i in CandleInterval)
    return InvalidInputError("interval", f"{exchange} refused the candle interval {interval}.", fix=f"Use {names}.")


def price(raw: object, exchange: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise UnexpectedResponseError(f"{exchange} sent an unreadable candle value", exchange=exchange) from None
    if not value.is_finite():
        raise UnexpectedResponseError(f"{exchange} sent an unreadable candle value", exchange=exchange)
    return value


def candle_row(row: object, interval: CandleInterval, exchange: str) -> Candle:
    """``[open time, open, high, low, close, volume, ...]``: the layout all three exchanges share."""
    if not isinstance(row, list | tuple) or len(row) < 6:
        raise UnexpectedResponseError(f"{exchange} sent a candle that is not a list of 6+ values", exchange=exchange)
    try:
        open_time = int(str(row[0]))
    except ValueError:
        raise UnexpectedResponseError(f"{exchange} sent a candle with an unreadable time", exchange=exchange) from None
    o, h, low, c, v = (price(value, exchange) for value in row[1:6])
    return Candle(open_time_ms=open_time, interval=interval, open=o, high=h, low=low, close=c, volume=v)


def oldest_first(candles: Iterable[Candle]) -> tuple[Candle, ...]:
    """Sorted by open time, one per open time (exchanges differ: Bybit answers newest first)."""
    return tuple(sorted({c.open_time_ms: c for c in candles}.values(), key=lambda c: c.open_time_ms))


@dataclass(frozen=True)
class PublicMarket:
    """An exchange's public market data at one URL (official or the sandbox simulator's), with no key."""

    exchange: ExchangeId
    http: ExchangeHttp

    async def candles(self, symbol: str, interval: CandleInterval, limit: int) -> tuple[Candle, ...]:
        return await candle_module(self.exchange).fetch_candles(self.http, symbol, interval, limit)


def public_market(
    exchange: ExchangeId, *, flavor: Environment = Environment.LIVE, base_url: str | None = None,
    options: HttpOptions | None = None,
) -> PublicMarket:  # fmt: skip
    """``base_url`` None means the exchange's official URL for ``flavor``; the sandbox passes the simulator's."""
    module = candle_module(exchange)
    url = base_url or module.public_base_url(flavor)
    return PublicMarket(exchange, module.public_http(url, options or HttpOptions()))
