"""Aster candles: GET /fapi/v3/klines (aster-finance-futures-api-v3.md "Kline/Candlestick Data", Binance layout).

Wire format: a bare array, oldest first, of ``[openTime, "open", "high", "low", "close", "volume", closeTime,
"quoteVolume", trades, "takerBuyBase", "takerBuyQuote", "ignore"]`` (times are numbers), the newest still open;
``limit`` up to 1500. Errors: ``{"code": -1121, "msg": "Invalid symbol."}``, ``-1120`` "Invalid interval.".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradedock.domain import Candle, CandleInterval, Environment
from tradedock.errors import ExchangeUnavailableError, UnexpectedResponseError
from tradedock.exchanges.aster import endpoints
from tradedock.exchanges.aster.errors import ERROR_TABLE
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.candles import candle_row, checked_limit, oldest_first, unknown_interval, unknown_symbol
from tradedock.exchanges.http import ExchangeHttp

EXCHANGE = "Aster"
MAX_LIMIT = 1500
#: FUTURES_DOC "Kline/Candlestick chart intervals".
INTERVALS = {interval: interval.value for interval in CandleInterval}


def public_base_url(flavor: Environment) -> str:
    return endpoints.FUTURES_BASE_URLS.get(flavor, endpoints.FUTURES_BASE_URLS[Environment.LIVE])


def public_http(base_url: str, options: HttpOptions) -> ExchangeHttp:
    return ExchangeHttp("aster", base_url.rstrip("/"), options, rates=endpoints.RATES)


def parse_candles(body: Any, status: int, interval: CandleInterval, symbol: str) -> tuple[Candle, ...]:
    """An answer's candles, oldest first; error envelopes become domain errors."""
    if isinstance(body, Mapping) and "code" in body:
        code, message = str(body["code"]), str(body.get("msg") or "")
        if code == "-1121":
            raise unknown_symbol(EXCHANGE, symbol)
        if code == "-1120":
            raise unknown_interval(EXCHANGE, interval.value)
        ERROR_TABLE.raise_for(code, message)
    if status >= 500:
        raise ExchangeUnavailableError(f"Aster had a server error (HTTP {status})", exchange=EXCHANGE)
    if not isinstance(body, list):
        raise UnexpectedResponseError(f"Aster answered HTTP {status} without a kline list", exchange=EXCHANGE)
    return oldest_first(candle_row(row, interval, EXCHANGE) for row in body)


async def fetch_candles(http: ExchangeHttp, symbol: str, interval: CandleInterval, limit: int) -> tuple[Candle, ...]:
    limit = checked_limit(limit, MAX_LIMIT, EXCHANGE)
    params = {"symbol": symbol, "interval": INTERVALS[interval], "limit": str(limit)}
    response, body = await http.request(endpoints.KLINES.method, endpoints.KLINES.path, params=params)
    return parse_candles(body, response.status_code, interval, symbol)
