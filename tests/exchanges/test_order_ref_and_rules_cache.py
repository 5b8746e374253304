"""The pieces every trader shares: naming an order by id or client id (`orders.order_ref`) and the per-symbol
instrument rules cache (`rules_cache.InstrumentRulesCache`), which each exchange's trader uses."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tradedock.errors import InvalidInputError
from tradedock.exchanges.aster.trading import AsterTrader
from tradedock.exchanges.bitget.trading import BitgetTrader
from tradedock.exchanges.bybit.trading import BybitTrader
from tradedock.exchanges.orders import InstrumentRules, order_ref
from tradedock.exchanges.rules_cache import InstrumentRulesCache


def test_order_id_wins_over_client_id() -> None:
    assert order_ref("123", "td1", client_id_param="orderLinkId") == {"orderId": "123"}


@pytest.mark.parametrize("name", ["orderLinkId", "clientOid", "origClientOrderId"])
def test_client_id_goes_under_the_exchanges_own_name(name: str) -> None:
    assert order_ref(None, "td1", client_id_param=name) == {name: "td1"}
    assert order_ref("", "td1", client_id_param=name) == {name: "td1"}


def test_neither_id_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInputError) as caught:
        order_ref(None, "", client_id_param="clientOid")
    assert caught.value.field == "order_id"


class _Counting(InstrumentRulesCache):
    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []

    async def _fetch_instrument_rules(self, symbol: str) -> InstrumentRules:
        self.fetched.append(symbol)
        return InstrumentRules(symbol, tick_size=D("0.1"), lot_size=D("0.001"), min_qty=D("0.001"))


async def test_rules_are_fetched_once_per_symbol() -> None:
    trader = _Counting()
    first = await trader.instrument_rules("BTCUSDT")
    assert await trader.instrument_rules("BTCUSDT") is first
    await trader.instrument_rules("ETHUSDT")
    assert trader.fetched == ["BTCUSDT", "ETHUSDT"]


@pytest.mark.parametrize("trader", [BybitTrader, BitgetTrader, AsterTrader])
def test_every_trader_uses_the_one_cache(trader: type) -> None:
    assert issubclass(trader, InstrumentRulesCache)
    assert trader.instrument_rules is InstrumentRulesCache.instrument_rules


@pytest.mark.parametrize(
    "name", ["OrderSide", "OrderType", "TimeInForce", "PositionLeg", "OrderStatus", "OrderState", "PositionState"]
)
def test_trading_values_are_defined_once_in_the_domain(name: str) -> None:
    from tradedock import domain
    from tradedock.exchanges import orders

    assert getattr(orders, name) is getattr(domain, name)
    assert getattr(domain, name).__module__ == "tradedock.domain"
