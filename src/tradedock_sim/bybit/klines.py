"""Bybit V5 `GET /v5/market/kline` (https://bybit-exchange.github.io/docs/v5/market/kline), from the shared candle
history (`core/candles.py`).

Wire facts from the doc page: ``category`` (spot, linear, inverse), ``symbol`` and ``interval`` (1 3 5 15 30 60 120
240 360 720 D W M) are required; ``start``/``end`` are ms; ``limit`` is 1..200, default 200. The answer's
``result.list`` holds string arrays ``[startTime, open, high, low, close, volume, turnover]`` sorted in reverse by
startTime (newest first); the newest candle is the one still open. Only ``linear`` symbols the matching engine
trades have candles here. UNCONFIRMED (not in the docs): an unknown interval answers 10001 "params error:
intervalTime is invalid" (Bybit's wording on premium-index-price-kline, pybit issue 308), an unknown symbol 10001
"Not supported symbols" (as tickers), a limit above 200 is served as 200, a bad number 10001 "params error".
W and M (week, month) are not simulated: answered as an invalid interval.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tradedock_sim.bybit import envelope
from tradedock_sim.core import sim_state
from tradedock_sim.core.candles import candle_book, candles, int_param, text
from tradedock_sim.core.orders import TradeRejected
from tradedock_sim.core.trading_control import trading_engine

CATEGORIES = ("spot", "linear", "inverse")
INTERVALS_MS = {
    "1": 60_000,
    "3": 180_000,
    "5": 300_000,
    "15": 900_000,
    "30": 1_800_000,
    "60": 3_600_000,
    "120": 7_200_000,
    "240": 14_400_000,
    "360": 21_600_000,
    "720": 43_200_000,
    "D": 86_400_000,
}
MAX_LIMIT = 200


async def kline(request: Request) -> Response:
    params = request.query_params
    category = params.get("category")
    if category not in CATEGORIES:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: category invalid")
    symbol = params.get("symbol") or ""
    interval_ms = INTERVALS_MS.get(params.get("interval") or "")
    if interval_ms is None:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: intervalTime is invalid")
    try:
        start = int_param(params.get("start"))
        end = int_param(params.get("end"))
        limit = int_param(params.get("limit"), minimum=1)
    except ValueError:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error")
    engine = trading_engine(request)
    if category != "linear" or symbol not in engine.instruments:
        return envelope.error(request, envelope.PARAMS_ERROR, "Not supported symbols")
    state = sim_state(request)
    try:
        rows = candles(
            engine,
            candle_book(state),
            symbol,
            interval_ms,
            now_ms=state.now_ms(),
            limit=min(limit or MAX_LIMIT, MAX_LIMIT),
            start_ms=start,
            end_ms=end,
        )
    except TradeRejected:  # pragma: no cover - the symbol was checked above
        return envelope.error(request, envelope.PARAMS_ERROR, "Not supported symbols")
    listed = [
        [str(c.open_time), text(c.open), text(c.high), text(c.low), text(c.close), text(c.volume), text(c.turnover())]
        for c in reversed(rows)
    ]
    return envelope.ok(request, {"symbol": symbol, "category": category, "list": listed})
