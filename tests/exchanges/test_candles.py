"""Candles: each exchange's parser against answers written from its docs (not produced by our simulator), error
answers that name the field, and the public client plus a trader against the simulators end to end."""

from __future__ import annotations

import itertools
from decimal import Decimal as D
from typing import Any

import httpx
import pytest

from tradedock.domain import CandleInterval, Environment, ExchangeId
from tradedock.errors import InvalidInputError, UnexpectedResponseError
from tradedock.exchanges import candles as shared
from tradedock.exchanges.aster import candles as aster
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.bitget import candles as bitget
from tradedock.exchanges.bybit import candles as bybit
from tradedock.exchanges.candles import public_market
from tradedock_sim.app import create_app
from tradedock_sim.client import SimControl

H1 = CandleInterval.H1

# https://bybit-exchange.github.io/docs/v5/market/kline "Response Example" (newest first).
BYBIT_DOC = {
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "symbol": "BTCUSD",
        "category": "inverse",
        "list": [
            ["1670608800000", "17071", "17073", "17027", "17055.5", "268611", "15.74462667"],
            ["1670605200000", "17071.5", "17071.5", "17061", "17071", "4177", "0.24469757"],
            ["1670601600000", "17086.5", "17088", "16978", "17071.5", "6356", "0.37288112"],
        ],
    },
    "retExtInfo": {},
    "time": 1672025956592,
}

# Shape of https://www.bitget.com/api-doc/contract/market/Get-Candle-Data "Response Example" (index[0] ts …
# index[6] quote volume, ascending), values from its history-candles sibling page.
BITGET_DOC = {
    "code": "00000",
    "msg": "success",
    "requestTime": 1695865864944,
    "data": [
        ["1687708800000", "27176.93", "27177.43", "27166.93", "27177.43", "2990.08", "81246917.3294"],
        ["1687712400000", "27177.43", "27177.43", "24000", "24001", "2989.1", "72450031.0448"],
    ],
}

# aster-finance-futures-api-v3.md "Kline/Candlestick Data" response (the Binance layout; times are numbers).
ASTER_DOC = [
    [
        1499040000000, "0.01634790", "0.80000000", "0.01575800", "0.01577100", "148976.11427815",
        1499043599999, "2434.19055334", 308, "1756.87402397", "28.46694368", "17928899.62484339",
    ]
]  # fmt: skip


def test_bybit_doc_answer_is_read_oldest_first() -> None:
    candles = bybit.parse_candles(BYBIT_DOC, 200, H1, "BTCUSD")
    assert [c.open_time_ms for c in candles] == [1670601600000, 1670605200000, 1670608800000]
    first = candles[0]
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        D("17086.5"), D("17088"), D("16978"), D("17071.5"), D("6356"),
    )  # fmt: skip
    assert candles[-1].close == D("17055.5")
    assert candles[-1].close_time_ms == 1670608800000 + 3_600_000


def test_bitget_doc_answer() -> None:
    candles = bitget.parse_candles(BITGET_DOC, 200, H1, "BTCUSDT")
    assert [(c.open_time_ms, c.close) for c in candles] == [(1687708800000, D("27177.43")), (1687712400000, D("24001"))]
    assert candles[1].low == D("24000") and candles[1].volume == D("2989.1")


def test_aster_doc_answer() -> None:
    (candle,) = aster.parse_candles(ASTER_DOC, 200, H1, "BTCUSDT")
    assert candle.open_time_ms == 1499040000000
    assert (candle.open, candle.high, candle.low, candle.close) == (
        D("0.01634790"), D("0.80000000"), D("0.01575800"), D("0.01577100"),
    )  # fmt: skip
    assert candle.volume == D("148976.11427815")


@pytest.mark.parametrize(
    ("parse", "body", "status", "field"),
    [
        (bybit.parse_candles, {"retCode": 10001, "retMsg": "Not supported symbols", "result": {}}, 200, "symbol"),
        (
            bybit.parse_candles,
            {"retCode": 10001, "retMsg": "params error: intervalTime is invalid", "result": {}},
            200,
            "interval",
        ),
        (bitget.parse_candles, {"code": "40034", "msg": "Parameter symbol does not exist"}, 400, "symbol"),
        (bitget.parse_candles, {"code": "40020", "msg": "Parameter granularity error"}, 400, "interval"),
        (aster.parse_candles, {"code": -1121, "msg": "Invalid symbol."}, 400, "symbol"),
        (aster.parse_candles, {"code": -1120, "msg": "Invalid interval."}, 400, "interval"),
    ],
)
def test_refusals_name_the_field(parse: Any, body: Any, status: int, field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse(body, status, H1, "NOPEUSDT")
    assert caught.value.field == field
    assert caught.value.fix


@pytest.mark.parametrize(
    ("parse", "body"),
    [
        (bybit.parse_candles, {"retCode": 0, "result": {"list": [["1", "x", "1", "1", "1", "1", "1"]]}}),
        (bitget.parse_candles, {"code": "00000", "data": [["1", "1", "1"]]}),
        (aster.parse_candles, {"unexpected": True}),
    ],
)
def test_unreadable_answers_are_unexpected(parse: Any, body: Any) -> None:
    with pytest.raises(UnexpectedResponseError):
        parse(body, 200, H1, "BTCUSDT")


def test_limit_outside_the_exchange_range_is_refused_before_sending() -> None:
    with pytest.raises(InvalidInputError) as caught:
        shared.checked_limit(201, bybit.MAX_LIMIT, "Bybit")
    assert caught.value.field == "limit"


CLOSES = ["100", "101", "103", "102", "104", "107"]


@pytest.mark.parametrize("exchange", [ExchangeId.BYBIT, ExchangeId.BITGET, ExchangeId.ASTER])
async def test_public_market_reads_a_loaded_series_from_the_simulator(exchange: ExchangeId) -> None:
    app = create_app(exchange.value, seed=3)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as control:
        loaded = await SimControl(control).load_candles("BTCUSDT", "1h", CLOSES)
        market = public_market(exchange, base_url="http://sim", options=HttpOptions(transport=transport))
        candles = await market.candles("BTCUSDT", H1, 8)
    assert len(candles) == 8
    closed, still_open = candles[:-1], candles[-1]
    assert [c.close for c in closed[-6:]] == [D(c) for c in CLOSES]
    assert closed[-1].open_time_ms == loaded["last_open_time"]
    assert still_open.open_time_ms == loaded["last_open_time"] + H1.ms
    assert still_open.close == D("107")  # the mark is the last close
    assert [b.open_time_ms - a.open_time_ms for a, b in itertools.pairwise(candles)] == [H1.ms] * 7


async def test_public_market_unknown_symbol_from_the_simulator() -> None:
    transport = httpx.ASGITransport(app=create_app("aster"), client=("127.0.0.1", 40000))
    market = public_market(ExchangeId.ASTER, base_url="http://sim", options=HttpOptions(transport=transport))
    with pytest.raises(InvalidInputError) as caught:
        await market.candles("NOPEUSDT", H1, 5)
    assert caught.value.field == "symbol"


def test_official_urls_for_public_market_data() -> None:
    assert public_market(ExchangeId.BYBIT).http.base_url == "https://api.bybit.com"
    assert public_market(ExchangeId.BYBIT, flavor=Environment.TESTNET).http.base_url == "https://api-testnet.bybit.com"
    assert public_market(ExchangeId.BITGET, flavor=Environment.DEMO).http.base_url == "https://api.bitget.com"
    assert public_market(ExchangeId.ASTER).http.base_url == "https://fapi.asterdex.com"


async def test_a_trader_reads_candles_through_its_own_connection() -> None:
    from tests.exchanges.bitget.test_trading_sim import ROOT, new_trader

    transport = httpx.ASGITransport(app=create_app("bitget", seed=5), client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=ROOT) as control:
        await SimControl(control).load_candles("ETHUSDT", "15m", ["10", "11", "12"])
        trader = await new_trader(control, ROOT, HttpOptions(transport=transport))
        candles = await trader.candles("ETHUSDT", CandleInterval.M15, 4)
    assert [c.close for c in candles] == [D("10"), D("11"), D("12"), D("12")]
    assert all(c.interval is CandleInterval.M15 for c in candles)
