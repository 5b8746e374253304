"""A lost order answer over real loopback (ASGITransport enforces no timeout): the trader asks by client order id
and never re-sends, so a placement ends with exactly one order — or reliably none."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal as D
from typing import Any

import httpx
import pytest

from tradedock import errors as e
from tradedock.domain import Credentials, Environment, ExchangeId
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.bybit import create_adapter, endpoints
from tradedock.exchanges.bybit.trading import BybitTrader
from tradedock.exchanges.orders import OrderRequest, OrderSide, OrderStatus, OrderType
from tradedock_sim.server import BackgroundSims, start_background


@pytest.fixture(scope="module")
def sims() -> Iterator[BackgroundSims]:
    with start_background(["bybit"], host="127.0.0.1", port=0, seed=5) as running:
        yield running


@pytest.fixture
async def control(sims: BackgroundSims) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sims.urls["bybit"]) as client:
        yield client
        await client.post("/_sim/reset")  # releases any request still hanging


async def make_trader(sims: BackgroundSims, control: httpx.AsyncClient) -> BybitTrader:
    uid = (await control.post("/_sim/accounts", json={"balances": {"UNIFIED": {"USDT": "1000"}}})).json()["uid"]
    minted = (await control.post("/_sim/keys", json={"uid": uid, "permissions": {"ContractTrade": ["Order"]}})).json()
    creds = Credentials(ExchangeId.BYBIT, {"api_key": minted["api_key"], "secret": minted["secret"]})
    return create_adapter(creds, flavor=Environment.LIVE, base_url=sims.urls["bybit"], http=HttpOptions(timeout_s=0.4))


def sent(sims: BackgroundSims, path: str) -> int:
    return sum(1 for r in sims.apps["bybit"].state.sim.requests if r.path == path)


async def history(trader: BybitTrader) -> list[dict[str, Any]]:
    body = await trader._call(endpoints.ORDER_HISTORY, {"category": "linear", "symbol": "BTCUSDT"})
    rows: list[dict[str, Any]] = body["result"]["list"]
    return rows


async def test_accepted_then_timed_out_resolves_to_exactly_one_order(sims, control) -> None:
    trader = await make_trader(sims, control)
    await control.post("/_sim/order-faults", json={"fault": "accept_then_timeout"})
    request = OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.LIMIT, D("0.001"), D("50000"), client_order_id="to-1")
    try:
        order = await trader.place_order(request)
    finally:
        await trader.aclose()
    assert (order.client_order_id, order.status, order.qty) == ("to-1", OrderStatus.OPEN, D("0.001"))
    assert sent(sims, "/v5/order/create") == 1  # never re-sent
    trader = await make_trader(sims, control)  # a fresh key on another account must see nothing of it
    try:
        assert await history(trader) == []
    finally:
        await trader.aclose()


async def test_one_order_in_the_history_of_the_account(sims, control) -> None:
    trader = await make_trader(sims, control)
    await control.post("/_sim/order-faults", json={"fault": "accept_then_timeout"})
    try:
        order = await trader.place_order(OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.MARKET, D("0.002")))
        rows = await history(trader)
    finally:
        await trader.aclose()
    assert [(r["orderId"], r["orderLinkId"], r["orderStatus"]) for r in rows] == [
        (order.order_id, order.client_order_id, "Filled")
    ]


async def test_lost_before_it_reached_the_exchange_is_reported_as_not_placed(sims, control) -> None:
    trader = await make_trader(sims, control)
    # The gateway hangs before the exchange sees the order: nothing is placed.
    await control.post("/_sim/faults", json={"error": "timeout", "paths": ["/v5/order/create"]})
    request = OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.MARKET, D("0.001"), client_order_id="lost-1")
    try:
        with pytest.raises(e.ExchangeTimeoutError) as caught:
            await trader.place_order(request)
        assert "was not placed" in caught.value.message
        assert "lost-1" in (caught.value.fix or "")
        assert await history(trader) == []
    finally:
        await trader.aclose()
    assert sent(sims, "/v5/order/create") == 1


async def test_rejected_after_acceptance_is_the_rejected_order(sims, control) -> None:
    trader = await make_trader(sims, control)
    await control.post("/_sim/order-faults", json={"fault": "reject"})
    try:
        order = await trader.place_order(
            OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.MARKET, D("0.001"), client_order_id="rj-1")
        )
    finally:
        await trader.aclose()
    assert (order.client_order_id, order.status) == ("rj-1", OrderStatus.REJECTED)
    assert sent(sims, "/v5/order/create") == 1
