"""AsterTrader against the Aster simulator: rules before sending, orders, positions, settings, refusals (an API
wallet signing for its main wallet, the real Aster V3 model)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any, cast

import httpx
import pytest

from tradedock import errors as e
from tradedock.domain import ContractType, Credentials, Environment, ExchangeId, PositionMode
from tradedock.exchanges.aster import create_adapter
from tradedock.exchanges.aster.trading import AsterTrader
from tradedock.exchanges.base import HttpOptions, TradingAdapter
from tradedock.exchanges.orders import OrderRequest, OrderSide, OrderStatus, OrderType, PositionLeg
from tradedock_sim.app import create_app
from tradedock_sim.server import start_background

ROOT = "http://aster.sim"
TRADE = {"canRead": True, "canSpotTrade": False, "canPerpTrade": True, "canWithdraw": False}


class Sim:
    def __init__(self) -> None:
        self.transport = httpx.ASGITransport(app=create_app("aster", seed=17))
        self.control = httpx.AsyncClient(transport=self.transport, base_url=ROOT)

    async def trader(self, permissions: dict[str, bool] | None = None, usdt: str = "1000") -> AsterTrader:
        uid = (await self.control.post("/_sim/accounts", json={"balances": {"futures": {"USDT": usdt}}})).json()["uid"]
        minted = (await self.control.post("/_sim/keys", json={"uid": uid, "permissions": permissions or TRADE})).json()
        creds = Credentials(ExchangeId.ASTER, {f: minted[f] for f in ("api_wallet", "private_key", "main_wallet")})
        adapter = create_adapter(
            creds, flavor=Environment.LIVE, base_url=ROOT, http=HttpOptions(transport=self.transport)
        )
        return cast(AsterTrader, adapter)


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    s = Sim()
    yield s
    await s.control.aclose()


def test_aster_trader_is_a_trading_adapter() -> None:
    assert issubclass(AsterTrader, TradingAdapter)


async def test_rules_match_the_published_filters(sim: Sim) -> None:
    trader = await sim.trader()
    info = (await sim.control.get("/fapi/v3/exchangeInfo")).json()
    for row in info["symbols"]:
        filters: dict[str, Any] = {f["filterType"]: f for f in row["filters"]}
        rules = await trader.instrument_rules(row["symbol"])
        assert (rules.tick_size, rules.lot_size, rules.min_notional) == (
            D(filters["PRICE_FILTER"]["tickSize"]),
            D(filters["LOT_SIZE"]["stepSize"]),
            D(filters["MIN_NOTIONAL"]["notional"]),
        )


@pytest.mark.parametrize(
    ("symbol", "qty", "price", "side", "sent_qty", "sent_price"),
    [
        ("BTCUSDT", "0.0027", "60000.37", OrderSide.BUY, "0.002", "60000.3"),
        ("ETHUSDT", "0.0159", "3300.001", OrderSide.SELL, "0.015", "3300.01"),  # a sell rounds up
        ("ASTERUSDT", "20.9", "0.45678", OrderSide.BUY, "20", "0.4567"),
    ],
)
async def test_orders_on_the_grid(
    sim: Sim, symbol: str, qty: str, price: str, side: OrderSide, sent_qty: str, sent_price: str
) -> None:
    trader = await sim.trader()
    order = await trader.place_order(OrderRequest(symbol, side, OrderType.LIMIT, D(qty), D(price)))
    assert (order.status, order.qty, order.price) == (OrderStatus.OPEN, D(sent_qty), D(sent_price))
    [listed] = await trader.open_orders(symbol)
    assert listed.client_order_id == order.client_order_id
    cancelled = await trader.cancel_order(symbol, client_order_id=order.client_order_id)
    assert cancelled.status is OrderStatus.CANCELLED
    assert await trader.get_order(symbol, order_id="42") is None


async def test_positions_and_settings(sim: Sim) -> None:
    trader = await sim.trader()
    await trader.set_leverage("BTCUSDT", D(20))
    filled = await trader.place_order(OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.MARKET, D("0.01")))
    assert (filled.status, filled.average_price) == (OrderStatus.FILLED, D("65000"))
    [position] = await trader.positions("BTCUSDT")
    assert (position.leg, position.size, position.long, position.leverage) == (PositionLeg.NET, D("0.01"), True, 20)
    with pytest.raises(e.UserFixableError) as locked:
        await trader.set_position_mode(PositionMode.HEDGE, ContractType.USDT_M)
    assert locked.value.code == "-4068"
    await trader.place_order(OrderRequest("BTCUSDT", OrderSide.SELL, OrderType.MARKET, D("0.01"), reduce_only=True))
    await trader.set_position_mode(PositionMode.HEDGE, ContractType.USDT_M)
    await trader.set_position_mode(PositionMode.HEDGE, ContractType.USDT_M)  # -4059 "no need": success
    await trader.place_order(
        OrderRequest("BTCUSDT", OrderSide.SELL, OrderType.MARKET, D("0.004"), leg=PositionLeg.SHORT)
    )
    [short] = await trader.positions()
    assert (short.leg, short.size, short.long) == (PositionLeg.SHORT, D("0.004"), False)


async def test_refusals(sim: Sim) -> None:
    trader = await sim.trader(usdt="100")
    with pytest.raises(e.InsufficientMarginError):
        await trader.place_order(OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.MARKET, D("0.1")))
    with pytest.raises(e.InvalidInputError):
        await trader.place_order(OrderRequest("ETHUSDT", OrderSide.BUY, OrderType.MARKET, D("0.001")))
    read_only = await sim.trader({**TRADE, "canPerpTrade": False})
    with pytest.raises(e.PermissionDeniedError):
        await read_only.place_order(OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.MARKET, D("0.001")))


async def test_lost_answer_resolves_to_exactly_one_order() -> None:
    """Over real loopback (ASGITransport enforces no timeout): the order is found by its client id, sent once."""
    with start_background(["aster"], host="127.0.0.1", port=0, seed=19) as sims:
        base = sims.urls["aster"]
        async with httpx.AsyncClient(base_url=base) as control:
            uid = (await control.post("/_sim/accounts", json={"balances": {"futures": {"USDT": "1000"}}})).json()["uid"]
            minted = (await control.post("/_sim/keys", json={"uid": uid, "permissions": TRADE})).json()
            creds = Credentials(ExchangeId.ASTER, {f: minted[f] for f in ("api_wallet", "private_key", "main_wallet")})
            options = HttpOptions(timeout_s=0.4)
            trader = cast(AsterTrader, create_adapter(creds, flavor=Environment.LIVE, base_url=base, http=options))
            await control.post("/_sim/order-faults", json={"fault": "accept_then_timeout"})
            try:
                request = OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.LIMIT, D("0.001"), D("60000"))
                order = await trader.place_order(request)
                listed = await trader.open_orders("BTCUSDT")
                log = list(sims.apps["aster"].state.sim.requests)
            finally:
                await trader.aclose()
                await control.post("/_sim/reset")  # releases the hanging request
    assert order.status is OrderStatus.OPEN
    assert [o.client_order_id for o in listed] == [order.client_order_id]
    assert sum(1 for r in log if r.method == "POST" and r.path == "/fapi/v3/order") == 1
