"""Typed views and vocabularies of strategies, signals, bots and bot orders (issue 15).

What belongs here: the enums (strategy kind and visibility, signal action, bot state, mode, sizing, order state)
and the read-only shapes the strategy and bot services return to every shell (CLI ``--json``, the HTTP API,
pages), each built from ORM rows by a ``from_…`` constructor. What does not: rules (services.strategies,
services.bots, services.execution) or rendering (shells).

No view holds a secret: a strategy shows ``secret_hint`` (the first characters) only; `NewStrategySecret` is
the one answer that carries the signal secret, once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from tradedock.db.models import Bot, BotOrder, Event, Strategy, StrategySignal
from tradedock.services.views import Money, View


class StrategyKind(enum.StrEnum):
    WEBHOOK = "webhook"
    BUILTIN = "builtin"


class Visibility(enum.StrEnum):
    PRIVATE = "private"
    PUBLIC = "public"


class SignalAction(enum.StrEnum):
    """``long``/``short``: hold a long/short position (the bot's sizing, or the signal's ``size``); ``close``
    and ``flat``: hold nothing (``flat`` is the target-position spelling of ``close``)."""

    LONG = "long"
    SHORT = "short"
    CLOSE = "close"
    FLAT = "flat"


class BotState(enum.StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class BotMode(enum.StrEnum):
    LIVE = "live"
    PAPER = "paper"


class SizingKind(enum.StrEnum):
    FIXED_QUOTE = "fixed_quote"  # every position is worth ``sizing_value`` quote coin (USDT) at the mark
    BALANCE_PCT = "balance_pct"  # ``sizing_value`` percent of the futures wallet's available balance


class OrderState(enum.StrEnum):
    PENDING = "pending"  # created with the signal; nothing sent
    SENDING = "sending"  # committed before the exchange call; resolved by client order id after a crash
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    REJECTED = "rejected"  # the exchange (or its rules, checked locally) refused it; nothing is open
    FAILED = "failed"  # not sent, or not knowable: see ``error``
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # nothing to order (already at the target, or the bot was not running)


#: States after which an order row never changes again.
FINAL_ORDER_STATES = frozenset(
    {OrderState.FILLED, OrderState.REJECTED, OrderState.FAILED, OrderState.CANCELLED, OrderState.SKIPPED}
)


class StrategyView(View):
    id: str
    name: str
    description: str
    kind: StrategyKind
    visibility: Visibility
    owned: bool  # the caller owns it (may rotate, delete; sees its signals)
    builtin_name: str | None
    params: dict[str, Any]
    secret_hint: str | None  # the signal secret's first characters (webhook strategies)
    max_signal_age_s: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Strategy, owner_id: str | None) -> StrategyView:
        return cls(
            id=row.id,
            name=row.name,
            description=row.description,
            kind=StrategyKind(row.kind),
            visibility=Visibility(row.visibility),
            owned=owner_id is not None and row.owner_id == owner_id,
            builtin_name=row.builtin_name,
            params=dict(row.params),
            secret_hint=row.secret_hint,
            max_signal_age_s=row.max_signal_age_s,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class NewStrategySecret(View):
    """A webhook strategy just created or its secret rotated: the only answer that shows the signal secret."""

    strategy: StrategyView
    secret: str
    signal_url_path: str  # "/api/v1/strategies/<id>/signals"


class SignalView(View):
    id: str
    strategy_id: str
    signal_id: str
    action: SignalAction
    symbol: str
    size: Money | None
    signal_time: datetime
    received_at: datetime
    outcome: str

    @classmethod
    def from_row(cls, row: StrategySignal) -> SignalView:
        return cls(
            id=row.id,
            strategy_id=row.strategy_id,
            signal_id=row.signal_id,
            action=SignalAction(row.action),
            symbol=row.symbol,
            size=row.target_size,
            signal_time=row.signal_time,
            received_at=row.received_at,
            outcome=row.outcome,
        )


class SignalAccepted(View):
    """The answer to an accepted signal: what it is and how many bot orders it created (executed by workers)."""

    signal: SignalView
    orders_created: int
    bots_skipped: int  # bots of the strategy that are not running or do not trade the symbol


class BotOrderView(View):
    id: str
    bot_id: str
    signal_id: str | None  # None for the platform's own orders (origin stop / stop_condition)
    origin: str  # signal | stop | stop_condition
    client_order_id: str
    symbol: str
    action: SignalAction
    side: str | None
    qty: Money | None
    reduce_only: bool
    state: OrderState
    exchange_order_id: str | None
    filled_qty: Money
    avg_price: Money | None
    fee: Money | None
    error: str | None
    attempts: int
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: BotOrder) -> BotOrderView:
        return cls(
            id=row.id,
            bot_id=row.bot_id,
            signal_id=row.signal_id,
            origin=row.origin,
            client_order_id=row.client_order_id,
            symbol=row.symbol,
            action=SignalAction(row.action),
            side=row.side,
            qty=row.qty,
            reduce_only=row.reduce_only,
            state=OrderState(row.state),
            exchange_order_id=row.exchange_order_id,
            filled_qty=row.filled_qty,
            avg_price=row.avg_price,
            fee=row.fee,
            error=row.error,
            attempts=row.attempts,
            sent_at=row.sent_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class PositionView(View):
    """The bot's position on one symbol as last reconciled with the exchange."""

    symbol: str
    qty: Money  # signed: + long, - short
    entry_price: Money | None
    mark_price: Money | None
    unrealised_pnl: Money | None

    @classmethod
    def of(cls, symbol: str, stored: dict[str, Any]) -> PositionView:
        def dec(name: str) -> Decimal | None:
            value = stored.get(name)
            return None if value is None else Decimal(str(value))

        return cls(
            symbol=symbol,
            qty=dec("qty") or Decimal(0),
            entry_price=dec("entry_price"),
            mark_price=dec("mark_price"),
            unrealised_pnl=dec("unrealised_pnl"),
        )


class BotView(View):
    id: str
    name: str
    connection_id: str | None
    strategy_id: str | None
    symbols: list[str]
    sizing_kind: SizingKind
    sizing_value: Money
    leverage_cap: Money | None
    max_position_quote: Money | None
    stops: dict[str, str]
    mode: BotMode
    paper_connection_id: str | None
    state: BotState
    state_reason: str | None
    positions: list[PositionView]  # last reconciled with the exchange; empty when flat
    realized_pnl: Money  # quote coin, net of fees
    fees_paid: Money
    reconciled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None

    @classmethod
    def from_row(cls, row: Bot) -> BotView:
        return cls(
            id=row.id,
            name=row.name,
            connection_id=row.connection_id,
            strategy_id=row.strategy_id,
            symbols=list(row.symbols),
            sizing_kind=SizingKind(row.sizing_kind),
            sizing_value=row.sizing_value,
            leverage_cap=row.leverage_cap,
            max_position_quote=row.max_position_quote,
            stops={str(k): str(v) for k, v in dict(row.stops).items()},
            mode=BotMode(row.mode),
            paper_connection_id=row.paper_connection_id,
            state=BotState(row.state),
            state_reason=row.state_reason,
            positions=[PositionView.of(symbol, dict(p)) for symbol, p in sorted(dict(row.positions).items())],
            realized_pnl=row.realized_pnl,
            fees_paid=row.fees_paid,
            reconciled_at=row.reconciled_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            started_at=row.started_at,
        )


class BotEventView(View):
    id: str
    type: str
    created_at: datetime
    data: dict[str, Any]

    @classmethod
    def from_row(cls, row: Event) -> BotEventView:
        return cls(id=row.id, type=row.type, created_at=row.created_at, data=dict(row.data))


class BotDetail(View):
    """A bot's page: the bot (with positions and PnL), its orders and its audit trail."""

    bot: BotView
    orders: list[BotOrderView]  # newest first
    events: list[BotEventView]  # the audit trail (``bot.*`` events), newest first

    @classmethod
    def build(cls, bot: Bot, orders: Iterable[BotOrder], events: Iterable[Event]) -> BotDetail:
        return cls(
            bot=BotView.from_row(bot),
            orders=[BotOrderView.from_row(o) for o in orders],
            events=[BotEventView.from_row(e) for e in events],
        )


class BotRequest(View):
    """What `BotService.create` takes (the API body and the CLI options map onto it one to one). Values are
    checked by the service, each refusal an `InvalidInputError` naming the field."""

    name: str
    connection_id: str
    strategy_id: str
    symbols: list[str]
    sizing_kind: SizingKind
    sizing_value: Decimal  # quote coin (fixed_quote) or percent 0 < v <= 100 (balance_pct)
    leverage_cap: Decimal | None = None
    max_position_quote: Decimal | None = None
    #: any of max_loss_quote, max_loss_pct, take_profit_quote, take_profit_pct (positive decimals)
    stops: dict[str, Decimal] = Field(default_factory=dict)
    mode: BotMode = BotMode.LIVE
