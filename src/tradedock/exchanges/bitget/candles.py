"""Bitget candles: GET /api/v2/mix/market/candles (productType=USDT-FUTURES),
https://www.bitget.com/api-doc/contract/market/Get-Candle-Data.

Wire format: ``{"code": "00000", "data": [[ts, open, high, low, close, baseVolume, quoteVolume], ...]}`` — string
arrays, oldest first (the doc's examples; sorted here anyway), the newest still open; ``limit`` up to 1000. Demo
trading reads the same market (demo symbols are the live ones), so no ``paptrading`` header is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradedock.domain import Candle, CandleInterval, Environment
from tradedock.errors import ExchangeUnavailableError, UnexpectedResponseError
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.bitget import endpoints
from tradedock.exchanges.bitget.errors import ERROR_TABLE, SUCCESS_CODE
from tradedock.exchanges.bitget.signing import public_headers
from tradedock.exchanges.candles import candle_row, checked_limit, oldest_first, unknown_interval, unknown_symbol
from tradedock.exchanges.http import ExchangeHttp

EXCHANGE = "Bitget"
MAX_LIMIT = 1000
PRODUCT_TYPE = "USDT-FUTURES"
#: The doc's granularity list (minutes lower case, hours and days upper case).
GRANULARITIES = {
    CandleInterval.M1: "1m",
    CandleInterval.M3: "3m",
    CandleInterval.M5: "5m",
    CandleInterval.M15: "15m",
    CandleInterval.M30: "30m",
    CandleInterval.H1: "1H",
    CandleInterval.H4: "4H",
    CandleInterval.H6: "6H",
    CandleInterval.H12: "12H",
    CandleInterval.D1: "1D",
}


def public_base_url(flavor: Environment) -> str:
    return endpoints.LIVE_BASE_URL


def public_http(base_url: str, options: HttpOptions) -> ExchangeHttp:
    return ExchangeHttp(EXCHANGE, base_url.rstrip("/"), options, rates=endpoints.RATES)


def parse_candles(body: Any, status: int, interval: CandleInterval, symbol: str) -> tuple[Candle, ...]:
    """An answer's candles, oldest first; error envelopes become domain errors."""
    if not isinstance(body, Mapping) or "code" not in body:
        if status >= 500:
            raise ExchangeUnavailableError(f"Bitget had a server error (HTTP {status})", exchange=EXCHANGE)
        raise UnexpectedResponseError(f"Bitget answered HTTP {status} without its envelope", exchange=EXCHANGE)
    code, message = str(body["code"]), str(body.get("msg") or "")
    if code != SUCCESS_CODE:
        if code in ("40034", "40020") and "symbol" in message.lower():
            raise unknown_symbol(EXCHANGE, symbol)
        if code == "40020" and "granularity" in message.lower():
            raise unknown_interval(EXCHANGE, interval.value)
        ERROR_TABLE.raise_for(code, message)
    rows = body.get("data")
    if not isinstance(rows, list):
        raise UnexpectedResponseError("Bitget sent candles without a list", exchange=EXCHANGE)
    return oldest_first(candle_row(row, interval, EXCHANGE) for row in rows)


async def fetch_candles(http: ExchangeHttp, symbol: str, interval: CandleInterval, limit: int) -> tuple[Candle, ...]:
    params = {
        "symbol": symbol,
        "productType": PRODUCT_TYPE,
        "granularity": GRANULARITIES[interval],
        "limit": str(checked_limit(limit, MAX_LIMIT, EXCHANGE)),
    }
    endpoint = endpoints.MIX_CANDLES
    response, body = await http.request(endpoint.method, endpoint.path, params=params, headers=public_headers())
    return parse_candles(body, response.status_code, interval, symbol)
