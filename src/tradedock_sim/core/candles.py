"""Candles (klines) every simulated exchange serves, built from the matching engine's price history.

Belongs here: the deterministic candle history of a simulator port and its control API (`POST /_sim/candles`,
`GET /_sim/candles`). Exchange wire formats (parameter names, interval spellings, field order, sort order, error
answers) are not here: each exchange's market routes turn `CandleQuery` answers into its own arrays.

Model (docs/simulators.md, "Candles"):
- Candles are aligned to the interval from the Unix epoch (UTC), the way the exchanges align minutes to days.
- A loaded series (`POST /_sim/candles {symbol, interval, closes}`) fills candles of that symbol and interval: the
  last close is the most recent *closed* candle (the one before the candle open now). Loading sets the mark price
  to the last close, so later candles continue from it and orders fill there.
- Any other candle comes from the engine's price path (`POST /_sim/prices`): open = the price at the candle's
  start, close = the price at its end (or now, for the open candle), high/low = the extremes of the path's points
  inside it. With no path the price is the instrument's reference price; before a path's first point, that
  point's price (the engine's rule) — so history is flat and the same on every run. Synthetic candles have
  volume 0; loaded ones the given volumes (default 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tradedock_sim.core.control import error_response, read_json_object, sim_state
from tradedock_sim.core.engine import Engine
from tradedock_sim.core.state import ControlInputError, SimState
from tradedock_sim.core.trading_control import decimal_value, trading_engine

CANDLES_KEY = "candles.book"
MAX_LOADED = 5000  # candles per loaded series

#: The control API's interval names (the ones TradeDock reads) and their lengths.
CONTROL_INTERVALS_MS: dict[str, int] = {
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


@dataclass(frozen=True)
class SimCandle:
    open_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def turnover(self) -> Decimal:
        """Quote volume, as the exchanges report it beside the base volume (volume × close here)."""
        return self.volume * self.close


@dataclass
class CandleBook:
    """Loaded series, per (symbol, interval length): open time → candle."""

    loaded: dict[tuple[str, int], dict[int, SimCandle]] = field(default_factory=dict)


def candle_book(state: SimState) -> CandleBook:
    book = state.extra.get(CANDLES_KEY)
    if book is None:
        book = state.extra[CANDLES_KEY] = CandleBook()
    assert isinstance(book, CandleBook)
    return book


def slot_start(time_ms: int, interval_ms: int) -> int:
    return time_ms - time_ms % interval_ms


def candles(
    engine: Engine,
    book: CandleBook,
    symbol: str,
    interval_ms: int,
    *,
    now_ms: int,
    limit: int,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> list[SimCandle]:
    """Up to ``limit`` candles, oldest first, whose open time is in [start, end] (end defaults to now; with only
    a start, the ``limit`` candles from it; otherwise the newest ``limit`` up to end — as the exchanges answer)."""
    engine.instrument(symbol)  # raises TradeRejected(UNKNOWN_SYMBOL) for a symbol the engine does not trade
    last = slot_start(min(end_ms if end_ms is not None else now_ms, now_ms), interval_ms)
    if start_ms is not None:
        first = slot_start(start_ms, interval_ms)
        if first < start_ms:
            first += interval_ms
        last = min(last, first + (limit - 1) * interval_ms)
    else:
        first = last - (limit - 1) * interval_ms
    series = book.loaded.get((symbol, interval_ms), {})
    out: list[SimCandle] = []
    for open_time in range(first, last + 1, interval_ms):
        out.append(series.get(open_time) or _synthetic(engine, symbol, open_time, interval_ms, now_ms))
    return out


def _synthetic(engine: Engine, symbol: str, open_time: int, interval_ms: int, now_ms: int) -> SimCandle:
    path = engine.paths.get(symbol)
    if path is None:
        price = engine.instrument(symbol).reference_price
        return SimCandle(open_time, price, price, price, price, Decimal(0))
    end = min(open_time + interval_ms - 1, now_ms)
    opening = path.at(open_time)
    inside = path.between(open_time, end)  # prices that took effect in (open, end], then the one at end
    prices = [opening, *inside]
    return SimCandle(open_time, opening, max(prices), min(prices), inside[-1], Decimal(0))


def load_series(state: SimState, engine: Engine, payload: dict[str, Any]) -> dict[str, Any]:
    """`POST /_sim/candles`: validate, store the series ending with the last closed candle, set the mark."""
    symbol = payload.get("symbol")
    if not isinstance(symbol, str) or symbol not in engine.instruments:
        known = ", ".join(engine.instruments) or "none"
        raise ControlInputError("symbol", f"unknown symbol {symbol!r}; this simulator trades: {known}")
    interval = payload.get("interval")
    if interval not in CONTROL_INTERVALS_MS:
        raise ControlInputError("interval", f"must be one of {', '.join(CONTROL_INTERVALS_MS)}")
    closes_raw = payload.get("closes")
    if not isinstance(closes_raw, list) or not closes_raw or len(closes_raw) > MAX_LOADED:
        raise ControlInputError("closes", f'required: a list of 1 to {MAX_LOADED} prices, e.g. ["100", "101.5"]')
    closes = [decimal_value(raw, f"closes[{i}]") for i, raw in enumerate(closes_raw)]
    volumes_raw = payload.get("volumes")
    if volumes_raw is None:
        volumes = [Decimal(0)] * len(closes)
    elif not isinstance(volumes_raw, list) or len(volumes_raw) != len(closes):
        raise ControlInputError("volumes", "must be a list as long as closes")
    else:
        volumes = [decimal_value(raw, f"volumes[{i}]", positive=False) for i, raw in enumerate(volumes_raw)]
    interval_ms = CONTROL_INTERVALS_MS[str(interval)]
    now = state.now_ms()
    first = slot_start(now, interval_ms) - len(closes) * interval_ms
    series: dict[int, SimCandle] = {}
    previous = closes[0]
    for index, (close, volume) in enumerate(zip(closes, volumes, strict=True)):
        open_time = first + index * interval_ms
        series[open_time] = SimCandle(open_time, previous, max(previous, close), min(previous, close), close, volume)
        previous = close
    candle_book(state).loaded[(symbol, interval_ms)] = series
    engine.set_path(symbol, [(0, closes[-1])])
    return {
        "symbol": symbol,
        "interval": interval,
        "count": len(series),
        "first_open_time": first,
        "last_open_time": first + (len(closes) - 1) * interval_ms,
        "mark": str(closes[-1]),
    }


async def _load(request: Request) -> Response:
    state = sim_state(request)
    engine = trading_engine(request)
    try:
        payload = await read_json_object(request)
        return JSONResponse(load_series(state, engine, payload))
    except ControlInputError as exc:
        return error_response(exc)


async def _list(request: Request) -> Response:
    """`GET /_sim/candles`: which series are loaded (symbol, interval, count)."""
    book = candle_book(sim_state(request))
    names = {ms: name for name, ms in CONTROL_INTERVALS_MS.items()}
    rows = [
        {"symbol": symbol, "interval": names.get(ms, str(ms)), "count": len(series)}
        for (symbol, ms), series in sorted(book.loaded.items())
    ]
    return JSONResponse({"loaded": rows})


def candle_control_routes() -> list[Route]:
    return [
        Route("/_sim/candles", _load, methods=["POST"]),
        Route("/_sim/candles", _list, methods=["GET"]),
    ]


def int_param(raw: str | None, *, minimum: int = 0) -> int | None:
    """A query parameter that must be a whole number (ms or a count): None when absent, ValueError when bad."""
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise ValueError(raw)
    value = int(raw)
    if value < minimum:
        raise ValueError(raw)
    return value


def text(value: Decimal) -> str:
    """A price as the exchanges write it: plain decimal, no exponent, no trailing zeros."""
    return format(value.normalize(), "f") if value else "0"
