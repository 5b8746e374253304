"""Bitget V2 futures `GET /api/v2/mix/market/candles` (https://www.bitget.com/api-doc/contract/market/Get-Candle-Data),
from the shared candle history (`core/candles.py`).

Wire facts from the doc page: ``symbol``, ``productType`` and ``granularity`` (1m 3m 5m 15m 30m 1H 4H 6H 12H 1D 3D
1W 1M and the *utc variants) are required; ``startTime``/``endTime`` in ms; ``kLineType`` MARKET (default), MARK or
INDEX; ``limit`` default 100, max 1000; 20 requests/s per IP. ``data`` is a list of string arrays ``[ts, open, high,
low, close, baseVolume, quoteVolume]``, oldest first (the doc's examples are in ascending time); the newest is the
candle still open. Only USDT-FUTURES symbols the matching engine trades have candles here; MARK and INDEX candles
are the same as MARKET (the simulator has one price). UNCONFIRMED (not in the docs): an unknown symbol answers
40034 "Parameter symbol does not exist" (as the ticker here), an unknown granularity 40020 "Parameter granularity
error", a bad limit or time 40020 naming it, a limit above 1000 is served as 1000. 3D, 1W, 1M and the *utc
granularities are not simulated: answered as unknown.
"""

from __future__ import annotations

from typing import Any

from tradedock_sim.bitget import instruments
from tradedock_sim.bitget.endpoint import Context, Endpoint
from tradedock_sim.bitget.errors import BitgetError, ErrorSpec
from tradedock_sim.bitget.trading import PRODUCT_TYPE, engine_instruments, new_order_id
from tradedock_sim.core.candles import candle_book, candles, int_param, text
from tradedock_sim.core.trading_control import engine_of

GRANULARITIES_MS = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1H": 3_600_000,
    "4H": 14_400_000,
    "6H": 21_600_000,
    "12H": 43_200_000,
    "1D": 86_400_000,
}
K_LINE_TYPES = ("MARKET", "MARK", "INDEX")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def _parameter_error(name: str) -> BitgetError:
    return BitgetError(ErrorSpec("40020", f"Parameter {name} error"))


def _number(context: Context, name: str, *, minimum: int = 0) -> int | None:
    try:
        return int_param(context.param(name), minimum=minimum)
    except ValueError:
        raise _parameter_error(name) from None


def mix_candles(context: Context) -> Any:
    symbol = context.required("symbol").upper()
    product_type = context.required("productType").upper()  # the docs' example sends "usdt-futures"
    if product_type not in instruments.PRODUCT_TYPES:
        raise _parameter_error("productType")
    granularity = context.required("granularity")
    interval_ms = GRANULARITIES_MS.get(granularity)
    if interval_ms is None:
        raise _parameter_error("granularity")
    if (context.param("kLineType") or "MARKET").upper() not in K_LINE_TYPES:
        raise _parameter_error("kLineType")
    limit = _number(context, "limit", minimum=1) or DEFAULT_LIMIT
    state = context.state
    engine = engine_of(state, engine_instruments, lambda: new_order_id(state))
    if product_type != PRODUCT_TYPE or symbol not in engine.instruments:
        raise BitgetError(ErrorSpec("40034", "Parameter symbol does not exist"))
    rows = candles(
        engine,
        candle_book(state),
        symbol,
        interval_ms,
        now_ms=context.now_ms,
        limit=min(limit, MAX_LIMIT),
        start_ms=_number(context, "startTime"),
        end_ms=_number(context, "endTime"),
    )
    return [
        [str(c.open_time), text(c.open), text(c.high), text(c.low), text(c.close), text(c.volume), text(c.turnover())]
        for c in rows
    ]


ENDPOINTS: tuple[Endpoint, ...] = (
    # https://www.bitget.com/api-doc/contract/market/Get-Candle-Data (20/s per IP)
    Endpoint("GET", "/api/v2/mix/market/candles", "public", 20, mix_candles),
)
