"""Sizing a bot's order and the PnL arithmetic: pure functions of the bot's settings and what the exchange said.

What belongs here: the target position a signal asks for (the bot's sizing — a fixed quote amount or a percent of
the futures balance — or the signal's own size, capped by the max position and the leverage cap), the order that
moves the current position to it, and the realized PnL of a fill. What does not: exchange calls, rounding to the
exchange's grid (`InstrumentRules.prepare`), storage (services.execution).

Positions are signed: + long, - short (one-way mode; bots refuse hedge mode).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from tradedock.exchanges.orders import OrderSide, PositionLeg, PositionState
from tradedock.services.bot_views import SignalAction, SizingKind

ZERO = Decimal(0)


@dataclass(frozen=True)
class Sizing:
    kind: SizingKind
    value: Decimal
    leverage_cap: Decimal | None = None
    max_position_quote: Decimal | None = None


@dataclass(frozen=True)
class Planned:
    """The order that moves the position to the target; ``qty`` 0 = nothing to do (``why`` says why)."""

    side: OrderSide
    qty: Decimal
    reduce_only: bool
    target: Decimal
    why: str = ""


def net_position(positions: Iterable[PositionState], symbol: str) -> tuple[Decimal, Decimal | None, bool]:
    """(signed size, entry price, hedge legs seen) of one symbol from the exchange's positions."""
    size, entry, hedge = ZERO, None, False
    for p in positions:
        if p.symbol != symbol or p.size == 0:
            continue
        if p.leg is not PositionLeg.NET:
            hedge = True
        size += p.size if p.long else -p.size
        entry = p.entry_price
    return size, entry, hedge


def target_size(
    action: SignalAction,
    sizing: Sizing,
    mark: Decimal,
    *,
    signal_size: Decimal | None = None,
    available: Decimal | None = None,
    equity: Decimal | None = None,
) -> Decimal:
    """The absolute position size the signal asks for (0 for close/flat), before the exchange's grid."""
    if action in (SignalAction.CLOSE, SignalAction.FLAT) or mark <= 0:
        return ZERO
    if signal_size is not None:
        size = signal_size
    elif sizing.kind is SizingKind.FIXED_QUOTE:
        size = sizing.value / mark
    else:
        size = (available or ZERO) * sizing.value / 100 / mark
    if sizing.max_position_quote is not None:
        size = min(size, sizing.max_position_quote / mark)
    if sizing.leverage_cap is not None and equity is not None:
        size = min(size, equity * sizing.leverage_cap / mark)
    return max(size, ZERO)


def plan(action: SignalAction, current: Decimal, size: Decimal, *, explicit_size: bool) -> Planned:
    """The order from ``current`` (signed) to the target. A long (short) signal while already long (short) does
    nothing unless the signal gave its own size: the bot does not chase the price with small top-ups."""
    if action is SignalAction.LONG:
        target = size
    elif action is SignalAction.SHORT:
        target = -size
    else:
        target = ZERO
    if not explicit_size and current != 0 and target != 0 and (current > 0) == (target > 0):
        return Planned(OrderSide.BUY, ZERO, False, current, why=f"already {action.value}")
    delta = target - current
    if delta == 0:
        return Planned(OrderSide.BUY, ZERO, False, target, why="already at the target position")
    side = OrderSide.BUY if delta > 0 else OrderSide.SELL
    reduces = current != 0 and abs(target) < abs(current) and (target == 0 or (target > 0) == (current > 0))
    return Planned(side, abs(delta), reduces, target)


def realized(current: Decimal, entry: Decimal | None, side: OrderSide, filled: Decimal, price: Decimal) -> Decimal:
    """PnL realised by a fill of ``filled`` at ``price`` against the position ``current`` opened at ``entry``."""
    if current == 0 or entry is None or filled <= 0:
        return ZERO
    closing = (current > 0 and side is OrderSide.SELL) or (current < 0 and side is OrderSide.BUY)
    if not closing:
        return ZERO
    closed = min(filled, abs(current))
    direction = Decimal(1) if current > 0 else Decimal(-1)
    return (price - entry) * closed * direction
