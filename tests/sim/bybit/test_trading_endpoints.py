"""Bybit order endpoints in-process: wire shapes, codes, limits and the trading control API (prices, fees, order
faults). Requests are signed by the test's own signer (tests/sim/bybit/signing.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tradedock_sim.client import SimControlError

TRADE = {"ContractTrade": ["Order", "Position"]}


async def trader(bybit: Any, usdt: str = "1000", **account: Any) -> dict[str, str]:
    uid = await bybit.control.create_account(balances={"UNIFIED": {"USDT": usdt}}, **account)
    return dict(await bybit.control.create_key(uid, TRADE))


def order(**fields: Any) -> dict[str, Any]:
    return {"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Market", "qty": "0.001", **fields}


async def test_create_answers_ids_and_limit_headers(bybit: Any) -> None:
    creds = await trader(bybit)
    response = await bybit.post(creds, "/v5/order/create", order(orderLinkId="x-1"))
    body = response.json()
    assert (body["retCode"], body["retMsg"], body["result"]["orderLinkId"]) == (0, "OK", "x-1")
    assert len(body["result"]["orderId"]) == 36
    assert response.headers["X-Bapi-Limit"] == "10"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"qty": "0.0001"}, 10001),  # below minOrderQty
        ({"qty": "0.0015"}, 10001),  # not a qtyStep multiple
        ({"orderType": "Limit", "price": "50000.05"}, 10001),  # not a tickSize multiple
        ({"symbol": "ETHUSDT"}, 110094),  # 0.001 ETH = 3 USDT < minNotionalValue 5
        ({"qty": "1"}, 110007),  # 60000 USDT of exposure at 10x on 1000 USDT
        ({"side": "Sell", "reduceOnly": True}, 110017),
        ({"positionIdx": 1}, 10001),  # hedge leg on a one-way account
        ({"category": "inverse"}, 10001),
    ],
)
async def test_refusals(bybit: Any, fields: dict[str, Any], code: int) -> None:
    creds = await trader(bybit)
    assert (await bybit.post(creds, "/v5/order/create", order(**fields))).json()["retCode"] == code


async def test_key_without_contract_trade_gets_10005(bybit: Any) -> None:
    uid = await bybit.control.create_account(balances={"UNIFIED": {"USDT": "1000"}})
    spot = await bybit.control.create_key(uid, {"Spot": ["SpotTrade"]})
    assert (await bybit.post(spot, "/v5/order/create", order())).json()["retCode"] == 10005
    assert (await bybit.post(spot, "/v5/position/set-leverage", {"category": "linear"})).json()["retCode"] == 10005


async def test_cancel_all_and_history(bybit: Any) -> None:
    creds = await trader(bybit)
    for price in ("50000", "51000"):
        await bybit.post(creds, "/v5/order/create", order(orderType="Limit", price=price))
    body = (await bybit.post(creds, "/v5/order/cancel-all", {"category": "linear", "settleCoin": "USDT"})).json()
    assert (len(body["result"]["list"]), body["result"]["success"]) == (2, "1")
    history = (await bybit.get(creds, "/v5/order/history", {"category": "linear"})).json()["result"]["list"]
    assert [row["orderStatus"] for row in history] == ["Cancelled", "Cancelled"]
    missing = await bybit.post(creds, "/v5/order/cancel", {"category": "linear", "symbol": "BTCUSDT", "orderId": "x"})
    assert missing.json()["retCode"] == 110001


async def test_tickers_follow_the_control_price(bybit: Any) -> None:
    await bybit.control.set_price("BTCUSDT", "58123.4")
    body = (await bybit.http.get("/v5/market/tickers", params={"category": "linear", "symbol": "BTCUSDT"})).json()
    [row] = body["result"]["list"]
    assert (row["markPrice"], row["lastPrice"], row["bid1Price"], row["ask1Price"]) == (
        "58123.4",
        "58123.4",
        "58123.3",
        "58123.5",
    )


async def test_fees_control_changes_the_charged_fee(bybit: Any) -> None:
    creds = await trader(bybit)
    await bybit.control.set_fees(taker="0.001")
    await bybit.post(creds, "/v5/order/create", order(qty="0.01"))
    [fill] = (await bybit.get(creds, "/v5/execution/list", {"category": "linear"})).json()["result"]["list"]
    assert (fill["execFee"], fill["feeRate"], fill["execPrice"]) == ("0.6", "0.001", "60000")


async def test_control_input_errors_name_the_field(bybit: Any) -> None:
    with pytest.raises(SimControlError) as unknown:
        await bybit.control.set_price("NOPE", "1")
    assert unknown.value.field == "symbol"
    with pytest.raises(SimControlError) as bad_path:
        await bybit.control.set_price("BTCUSDT", path=[(-1, "1")])
    assert bad_path.value.field == "path[0].after_ms"
    with pytest.raises(SimControlError) as bad_fee:
        await bybit.control.set_fees(taker="lots")
    assert bad_fee.value.field == "taker"
    with pytest.raises(SimControlError) as bad_fault:
        await bybit.control.order_faults("explode")
    assert bad_fault.value.field == "fault"


async def test_reject_fault_is_a_service_error_recorded_as_rejected(bybit: Any) -> None:
    creds = await trader(bybit)
    await bybit.control.order_faults("reject")
    body = (await bybit.post(creds, "/v5/order/create", order(orderLinkId="r-1"))).json()
    assert body["retCode"] == 10016
    rows = (await bybit.get(creds, "/v5/order/realtime", {"category": "linear", "orderLinkId": "r-1"})).json()
    assert [row["orderStatus"] for row in rows["result"]["list"]] == ["Rejected"]
    # One placement only: the next order goes through.
    assert (await bybit.post(creds, "/v5/order/create", order())).json()["retCode"] == 0


async def test_accept_then_timeout_places_the_order_and_never_answers(bybit: Any) -> None:
    creds = await trader(bybit)
    await bybit.control.order_faults("accept_then_timeout")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(bybit.post(creds, "/v5/order/create", order(orderLinkId="t-1")), 0.5)
    rows = (await bybit.get(creds, "/v5/order/realtime", {"category": "linear", "orderLinkId": "t-1"})).json()
    assert [row["orderStatus"] for row in rows["result"]["list"]] == ["Filled"]
