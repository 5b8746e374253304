"""`BybitTrader`: the Bybit adapter with the trading calls (`TradingAdapter`) on USDT perpetuals (``linear``).

What belongs here: Bybit's trading requests and the parsing of its order/position rows into
``exchanges/orders.py`` values. What does not: the placement procedure (``exchanges/placing.py``), signing and
envelope handling (``adapter.py``), codes (``errors.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tradedock.domain import Candle, CandleInterval, ContractType, MarginMode, PositionMode
from tradedock.errors import InvalidInputError, OrderRejectedError, UnexpectedResponseError
from tradedock.exchanges import placing
from tradedock.exchanges.bybit import candles as bybit_candles
from tradedock.exchanges.bybit import endpoints, parsing
from tradedock.exchanges.bybit.adapter import BybitAdapter
from tradedock.exchanges.orders import (
    InstrumentRules,
    OrderRequest,
    OrderSide,
    OrderState,
    OrderStatus,
    OrderType,
    PositionLeg,
    PositionState,
    TimeInForce,
    order_ref,
)
from tradedock.exchanges.rules_cache import InstrumentRulesCache

CATEGORY = "linear"
_CLIENT_ID = "orderLinkId"
_TIF = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK", TimeInForce.POST_ONLY: "PostOnly"}
_IDX = {PositionLeg.NET: 0, PositionLeg.LONG: 1, PositionLeg.SHORT: 2}
_LEGS = {idx: leg for leg, idx in _IDX.items()}
# https://bybit-exchange.github.io/docs/v5/enum#orderstatus
_STATUS = {
    "New": OrderStatus.OPEN,
    "Created": OrderStatus.OPEN,
    "Untriggered": OrderStatus.OPEN,
    "PartiallyFilled": OrderStatus.PARTIALLY_FILLED,
    "Filled": OrderStatus.FILLED,
    "Cancelled": OrderStatus.CANCELLED,
    "PartiallyFilledCanceled": OrderStatus.CANCELLED,
    "Deactivated": OrderStatus.CANCELLED,
    "Triggered": OrderStatus.OPEN,
    "Rejected": OrderStatus.REJECTED,
}
_MARGIN = {
    MarginMode.CROSS: "REGULAR_MARGIN",
    MarginMode.ISOLATED: "ISOLATED_MARGIN",
    MarginMode.PORTFOLIO: "PORTFOLIO_MARGIN",
}
# "Already so" answers: the setting is what was asked (docs/v5/error).
_POSITION_MODE_NOT_MODIFIED = "110025"
_MARGIN_MODE_NOT_MODIFIED = "110026"
_LEVERAGE_NOT_MODIFIED = "110043"


def _decimal(value: object, what: str) -> Decimal:
    parsed = parsing.as_decimal(value)
    if parsed is None:
        raise UnexpectedResponseError(f"Bybit answered with an unreadable {what}", exchange="Bybit")
    return parsed


def parse_order(row: Mapping[str, Any]) -> OrderState:
    status = _STATUS.get(str(row.get("orderStatus")))
    if status is None:
        raise UnexpectedResponseError(f"Bybit answered with an unknown order status {row.get('orderStatus')!r}")
    price = parsing.as_decimal(row.get("price"))
    return OrderState(
        order_id=str(row.get("orderId") or ""),
        client_order_id=str(row.get("orderLinkId") or ""),
        symbol=str(row.get("symbol") or ""),
        side=OrderSide.BUY if row.get("side") == "Buy" else OrderSide.SELL,
        order_type=OrderType.MARKET if row.get("orderType") == "Market" else OrderType.LIMIT,
        status=status,
        qty=_decimal(row.get("qty"), "order quantity"),
        filled_qty=parsing.as_decimal(row.get("cumExecQty")) or Decimal(0),
        price=price if price else None,
        average_price=parsing.as_decimal(row.get("avgPrice")) or None,
        reduce_only=bool(row.get("reduceOnly")),
        fee=parsing.as_decimal(row.get("cumExecFee")),  # docs/v5/order/open-order: cumulative trading fee
    )


def parse_position(row: Mapping[str, Any]) -> PositionState:
    idx = parsing.as_int(row.get("positionIdx"), 0) or 0
    return PositionState(
        symbol=str(row.get("symbol") or ""),
        leg=_LEGS.get(idx, PositionLeg.NET),
        size=_decimal(row.get("size"), "position size"),
        long=row.get("side") != "Sell",
        entry_price=parsing.as_decimal(row.get("avgPrice")) or Decimal(0),
        leverage=parsing.as_decimal(row.get("leverage")),
        unrealised_pnl=parsing.as_decimal(row.get("unrealisedPnl")),
        mark_price=parsing.as_decimal(row.get("markPrice")),
    )


def _rows(body: Mapping[str, Any], what: str) -> list[Mapping[str, Any]]:
    rows = parsing.as_mapping(body.get("result"), what).get("list") or []
    if not isinstance(rows, list):
        raise UnexpectedResponseError(f"Bybit answered with an unreadable {what}", exchange="Bybit")
    return [parsing.as_mapping(row, what) for row in rows]


class BybitTrader(InstrumentRulesCache, BybitAdapter):
    """A Bybit key that reads (verification) and trades USDT perpetuals."""

    async def _fetch_instrument_rules(self, symbol: str) -> InstrumentRules:
        body = await self._call(endpoints.INSTRUMENTS_INFO, {"category": CATEGORY, "symbol": symbol})
        rows = _rows(body, "instrument list")
        if not rows:
            raise InvalidInputError("symbol", f"Bybit has no USDT perpetual {symbol}.", fix="Check the symbol.")
        row = rows[0]
        lot = parsing.as_mapping(row.get("lotSizeFilter"), "lot size filter")
        price = parsing.as_mapping(row.get("priceFilter"), "price filter")
        leverage = parsing.as_mapping(row.get("leverageFilter") or {}, "leverage filter")
        return InstrumentRules(
            symbol=symbol,
            tick_size=_decimal(price.get("tickSize"), "tick size"),
            lot_size=_decimal(lot.get("qtyStep"), "quantity step"),
            min_qty=_decimal(lot.get("minOrderQty"), "minimum quantity"),
            max_qty=parsing.as_decimal(lot.get("maxOrderQty")),
            min_notional=parsing.as_decimal(lot.get("minNotionalValue")) or Decimal(0),
            max_leverage=parsing.as_decimal(leverage.get("maxLeverage")),
        )

    async def candles(self, symbol: str, interval: CandleInterval, limit: int = 200) -> tuple[Candle, ...]:
        """Public candles, oldest first (``candles.py``: the one parser, shared with `PublicMarket`)."""
        return await bybit_candles.fetch_candles(self._http, symbol, interval, limit)

    async def mark_price(self, symbol: str) -> Decimal:
        body = await self._call(endpoints.TICKERS, {"category": CATEGORY, "symbol": symbol})
        rows = _rows(body, "ticker")
        if not rows:
            raise InvalidInputError("symbol", f"Bybit has no ticker for {symbol}.", fix="Check the symbol.")
        return _decimal(rows[0].get("markPrice"), "mark price")

    async def place_order(self, order: OrderRequest) -> OrderState:
        return await placing.place_once(self, order, exchange="Bybit")

    async def submit_order(self, order: OrderRequest) -> OrderState:
        data: dict[str, object] = {
            "category": CATEGORY,
            "symbol": order.symbol,
            "side": "Buy" if order.side is OrderSide.BUY else "Sell",
            "orderType": "Market" if order.order_type is OrderType.MARKET else "Limit",
            "qty": format(order.qty, "f"),
            "positionIdx": _IDX[order.leg],
            "orderLinkId": order.client_order_id,
        }
        if order.order_type is OrderType.LIMIT and order.price is not None:
            data["price"] = format(order.price, "f")
            data["timeInForce"] = _TIF[order.time_in_force]
        if order.reduce_only:
            data["reduceOnly"] = True
        body = await self._call(endpoints.ORDER_CREATE, data=data)
        result = parsing.as_mapping(body.get("result"), "order")
        found = await self.get_order(order.symbol, order_id=str(result.get("orderId") or ""))
        if found is None:  # acknowledged but not yet visible: report what was sent
            return OrderState(
                order_id=str(result.get("orderId") or ""),
                client_order_id=order.client_order_id,
                symbol=order.symbol,
                side=order.side,
                order_type=order.order_type,
                status=OrderStatus.OPEN,
                qty=order.qty,
                filled_qty=Decimal(0),
                price=order.price,
                reduce_only=order.reduce_only,
            )
        return found

    async def get_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState | None:
        """Open orders by id from /v5/order/realtime, finished ones from /v5/order/history."""
        params = {
            "category": CATEGORY,
            "symbol": symbol,
            **order_ref(order_id, client_order_id, client_id_param=_CLIENT_ID),
        }
        for endpoint in (endpoints.ORDER_REALTIME, endpoints.ORDER_HISTORY):
            rows = _rows(await self._call(endpoint, params), "order list")
            if rows:
                return parse_order(rows[0])
        return None

    async def cancel_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState:
        ids = order_ref(order_id, client_order_id, client_id_param=_CLIENT_ID)
        await self._call(endpoints.ORDER_CANCEL, data={"category": CATEGORY, "symbol": symbol, **ids})
        found = await self.get_order(symbol, order_id=order_id, client_order_id=client_order_id)
        if found is None:
            raise OrderRejectedError("Bybit cancelled an order it then could not show.", exchange="Bybit")
        return found

    async def open_orders(self, symbol: str | None = None) -> tuple[OrderState, ...]:
        params = {"category": CATEGORY, **({"symbol": symbol} if symbol else {"settleCoin": "USDT"})}
        return tuple(parse_order(row) for row in _rows(await self._call(endpoints.ORDER_REALTIME, params), "orders"))

    async def positions(self, symbol: str | None = None) -> tuple[PositionState, ...]:
        params = {"category": CATEGORY, **({"symbol": symbol} if symbol else {"settleCoin": "USDT"})}
        rows = _rows(await self._call(endpoints.POSITION_LIST, params), "position list")
        return tuple(p for p in (parse_position(row) for row in rows) if p.size)

    async def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        text = format(leverage, "f")
        data = {"category": CATEGORY, "symbol": symbol, "buyLeverage": text, "sellLeverage": text}
        await self._setting(endpoints.SET_LEVERAGE, data, _LEVERAGE_NOT_MODIFIED)

    async def set_position_mode(self, mode: PositionMode, contract: ContractType) -> None:
        """Coin-wide for USDT (or USDC) perpetuals; other markets are one-way only under UTA 2.0."""
        market = endpoints.CONTRACT_MARKETS[contract]
        coin = "USDC" if contract is ContractType.USDC_M else "USDT"
        data: dict[str, object] = {"category": market.category, "mode": 3 if mode is PositionMode.HEDGE else 0}
        if contract is ContractType.COIN_M:
            data["symbol"] = market.symbol or "BTCUSD"
        else:
            data["coin"] = coin
        await self._setting(endpoints.SWITCH_MODE, data, _POSITION_MODE_NOT_MODIFIED)

    async def set_margin_mode(self, mode: MarginMode, contract: ContractType) -> None:
        """Account-wide on a unified account (`contract` does not narrow it)."""
        native = _MARGIN.get(mode)
        if native is None:
            raise InvalidInputError("margin_mode", f"Bybit has no {mode.value} margin mode.", fix="Use cross.")
        await self._setting(endpoints.SET_MARGIN_MODE, {"setMarginMode": native}, _MARGIN_MODE_NOT_MODIFIED)

    async def _setting(self, endpoint: endpoints.Endpoint, data: Mapping[str, object], unchanged: str) -> None:
        try:
            await self._call(endpoint, data=data)
        except (OrderRejectedError, UnexpectedResponseError) as exc:
            if exc.code != unchanged:
                raise
        finally:
            self._requests.clear()  # account reads shared by the read adapter are stale after a setting change
