"""What a trading adapter is asked to do: order requests and instrument rules, with `InstrumentRules.prepare`,
which applies an exchange's tick, lot and minimums before anything is sent; `order_ref`, the parameter naming
an order by id or client id.

What belongs here: the request side of trading and the pure rounding rules. What does not: the trading
vocabulary and what an exchange reports (`OrderSide`, `OrderType`, `TimeInForce`, `PositionLeg`, `OrderStatus`,
`OrderState`, `PositionState` are defined once in ``tradedock.domain``, shared with services and shells, and
re-exported here), HTTP, an exchange's wire names (each ``exchanges/<x>/trading.py`` maps them) or the
idempotent placement procedure (``exchanges/placing.py``).

Rounding (documented in docs/architecture.md, "Trading"): quantities are rounded **down** to the lot step (never
more exposure than asked); limit prices to the tick **towards the passive side** (a buy down, a sell up), so
rounding never makes an order more aggressive than the caller priced it. An order still below the minimum
quantity or minimum notional after rounding is refused locally, naming the field and the minimum.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from tradedock.domain import OrderSide, OrderState, OrderStatus, OrderType, PositionLeg, PositionState, TimeInForce
from tradedock.errors import InvalidInputError

__all__ = [
    "CLIENT_ID_BYTES",
    "InstrumentRules",
    "OrderRequest",
    "OrderSide",
    "OrderState",
    "OrderStatus",
    "OrderType",
    "PositionLeg",
    "PositionState",
    "TimeInForce",
    "new_client_order_id",
    "order_ref",
]

CLIENT_ID_BYTES = 12  # 24 hex characters: inside every exchange's client-id limit (Bybit 36, Bitget 50, Aster 36)


def new_client_order_id() -> str:
    """A fresh client order id: the key that makes a placement idempotent."""
    return "td" + secrets.token_hex(CLIENT_ID_BYTES)


def order_ref(order_id: str | None, client_order_id: str | None, *, client_id_param: str) -> dict[str, str]:
    """The one request parameter naming an order: ``orderId`` when the exchange's id is known, else the client
    order id under the exchange's own name for it (``client_id_param``: Bybit ``orderLinkId``, Bitget
    ``clientOid``, Aster ``origClientOrderId``). Neither given is the caller's mistake."""
    if order_id:
        return {"orderId": order_id}
    if client_order_id:
        return {client_id_param: client_order_id}
    raise InvalidInputError("order_id", "Name the order by its order id or client order id.", fix="Give one of them.")


@dataclass(frozen=True)
class OrderRequest:
    symbol: str  # the exchange's symbol, e.g. BTCUSDT
    side: OrderSide
    order_type: OrderType
    qty: Decimal
    price: Decimal | None = None
    reduce_only: bool = False
    time_in_force: TimeInForce = TimeInForce.GTC
    client_order_id: str = ""
    leg: PositionLeg = PositionLeg.NET


@dataclass(frozen=True)
class InstrumentRules:
    """Trading rules of one perpetual as the exchange publishes them."""

    symbol: str
    tick_size: Decimal
    lot_size: Decimal
    min_qty: Decimal
    max_qty: Decimal | None = None
    min_notional: Decimal = Decimal(0)
    max_leverage: Decimal | None = None

    def round_qty(self, qty: Decimal) -> Decimal:
        return (qty / self.lot_size).to_integral_value(rounding=ROUND_FLOOR) * self.lot_size

    def round_price(self, price: Decimal, side: OrderSide) -> Decimal:
        rounding = ROUND_FLOOR if side is OrderSide.BUY else ROUND_CEILING
        return (price / self.tick_size).to_integral_value(rounding=rounding) * self.tick_size

    def prepare(self, order: OrderRequest, reference_price: Decimal | None = None) -> OrderRequest:
        """The order with quantity and price on the exchange's grid; `InvalidInputError` if it then breaks a
        minimum. ``reference_price`` (the mark) values market orders for the notional check."""
        if order.qty <= 0:
            raise InvalidInputError("qty", "The order quantity must be positive.", fix="Give a quantity above 0.")
        qty = self.round_qty(order.qty)
        if qty < self.min_qty:
            raise InvalidInputError(
                "qty",
                f"{order.qty} {order.symbol} is below the minimum order quantity {self.min_qty} "
                f"(quantities are multiples of {self.lot_size}).",
                fix=f"Order at least {self.min_qty}.",
            )
        if self.max_qty is not None and qty > self.max_qty:
            raise InvalidInputError(
                "qty",
                f"{qty} {order.symbol} is above the maximum order quantity {self.max_qty}.",
                fix="Split the order.",
            )
        price = order.price
        if order.order_type is OrderType.LIMIT:
            if price is None or price <= 0:
                raise InvalidInputError("price", "A limit order needs a positive price.", fix="Give a price.")
            price = self.round_price(price, order.side)
            if price <= 0:
                raise InvalidInputError("price", f"{order.price} rounds to 0 at tick {self.tick_size}.", fix="")
        valued_at = price if price is not None else reference_price
        if not order.reduce_only and valued_at is not None and qty * valued_at < self.min_notional:
            raise InvalidInputError(
                "qty",
                f"{qty} {order.symbol} at {valued_at} is worth {qty * valued_at}, below the exchange's minimum "
                f"order value {self.min_notional}.",
                fix=f"Order at least {self.min_notional} worth (or mark it reduce-only to close a position).",
            )
        return replace(order, qty=qty, price=price, client_order_id=order.client_order_id or new_client_order_id())
