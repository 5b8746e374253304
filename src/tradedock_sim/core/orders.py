"""The exchange-neutral vocabulary of the simulated matching engine: instruments, order requests, orders, fills,
positions, and the refusals an exchange maps to its own codes.

Belongs here: plain data and the `Reject` reasons. Does not belong here: the engine (`engine.py`), the control
API (`trading_control.py`) or any exchange's wire names (each exchange folder translates both ways).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)


class Reject(enum.StrEnum):
    """Why the engine refused a trading request; each exchange maps these to its own code and message."""

    UNKNOWN_SYMBOL = "unknown_symbol"
    QTY_TOO_SMALL = "qty_too_small"  # below the instrument's minimum order quantity
    QTY_TOO_LARGE = "qty_too_large"
    QTY_STEP = "qty_step"  # not a multiple of the lot size
    PRICE_TICK = "price_tick"  # not a multiple of the tick size
    PRICE_MISSING = "price_missing"  # limit order without a price
    MIN_NOTIONAL = "min_notional"  # qty * price below the instrument's minimum order value
    INSUFFICIENT_MARGIN = "insufficient_margin"
    REDUCE_ONLY = "reduce_only"  # nothing to reduce on that side
    DUPLICATE_CLIENT_ID = "duplicate_client_id"
    POSITION_SIDE = "position_side"  # position side does not match the position mode
    ORDER_NOT_FOUND = "order_not_found"
    ORDER_FINISHED = "order_finished"  # amend/cancel of a filled or cancelled order
    LEVERAGE_INVALID = "leverage_invalid"
    LEVERAGE_NOT_MODIFIED = "leverage_not_modified"
    REJECTED = "rejected"  # injected by the `reject` order fault


class TradeRejected(Exception):
    """The engine refused a request; `reason` says why (the exchange chooses the wire code)."""

    def __init__(self, reason: Reject, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Instrument:
    """One tradable perpetual: trading rules as the exchange publishes them."""

    symbol: str
    base: str
    quote: str
    settle: str
    wallet: str  # the simulator wallet that holds this instrument's margin (Bybit UNIFIED, Aster futures, ...)
    tick: Decimal
    lot: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    max_leverage: Decimal
    reference_price: Decimal  # mark price until the control API sets another


class Side(enum.StrEnum):
    BUY = "buy"
    SELL = "sell"


class PositionSide(enum.StrEnum):
    """NET in one-way mode; LONG/SHORT are the two legs of hedge mode."""

    NET = "net"
    LONG = "long"
    SHORT = "short"


class OrderStatus(enum.StrEnum):
    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def open(self) -> bool:
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


@dataclass(frozen=True)
class OrderRequest:
    """A new order in neutral terms. `time_in_force`: GTC, IOC, FOK or POST_ONLY."""

    symbol: str
    side: Side
    order_type: str  # market | limit
    qty: Decimal
    price: Decimal | None = None
    reduce_only: bool = False
    time_in_force: str = "GTC"
    client_id: str = ""
    position_side: PositionSide = PositionSide.NET


@dataclass
class Order:
    order_id: str
    client_id: str
    symbol: str
    side: Side
    order_type: str
    qty: Decimal
    price: Decimal | None
    reduce_only: bool
    time_in_force: str
    position_side: PositionSide
    created_ms: int
    updated_ms: int
    status: OrderStatus = OrderStatus.NEW
    filled_qty: Decimal = ZERO
    filled_value: Decimal = ZERO
    fee: Decimal = ZERO
    cancel_reason: str = ""  # exchange-neutral: post_only_would_take, reduce_only, ioc, user, fok

    @property
    def leaves_qty(self) -> Decimal:
        return self.qty - self.filled_qty if self.status.open else ZERO

    @property
    def avg_price(self) -> Decimal | None:
        return self.filled_value / self.filled_qty if self.filled_qty else None


@dataclass(frozen=True)
class Fill:
    exec_id: str
    order_id: str
    client_id: str
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    fee: Decimal
    fee_rate: Decimal
    maker: bool
    time_ms: int
    closed_qty: Decimal = ZERO  # how much of the fill reduced a position


@dataclass
class Position:
    """A position leg. `size` is never negative; a NET position's direction is `long`."""

    symbol: str
    side: PositionSide
    size: Decimal = ZERO
    entry_price: Decimal = ZERO
    long: bool = True
    realised_pnl: Decimal = ZERO
    created_ms: int = 0
    updated_ms: int = 0


@dataclass
class Book:
    """Everything one account has traded: orders (open and closed), fills, positions, leverage per symbol."""

    orders: dict[str, Order] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)
    positions: dict[tuple[str, PositionSide], Position] = field(default_factory=dict)
    leverage: dict[str, Decimal] = field(default_factory=dict)
    client_ids: set[str] = field(default_factory=set)
