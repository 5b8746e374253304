"""BybitTrader against the Bybit simulator in-process: exchange rules applied before sending, orders, positions,
settings, and the domain errors of the simulator's refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any, cast

import pytest

from tests.exchanges.bybit.sim import BybitSim, running_sim
from tradedock import errors as e
from tradedock.domain import ContractType, MarginMode, PositionMode
from tradedock.exchanges.base import TradingAdapter
from tradedock.exchanges.bybit.trading import BybitTrader
from tradedock.exchanges.orders import OrderRequest, OrderSide, OrderStatus, OrderType, PositionLeg

TRADE = {"ContractTrade": ["Order", "Position"]}


@pytest.fixture
async def sim() -> AsyncIterator[BybitSim]:
    async for running in running_sim():
        yield running


async def trader(sim: BybitSim, usdt: str = "10000", **key: Any) -> BybitTrader:
    uid = await sim.account(balances={"UNIFIED": {"USDT": usdt}})
    return cast(BybitTrader, sim.adapter(await sim.key(uid, permissions=TRADE, **key)))


def creates(sim: BybitSim) -> int:
    return sum(1 for r in sim.control._transport.app.state.sim.requests if r.path == "/v5/order/create")  # type: ignore[attr-defined]


async def published(sim: BybitSim) -> list[dict[str, Any]]:
    """The instrument list exactly as the simulator publishes it (read here without the adapter)."""
    body = (await sim.control.get("/v5/market/instruments-info", params={"category": "linear"})).json()
    return [row for row in body["result"]["list"] if row["settleCoin"] == "USDT"]


def test_bybit_trader_is_a_trading_adapter() -> None:
    assert issubclass(BybitTrader, TradingAdapter)


async def test_rules_match_what_bybit_publishes_for_every_instrument(sim: BybitSim) -> None:
    adapter = await trader(sim)
    rows = await published(sim)
    assert len(rows) == 4
    for row in rows:
        rules = await adapter.instrument_rules(row["symbol"])
        lot, price = row["lotSizeFilter"], row["priceFilter"]
        assert (rules.tick_size, rules.lot_size, rules.min_qty, rules.min_notional) == (
            D(price["tickSize"]),
            D(lot["qtyStep"]),
            D(lot["minOrderQty"]),
            D(lot["minNotionalValue"]),
        )


@pytest.mark.parametrize(
    ("symbol", "qty", "price", "side", "sent_qty", "sent_price"),
    [
        ("BTCUSDT", "0.0019", "50000.07", OrderSide.BUY, "0.001", "50000.0"),  # lot 0.001, tick 0.10
        ("BTCUSDT", "0.0019", "70000.01", OrderSide.SELL, "0.001", "70000.1"),  # a sell rounds up (passive)
        ("ETHUSDT", "0.0456", "2500.005", OrderSide.BUY, "0.045", "2500.00"),  # tick 0.01
        ("SOLUSDT", "1.37", "120.017", OrderSide.BUY, "1.3", "120.010"),  # lot 0.1, tick 0.010
        ("SOLUSDT", "1.37", "180.011", OrderSide.SELL, "1.3", "180.020"),
        ("DOGEUSDT", "200.9", "0.100009", OrderSide.BUY, "200", "0.10000"),  # lot 1, tick 0.00001
    ],
)
async def test_orders_are_put_on_the_exchange_grid_and_accepted(
    sim: BybitSim, symbol: str, qty: str, price: str, side: OrderSide, sent_qty: str, sent_price: str
) -> None:
    adapter = await trader(sim)
    order = await adapter.place_order(OrderRequest(symbol, side, OrderType.LIMIT, D(qty), D(price)))
    assert (order.status, order.qty, order.price) == (OrderStatus.OPEN, D(sent_qty), D(sent_price))
    assert order.client_order_id.startswith("td")
    [listed] = await adapter.open_orders(symbol)
    assert (listed.order_id, listed.qty, listed.price) == (order.order_id, D(sent_qty), D(sent_price))


@pytest.mark.parametrize(
    ("symbol", "qty", "order_type", "price", "field"),
    [
        ("BTCUSDT", "0.0009", OrderType.MARKET, None, "qty"),  # below minOrderQty after rounding down
        ("SOLUSDT", "0.09", OrderType.LIMIT, "150", "qty"),
        ("ETHUSDT", "0.001", OrderType.MARKET, None, "qty"),  # 0.001 ETH at 3000 < 5 USDT minimum value
        ("DOGEUSDT", "30", OrderType.LIMIT, "0.12", "qty"),  # 3.6 USDT < 5
        ("BTCUSDT", "0.001", OrderType.LIMIT, None, "price"),
    ],
)
async def test_rule_violations_are_refused_before_sending(
    sim: BybitSim, symbol: str, qty: str, order_type: OrderType, price: str | None, field: str
) -> None:
    adapter = await trader(sim)
    with pytest.raises(e.InvalidInputError) as refused:
        await adapter.place_order(OrderRequest(symbol, OrderSide.BUY, order_type, D(qty), D(price) if price else None))
    assert refused.value.field == field
    assert creates(sim) == 0


async def test_market_order_position_and_close(sim: BybitSim) -> None:
    adapter = await trader(sim)
    filled = await adapter.place_order(OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.MARKET, D("0.01")))
    assert (filled.status, filled.filled_qty, filled.average_price) == (OrderStatus.FILLED, D("0.01"), D("60000"))
    [position] = await adapter.positions()
    assert (position.symbol, position.leg, position.size, position.long) == (
        "BTCUSDT",
        PositionLeg.NET,
        D("0.01"),
        True,
    )
    await adapter.place_order(OrderRequest("BTCUSDT", OrderSide.SELL, OrderType.MARKET, D("0.01"), reduce_only=True))
    assert await adapter.positions() == ()


async def test_cancel_by_client_order_id(sim: BybitSim) -> None:
    adapter = await trader(sim)
    order = await adapter.place_order(
        OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.LIMIT, D("0.001"), D("50000"), client_order_id="mine-1")
    )
    cancelled = await adapter.cancel_order("BTCUSDT", client_order_id="mine-1")
    assert (cancelled.order_id, cancelled.status) == (order.order_id, OrderStatus.CANCELLED)
    assert await adapter.open_orders() == ()
    with pytest.raises(e.OrderRejectedError):
        await adapter.cancel_order("BTCUSDT", order_id=order.order_id)


async def test_settings_are_idempotent(sim: BybitSim) -> None:
    adapter = await trader(sim)
    await adapter.set_leverage("BTCUSDT", D(20))
    await adapter.set_leverage("BTCUSDT", D(20))  # 110043 "not modified" is success
    await adapter.set_position_mode(PositionMode.HEDGE, ContractType.USDT_M)
    await adapter.set_position_mode(PositionMode.HEDGE, ContractType.USDT_M)  # 110025
    settings = await adapter.position_settings(ContractType.USDT_M)
    assert settings.position_mode is PositionMode.HEDGE
    await adapter.set_margin_mode(MarginMode.ISOLATED, ContractType.USDT_M)
    await adapter.set_margin_mode(MarginMode.ISOLATED, ContractType.USDT_M)  # 110026
    assert (await adapter.account_info()).margin_mode is MarginMode.ISOLATED
    order = await adapter.place_order(
        OrderRequest("BTCUSDT", OrderSide.SELL, OrderType.MARKET, D("0.002"), leg=PositionLeg.SHORT)
    )
    assert order.status is OrderStatus.FILLED
    [short] = await adapter.positions("BTCUSDT")
    assert (short.leg, short.long, short.leverage) == (PositionLeg.SHORT, False, D(20))


async def test_refusals_are_domain_errors(sim: BybitSim) -> None:
    poor = await trader(sim, usdt="50")
    with pytest.raises(e.InsufficientMarginError):
        await poor.place_order(OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.MARKET, D("0.1")))
    with pytest.raises(e.OrderRejectedError) as nothing:
        await poor.place_order(OrderRequest("BTCUSDT", OrderSide.SELL, OrderType.MARKET, D("0.001"), reduce_only=True))
    assert nothing.value.code == "110017"
    read_only = await trader(sim, read_only=True)
    with pytest.raises(e.PermissionDeniedError):
        await read_only.place_order(OrderRequest("BTCUSDT", OrderSide.BUY, OrderType.MARKET, D("0.001")))
    with pytest.raises(e.PermissionDeniedError):
        await read_only.set_position_mode(PositionMode.HEDGE, ContractType.USDT_M)
