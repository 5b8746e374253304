"""Bybit candles: GET /v5/market/kline (category=linear), https://bybit-exchange.github.io/docs/v5/market/kline.

Wire format: ``result.list`` of string arrays ``[startTime, open, high, low, close, volume, turnover]``, sorted in
reverse by startTime (newest first, the newest still open); ``limit`` 1..200. Unknown symbol and interval are
retCode 10001 ("Not supported symbols", "params error: intervalTime is invalid"; wording UNCONFIRMED).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradedock.domain import Candle, CandleInterval, Environment
from tradedock.errors import ExchangeUnavailableError, UnexpectedResponseError
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.bybit import endpoints
from tradedock.exchanges.bybit.errors import ERROR_TABLE
from tradedock.exchanges.candles import candle_row, checked_limit, oldest_first, unknown_interval, unknown_symbol
from tradedock.exchanges.http import ExchangeHttp

EXCHANGE = "Bybit"
MAX_LIMIT = 200
#: https://bybit-exchange.github.io/docs/v5/enum#interval (minutes, then D)
INTERVALS = {
    CandleInterval.M1: "1",
    CandleInterval.M3: "3",
    CandleInterval.M5: "5",
    CandleInterval.M15: "15",
    CandleInterval.M30: "30",
    CandleInterval.H1: "60",
    CandleInterval.H4: "240",
    CandleInterval.H6: "360",
    CandleInterval.H12: "720",
    CandleInterval.D1: "D",
}


def public_base_url(flavor: Environment) -> str:
    return endpoints.BASE_URLS.get(flavor, endpoints.BASE_URLS[Environment.LIVE])


def public_http(base_url: str, options: HttpOptions) -> ExchangeHttp:
    return ExchangeHttp(EXCHANGE, base_url.rstrip("/"), options, rates=endpoints.RATES)


def parse_candles(body: Any, status: int, interval: CandleInterval, symbol: str) -> tuple[Candle, ...]:
    """An answer's candles, oldest first; error envelopes become domain errors."""
    if not isinstance(body, Mapping) or "retCode" not in body:
        if status >= 500:
            raise ExchangeUnavailableError(f"Bybit had a server error (HTTP {status})", exchange=EXCHANGE)
        raise UnexpectedResponseError("Bybit answered the kline request without a retCode envelope", exchange=EXCHANGE)
    code, message = body.get("retCode"), str(body.get("retMsg") or "")
    if code != 0:
        if str(code) == "10001" and "symbol" in message.lower():
            raise unknown_symbol(EXCHANGE, symbol)
        if str(code) == "10001" and "interval" in message.lower():
            raise unknown_interval(EXCHANGE, interval.value)
        ERROR_TABLE.raise_for(code, message)
    result = body.get("result")
    rows = result.get("list") if isinstance(result, Mapping) else None
    if not isinstance(rows, list):
        raise UnexpectedResponseError("Bybit sent klines without a list", exchange=EXCHANGE)
    return oldest_first(candle_row(row, interval, EXCHANGE) for row in rows)


async def fetch_candles(http: ExchangeHttp, symbol: str, interval: CandleInterval, limit: int) -> tuple[Candle, ...]:
    params = {
        "category": "linear",
        "symbol": symbol,
        "interval": INTERVALS[interval],
        "limit": str(checked_limit(limit, MAX_LIMIT, EXCHANGE)),
    }
    response, body = await http.request(endpoints.KLINE.method, endpoints.KLINE.path, params=params)
    return parse_candles(body, response.status_code, interval, symbol)
