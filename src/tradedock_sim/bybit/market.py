"""Public Bybit V5 market endpoints: server time and a small instrument list (what ccxt's load_markets reads).

Belongs here: unauthenticated endpoints. Private endpoints are in `routes.py` and `positions.py`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tradedock_sim.bybit import envelope
from tradedock_sim.bybit.klines import kline
from tradedock_sim.core import sim_state
from tradedock_sim.core.orders import Instrument
from tradedock_sim.core.trading_control import trading_engine

LINEAR_LOT = {"maxOrderQty": "1190.000", "minOrderQty": "0.001", "qtyStep": "0.001", "minNotionalValue": "5"}


def _spot(symbol: str, base: str, tick: str, base_precision: str) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "baseCoin": base,
        "quoteCoin": "USDT",
        "innovation": "0",
        "status": "Trading",
        "marginTrading": "utaOnly",
        "stTag": "0",
        "lotSizeFilter": {
            "basePrecision": base_precision,
            "quotePrecision": "0.00000001",
            "minOrderQty": base_precision,
            "maxOrderQty": "1000",
            "minOrderAmt": "1",
            "maxOrderAmt": "4000000",
        },
        "priceFilter": {"tickSize": tick},
    }


def _contract(
    symbol: str, base: str, quote: str, settle: str, contract_type: str, tick: str, lot: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "contractType": contract_type,
        "status": "Trading",
        "baseCoin": base,
        "quoteCoin": quote,
        "launchTime": "1585526400000",
        "deliveryTime": "0",
        "deliveryFeeRate": "",
        "priceScale": "2",
        "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
        "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": tick},
        "lotSizeFilter": dict(lot or LINEAR_LOT)
        if quote == "USDT"
        else {"maxOrderQty": "1000000", "minOrderQty": "1", "qtyStep": "1"},
        "unifiedMarginTrade": True,
        "fundingInterval": 480,
        "settleCoin": settle,
        "copyTrading": "both",
        "upperFundingRate": "0.00375",
        "lowerFundingRate": "-0.00375",
    }


# Shapes from https://bybit-exchange.github.io/docs/v5/market/instrument (response examples).
INSTRUMENTS: dict[str, list[dict[str, Any]]] = {
    "spot": [_spot("BTCUSDT", "BTC", "0.01", "0.000001"), _spot("ETHUSDT", "ETH", "0.01", "0.00001")],
    "linear": [
        _contract("BTCUSDT", "BTC", "USDT", "USDT", "LinearPerpetual", "0.10"),
        _contract("ETHUSDT", "ETH", "USDT", "USDT", "LinearPerpetual", "0.01"),
        # Coarser lots and finer ticks, so order rounding is exercised (values as Bybit lists these symbols).
        _contract(
            "SOLUSDT",
            "SOL",
            "USDT",
            "USDT",
            "LinearPerpetual",
            "0.010",
            {"maxOrderQty": "79770.0", "minOrderQty": "0.1", "qtyStep": "0.1", "minNotionalValue": "5"},
        ),
        _contract(
            "DOGEUSDT",
            "DOGE",
            "USDT",
            "USDT",
            "LinearPerpetual",
            "0.00001",
            {"maxOrderQty": "32040000", "minOrderQty": "1", "qtyStep": "1", "minNotionalValue": "5"},
        ),
    ],
    "inverse": [_contract("BTCUSD", "BTC", "USD", "BTC", "InversePerpetual", "0.50")],
    "option": [],
}

# Reference prices for USD valuation in wallet answers (simulated, fixed).
USD_PRICES = {"USDT": "1", "USDC": "1", "BTC": "60000", "ETH": "3000", "SOL": "150", "DOGE": "0.12"}


def engine_instruments() -> list[Instrument]:
    """The USDT perpetuals above as the shared matching engine sees them (margin in the UNIFIED wallet)."""
    out: list[Instrument] = []
    for row in INSTRUMENTS["linear"]:
        if row["settleCoin"] != "USDT":
            continue
        lot, price, leverage = row["lotSizeFilter"], row["priceFilter"], row["leverageFilter"]
        out.append(
            Instrument(
                symbol=row["symbol"],
                base=row["baseCoin"],
                quote=row["quoteCoin"],
                settle=row["settleCoin"],
                wallet="UNIFIED",
                tick=Decimal(price["tickSize"]),
                lot=Decimal(lot["qtyStep"]),
                min_qty=Decimal(lot["minOrderQty"]),
                max_qty=Decimal(lot["maxOrderQty"]),
                min_notional=Decimal(lot["minNotionalValue"]),
                max_leverage=Decimal(leverage["maxLeverage"]),
                reference_price=Decimal(USD_PRICES[row["baseCoin"]]),
            )
        )
    return out


async def server_time(request: Request) -> Response:
    """GET /v5/market/time (https://bybit-exchange.github.io/docs/v5/market/time)."""
    now = sim_state(request).now_ms()
    return envelope.ok(request, {"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)})


async def instruments_info(request: Request) -> Response:
    """GET /v5/market/instruments-info (https://bybit-exchange.github.io/docs/v5/market/instrument)."""
    params = request.query_params
    category = params.get("category")
    if category not in INSTRUMENTS:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: category invalid")
    rows = INSTRUMENTS[category]
    # Every simulated instrument is live: PreLaunch lists and later pages are empty.
    if params.get("status") not in (None, "Trading") or params.get("cursor"):
        rows = []
    if symbol := params.get("symbol"):
        rows = [row for row in rows if row["symbol"] == symbol]
    if base := params.get("baseCoin"):
        rows = [row for row in rows if row["baseCoin"] == base]
    result: dict[str, Any] = {"category": category, "list": rows}
    if category != "spot":
        result["nextPageCursor"] = ""
    return envelope.ok(request, result)


async def tickers(request: Request) -> Response:
    """GET /v5/market/tickers (https://bybit-exchange.github.io/docs/v5/market/tickers): linear prices come from
    the matching engine's mark (`POST /_sim/prices`); the simulated book is one tick wide around it."""
    params = request.query_params
    category = params.get("category")
    if category not in INSTRUMENTS:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: category invalid")
    engine = trading_engine(request)
    symbol = params.get("symbol")
    rows = []
    for row in INSTRUMENTS[category]:
        if symbol not in (None, row["symbol"]) or category != "linear" or row["symbol"] not in engine.instruments:
            continue
        mark = engine.mark(row["symbol"])
        tick = engine.instruments[row["symbol"]].tick
        rows.append(
            {
                "symbol": row["symbol"],
                "lastPrice": _text(mark),
                "indexPrice": _text(mark),
                "markPrice": _text(mark),
                "prevPrice24h": _text(mark),
                "price24hPcnt": "0",
                "highPrice24h": _text(mark),
                "lowPrice24h": _text(mark),
                "prevPrice1h": _text(mark),
                "openInterest": "0",
                "openInterestValue": "0",
                "turnover24h": "0",
                "volume24h": "0",
                "fundingRate": "0.0001",
                "nextFundingTime": str((sim_state(request).now_ms() // 28_800_000 + 1) * 28_800_000),
                "predictedDeliveryPrice": "",
                "basisRate": "",
                "deliveryFeeRate": "",
                "deliveryTime": "0",
                "ask1Size": "1",
                "bid1Price": _text(mark - tick),
                "ask1Price": _text(mark + tick),
                "bid1Size": "1",
                "basis": "",
            }
        )
    if symbol and not rows and category == "linear":
        return envelope.error(request, envelope.PARAMS_ERROR, "Not supported symbols")
    return envelope.ok(request, {"category": category, "list": rows})


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def routes() -> list[BaseRoute]:
    return [
        Route("/v5/market/time", server_time, methods=["GET"]),
        Route("/v5/market/tickers", tickers, methods=["GET"]),
        Route("/v5/market/instruments-info", instruments_info, methods=["GET"]),
        Route("/v5/market/kline", kline, methods=["GET"]),
    ]
