"""BitgetTrader against the Bitget simulator: rules before sending, orders, positions, settings, refusals; and the
lost-answer case over real loopback (ASGITransport enforces no timeout)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal as D
from typing import Any, cast

import httpx
import pytest

from tradedock import errors as e
from tradedock.domain import ContractType, Credentials, Environment, ExchangeId, PositionMode
from tradedock.exchanges.base import HttpOptions, TradingAdapter
from tradedock.exchanges.bitget import create_adapter
from tradedock.exchanges.bitget.trading import BitgetTrader
from tradedock.exchanges.orders import OrderRequest, OrderSide, OrderStatus, OrderType, PositionLeg
from tradedock_sim.app import create_app
from tradedock_sim.server import BackgroundSims, start_background

TRADE = ["coow", "cpow", "stor"]
ROOT = "http://bitget.sim"


async def new_trader(control: httpx.AsyncClient, base_url: str, options: HttpOptions, **key: Any) -> BitgetTrader:
    account = {"account_mode": "classic", "balances": {"USDT-FUTURES": {"USDT": "1000"}}}
    uid = (await control.post("/_sim/accounts", json=account)).json()["uid"]
    minted = (await control.post("/_sim/keys", json={"uid": uid, "permissions": TRADE, **key})).json()
    fields = {name: minted[name] for name in ("api_key", "secret", "passphrase")}
    adapter = create_adapter(
        Credentials(ExchangeId.BITGET, fields), flavor=Environment.LIVE, base_url=base_url, http=options
    )
    return cast(BitgetTrader, adapter)


@pytest.fixture
async def sim() -> AsyncIterator[tuple[httpx.AsyncClient, HttpOptions]]:
    transport = httpx.ASGITransport(app=create_app("bitget", seed=11), client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=ROOT) as control:
        yield control, HttpOptions(transport=transport)


def test_bitget_trader_is_a_trading_adapter() -> None:
    assert issubclass(BitgetTrader, TradingAdapter)


async def test_rules_match_the_published_contracts(sim) -> None:
    control, options = sim
    trader = await new_trader(control, ROOT, options)
    body = (await control.get("/api/v2/mix/market/contracts", params={"productType": "USDT-FUTURES"})).json()
    for row in body["data"]:
        rules = await trader.instrument_rules(row["symbol"])
        tick = D(row["priceEndStep"]) * D(10) ** -int(row["pricePlace"])
        assert (rules.tick_size, rules.lot_size, rules.min_qty, rules.min_notional) == (
            tick,
            D(row["sizeMultiplier"]),
            D(row["minTradeNum"]),
            D(row["minTradeUSDT"]),
        )
    await trader.aclose()


@pytest.mark.parametrize(
    ("symbol", "qty", "price", "side", "sent_qty", "sent_price"),
    [
        ("BTCUSDT", "0.0027", "60000.37", OrderSide.BUY, "0.002", "60000.3"),  # pricePlace 1
        ("BTCUSDT", "0.0027", "70000.31", OrderSide.SELL, "0.002", "70000.4"),
        ("ETHUSDT", "0.0159", "3000.009", OrderSide.BUY, "0.015", "3000.00"),  # pricePlace 2
    ],
)
async def test_orders_are_put_on_the_grid_and_accepted(
    sim, symbol: str, qty: str, price: str, side: OrderSide, sent_qty: str, sent_price: str
) -> None:
    control, options = sim
    trader = await new_trader(control, ROOT, options)
    order = await trader.place_order(OrderRequest(symbol, side, OrderType.LIMIT, D(qty), D(price)))
    assert (order.status, order.qty, order.price) == (OrderStatus.OPEN, D(sent_qty), D(sent_price))
    [listed] = await trader.open_orders(symbol)
    assert listed.order_id == order.order_id
    cancelled = await trader.cancel_order(symbol, client_order_id=order.client_order_id)
    assert cancelled.status is OrderStatus.CANCELLED
    await trader.aclose()


async def test_positions_hedge_legs_and_settings(sim) -> None:
    control, options = sim
    trader = await new_trader(control, ROOT, options)
    await trader.set_leverage("BTCUSDT", D(20))
    await trader.set_leverage("BTCUSDT", D(20))
    filled = await trader.place_order(OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.MARKET, D("0.01")))
    assert (filled.status, filled.average_price) == (OrderStatus.FILLED, D("65000"))
    [position] = await trader.positions()
    assert (position.leg, position.size, position.long, position.leverage) == (PositionLeg.NET, D("0.01"), True, 20)
    with pytest.raises(e.UserFixableError) as locked:
        await trader.set_position_mode(PositionMode.HEDGE, ContractType.USDT_M)
    assert locked.value.code == "40920"
    await trader.place_order(OrderRequest("BTCUSDT", OrderSide.SELL, OrderType.MARKET, D("0.01"), reduce_only=True))
    await trader.set_position_mode(PositionMode.HEDGE, ContractType.USDT_M)
    await trader.place_order(
        OrderRequest("BTCUSDT", OrderSide.SELL, OrderType.MARKET, D("0.01"), leg=PositionLeg.SHORT)
    )
    closing = await trader.place_order(
        OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.MARKET, D("0.004"), leg=PositionLeg.SHORT)
    )
    assert (closing.side, closing.reduce_only, closing.status) == (OrderSide.BUY, True, OrderStatus.FILLED)
    [short] = await trader.positions("BTCUSDT")
    assert (short.leg, short.size, short.long) == (PositionLeg.SHORT, D("0.006"), False)
    await trader.aclose()


async def test_refusals(sim) -> None:
    control, options = sim
    trader = await new_trader(control, ROOT, options)
    with pytest.raises(e.InvalidInputError) as small:
        await trader.place_order(OrderRequest("ETHUSDT", OrderSide.BUY, OrderType.MARKET, D("0.001")))
    assert small.value.field == "qty"
    with pytest.raises(e.InsufficientMarginError):
        await trader.place_order(OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.MARKET, D("1")))
    read_only = await new_trader(control, ROOT, options, permissions=["coor", "cpor", "stor"])
    with pytest.raises(e.PermissionDeniedError):
        await read_only.place_order(OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.MARKET, D("0.001")))
    for adapter in (trader, read_only):
        await adapter.aclose()


@pytest.fixture(scope="module")
def loopback() -> Iterator[BackgroundSims]:
    with start_background(["bitget"], host="127.0.0.1", port=0, seed=13) as running:
        yield running


async def test_lost_answer_resolves_to_exactly_one_order(loopback: BackgroundSims) -> None:
    base = loopback.urls["bitget"]
    async with httpx.AsyncClient(base_url=base) as control:
        trader = await new_trader(control, base, HttpOptions(timeout_s=0.4))
        await control.post("/_sim/order-faults", json={"fault": "accept_then_timeout"})
        try:
            request = OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.LIMIT, D("0.001"), D("60000"))
            order = await trader.place_order(request)
            listed = await trader.open_orders("BTCUSDT")
            log = list(loopback.apps["bitget"].state.sim.requests)
        finally:
            await trader.aclose()
            await control.post("/_sim/reset")  # releases the hanging request
    assert order.status is OrderStatus.OPEN
    assert [(o.order_id, o.client_order_id) for o in listed] == [(order.order_id, order.client_order_id)]
    assert sum(1 for r in log if r.path == "/api/v2/mix/order/place-order") == 1  # never re-sent
