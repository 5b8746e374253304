"""ccxt 4.5 and pybit 5.17 trade against the Bybit simulator over real loopback: orders, positions, leverage,
position mode, and the exception classes each library raises for the simulator's refusals.

Both libraries are independent of the simulator; their parsers decide whether the answers are right.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import httpx
import pytest
from pybit.exceptions import InvalidRequestError
from pybit.unified_trading import HTTP

from tradedock_sim.client import SimControl
from tradedock_sim.server import BackgroundSims

MakeExchange = Callable[..., Awaitable[Any]]
BTC = "BTC/USDT:USDT"


@pytest.fixture
def bybit_sim(sim_servers) -> BackgroundSims:
    return sim_servers("bybit")


@pytest.fixture
async def control(bybit_sim: BackgroundSims) -> AsyncIterator[SimControl]:
    async with httpx.AsyncClient(base_url=bybit_sim.urls["bybit"]) as client:
        yield SimControl(client)


@pytest.fixture
async def ccxt_bybit(bybit_sim: BackgroundSims) -> AsyncIterator[MakeExchange]:
    opened: list[Any] = []

    async def make(credentials: dict[str, str]) -> Any:
        exchange = ccxt.bybit(
            {"apiKey": credentials["api_key"], "secret": credentials["secret"], "enableRateLimit": False}
        )
        exchange.urls["api"] = dict.fromkeys(exchange.urls["api"], bybit_sim.urls["bybit"])
        opened.append(exchange)
        return exchange

    yield make
    for exchange in opened:
        await exchange.close()


def pybit_session(sims: BackgroundSims, credentials: dict[str, str]) -> HTTP:
    session = HTTP(api_key=credentials["api_key"], api_secret=credentials["secret"], max_retries=1)
    session.endpoint = sims.urls["bybit"]
    return session


async def healthy(control: SimControl, **account: Any) -> dict[str, Any]:
    uid = await control.create_account(balances={"UNIFIED": {"USDT": "1000"}}, **account)
    return await control.create_key(uid, {"ContractTrade": ["Order", "Position"]}, ips=["127.0.0.1"])


async def test_ccxt_order_lifecycle(control, ccxt_bybit) -> None:
    exchange = await ccxt_bybit(await healthy(control))
    await exchange.set_leverage(5, BTC)
    order = await exchange.create_order(BTC, "limit", "buy", 0.002, 50000, {"clientOrderId": "bot-1"})
    open_orders = await exchange.fetch_open_orders(BTC)
    assert [(o["id"], o["clientOrderId"], o["price"], o["amount"], o["status"]) for o in open_orders] == [
        (order["id"], "bot-1", 50000.0, 0.002, "open")
    ]
    balance = await exchange.fetch_balance()
    # 0.002 * 50000 / 5 = 20 USDT held as order margin.
    assert (balance["USDT"]["total"], balance["USDT"]["used"]) == (1000.0, 20.0)
    cancelled = await exchange.cancel_order(order["id"], BTC)
    assert cancelled["id"] == order["id"]
    assert await exchange.fetch_open_orders(BTC) == []


async def test_ccxt_market_order_opens_a_position_and_pays_the_fee(control, ccxt_bybit) -> None:
    exchange = await ccxt_bybit(await healthy(control))
    await exchange.create_order(BTC, "market", "buy", 0.01)
    [position] = await exchange.fetch_positions([BTC])
    assert (position["side"], position["contracts"], position["entryPrice"]) == ("long", 0.01, 60000.0)
    assert position["hedged"] is False
    await control.set_price("BTCUSDT", "61000")
    [position] = await exchange.fetch_positions([BTC])
    assert position["unrealizedPnl"] == pytest.approx(10.0)
    await exchange.create_order(BTC, "market", "sell", 0.01, None, {"reduceOnly": True})
    assert await exchange.fetch_positions(None, {"settleCoin": "USDT"}) == []
    balance = await exchange.fetch_balance()
    # +10 USDT profit, minus taker fees 0.01*60000*0.00055 + 0.01*61000*0.00055.
    assert Decimal(str(balance["USDT"]["total"])) == Decimal("1000") + 10 - Decimal("0.33") - Decimal("0.3355")
    trades = await exchange.fetch_my_trades(BTC)
    assert sorted(t["price"] for t in trades) == [60000.0, 61000.0]


async def test_ccxt_limit_order_fills_when_the_price_path_crosses(control, ccxt_bybit) -> None:
    exchange = await ccxt_bybit(await healthy(control))
    order = await exchange.create_order(BTC, "limit", "buy", 0.001, 59000)
    # The price dips through the limit and recovers before anyone looks: the order still fills, as maker.
    await control.set_price("BTCUSDT", path=[(0, "60000"), (1, "58900"), (2, "60100")])
    await control.http.post("/_sim/fees", json={"maker": "0.0001"})
    fetched = await exchange.fetch_order(order["id"], BTC, {"acknowledged": True})
    assert (fetched["status"], fetched["average"]) == ("closed", 59000.0)
    [trade] = await exchange.fetch_my_trades(BTC)
    assert trade["takerOrMaker"] == "maker"


async def test_ccxt_position_mode_and_leverage(control, ccxt_bybit) -> None:
    exchange = await ccxt_bybit(await healthy(control))
    await exchange.create_order(BTC, "market", "buy", 0.001)
    with pytest.raises(ccxt.BadRequest):  # 110024: an open position blocks the switch
        await exchange.set_position_mode(True)
    await exchange.create_order(BTC, "market", "sell", 0.001, None, {"reduceOnly": True})
    await exchange.set_position_mode(True)
    await exchange.create_order(BTC, "market", "buy", 0.001, None, {"hedged": True})
    # With a symbol, Bybit lists both hedge legs, the empty one included.
    legs = await exchange.fetch_positions([BTC])
    assert sorted((p["info"]["positionIdx"], p["contracts"], p["hedged"]) for p in legs) == [
        (1, 0.001, True),
        (2, 0.0, True),
    ]
    with pytest.raises(ccxt.BadRequest):  # 110043: leverage not modified
        await exchange.set_leverage(10, BTC)


async def test_ccxt_exception_classes(control, ccxt_bybit) -> None:
    uid = await control.create_account(balances={"UNIFIED": {"USDT": "100"}})
    read_only = await control.create_key(uid, {"ContractTrade": ["Order", "Position"]}, read_only=True)
    trader = await control.create_key(uid, {"ContractTrade": ["Order", "Position"]})
    with pytest.raises(ccxt.PermissionDenied):  # 10005
        await (await ccxt_bybit(read_only)).create_order(BTC, "market", "buy", 0.001)
    exchange = await ccxt_bybit(trader)
    with pytest.raises(ccxt.InvalidOrder):  # 110094: 0.001 ETH at 3000 is below 5 USDT
        await exchange.create_order("ETH/USDT:USDT", "market", "buy", 0.001)
    with pytest.raises(ccxt.InsufficientFunds):  # 110007: 0.5 BTC needs 3000 USDT of margin at 10x
        await exchange.create_order(BTC, "market", "buy", 0.5)
    with pytest.raises(ccxt.InvalidOrder):  # 110017: nothing to reduce
        await exchange.create_order(BTC, "market", "sell", 0.001, None, {"reduceOnly": True})
    await exchange.create_order(BTC, "limit", "buy", 0.001, 50000, {"clientOrderId": "dup"})
    with pytest.raises(ccxt.InvalidOrder):  # 110072: duplicate orderLinkId
        await exchange.create_order(BTC, "limit", "buy", 0.001, 50000, {"clientOrderId": "dup"})


def test_pybit_equivalents(bybit_sim: BackgroundSims) -> None:
    base = bybit_sim.urls["bybit"]
    with httpx.Client(base_url=base) as client:
        uid = client.post("/_sim/accounts", json={"balances": {"UNIFIED": {"USDT": "1000"}}}).json()["uid"]
        creds = client.post("/_sim/keys", json={"uid": uid, "permissions": {"ContractTrade": ["Order"]}}).json()
    session = pybit_session(bybit_sim, creds)
    assert (
        session.set_leverage(category="linear", symbol="BTCUSDT", buyLeverage="20", sellLeverage="20")["retCode"] == 0
    )
    placed = session.place_order(
        category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit", qty="0.001", price="55000", orderLinkId="p1"
    )["result"]
    assert placed["orderLinkId"] == "p1"
    [row] = session.get_open_orders(category="linear", symbol="BTCUSDT")["result"]["list"]
    assert (row["orderId"], row["orderStatus"], row["price"], row["qty"]) == (
        placed["orderId"],
        "New",
        "55000",
        "0.001",
    )
    session.amend_order(category="linear", symbol="BTCUSDT", orderLinkId="p1", price="55500")
    assert session.get_open_orders(category="linear", symbol="BTCUSDT")["result"]["list"][0]["price"] == "55500"
    session.cancel_order(category="linear", symbol="BTCUSDT", orderId=placed["orderId"])
    assert session.get_open_orders(category="linear", symbol="BTCUSDT")["result"]["list"] == []
    history = session.get_order_history(category="linear", symbol="BTCUSDT")["result"]["list"]
    assert [(o["orderId"], o["orderStatus"], o["cancelType"]) for o in history] == [
        (placed["orderId"], "Cancelled", "CancelByUser")
    ]
    session.place_order(category="linear", symbol="BTCUSDT", side="Sell", orderType="Market", qty="0.002")
    [position] = session.get_positions(category="linear", symbol="BTCUSDT")["result"]["list"]
    assert (position["side"], position["size"], position["leverage"], position["positionIdx"]) == (
        "Sell",
        "0.002",
        "20",
        0,
    )
    with pytest.raises(InvalidRequestError) as refused:
        session.switch_position_mode(category="linear", coin="USDT", mode=3)
    assert refused.value.status_code == 110024
    session.place_order(
        category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.002", reduceOnly=True
    )
    assert session.switch_position_mode(category="linear", coin="USDT", mode=3)["retCode"] == 0
    with pytest.raises(InvalidRequestError) as wrong_idx:
        session.place_order(category="linear", symbol="BTCUSDT", side="Buy", orderType="Market", qty="0.001")
    assert wrong_idx.value.status_code == 10001  # hedge mode needs positionIdx 1 or 2
    [fill, *_] = session.get_executions(category="linear", symbol="BTCUSDT")["result"]["list"]
    assert (fill["execQty"], fill["closedSize"], fill["isMaker"]) == ("0.002", "0.002", False)
