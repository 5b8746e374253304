"""Aster futures `GET /fapi/v3/klines` (and its V1 twin `/fapi/v1/klines`), from the shared candle history
(`core/candles.py`).

Wire facts (aster-finance-futures-api-v3.md "Kline/Candlestick Data", the Binance layout): ``symbol`` and
``interval`` (1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M) are required; ``startTime``/``endTime`` in ms;
``limit`` default 500, max 1500; weight by limit: [1,100) 1, [100,500) 2, [500,1000] 5, above 10. The answer is a
bare array, oldest first, of ``[openTime, "open", "high", "low", "close", "volume", closeTime, "quoteVolume",
trades, "takerBuyBase", "takerBuyQuote", "0"]`` (times as numbers, prices as strings; closeTime = openTime +
interval - 1). Errors: -1102 symbol/interval missing, -1121 "Invalid symbol.", -1120 "Invalid interval.", -1130
for a bad limit or time. 3d, 1w and 1M are not simulated: answered as an invalid interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradedock_sim.aster import errors
from tradedock_sim.aster.endpoints import Call, Endpoint
from tradedock_sim.aster.trading import engine
from tradedock_sim.core.candles import SimCandle, candle_book, candles, int_param, text

INTERVALS_MS = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
}
DOC = errors.FUTURES_DOC
DEFAULT_LIMIT = 500
MAX_LIMIT = 1500


def weight(params: Mapping[str, str]) -> int:
    raw = params.get("limit") or ""
    limit = int(raw) if raw.isdigit() else DEFAULT_LIMIT
    if limit < 100:
        return 1
    if limit < 500:
        return 2
    return 5 if limit <= 1000 else 10


def _number(params: Mapping[str, str], name: str, *, minimum: int = 0) -> int | None:
    try:
        return int_param(params.get(name), minimum=minimum)
    except ValueError:
        raise errors.invalid_parameter(name) from None


def klines(call: Call) -> Any:
    params = call.params
    symbol = params.get("symbol") or ""
    if not symbol:
        raise errors.mandatory_param("symbol")
    interval = params.get("interval") or ""
    if not interval:
        raise errors.mandatory_param("interval")
    book_engine = engine(call)
    if symbol not in book_engine.instruments:
        raise errors.invalid_symbol()
    interval_ms = INTERVALS_MS.get(interval)
    if interval_ms is None:
        raise errors.invalid_interval()
    limit = _number(params, "limit", minimum=1) or DEFAULT_LIMIT
    if limit > MAX_LIMIT:
        raise errors.invalid_parameter("limit")
    rows = candles(
        book_engine,
        candle_book(call.state),
        symbol,
        interval_ms,
        now_ms=call.now_ms,
        limit=limit,
        start_ms=_number(params, "startTime"),
        end_ms=_number(params, "endTime"),
    )
    return [_row(c, interval_ms) for c in rows]


def _row(c: SimCandle, interval_ms: int) -> list[Any]:
    return [
        c.open_time, text(c.open), text(c.high), text(c.low), text(c.close), text(c.volume),
        c.open_time + interval_ms - 1, text(c.turnover()), 0, "0", "0", "0",
    ]  # fmt: skip


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/fapi/v3/klines", 1, klines, doc=f'{DOC} "Kline/Candlestick Data"', weight_of=weight),
    Endpoint("GET", "/fapi/v1/klines", 1, klines, doc="V1 futures doc: Kline/Candlestick Data", weight_of=weight),
)
