"""Small rules shared by the strategy, bot and execution services: the deterministic client order id, a new
pending bot order, a bot's audit events, and which connection a bot executes on.

What belongs here: helpers the three services need inside their own transactions. What does not: transactions,
exchange calls or the state machine (services.bots, services.execution).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.clock import Clock
from tradedock.db.models import Bot, BotOrder, Event, new_id
from tradedock.services.bot_views import BotMode, OrderState, SignalAction
from tradedock.services.notifications import emit

STATE_CHANGED = "bot.state_changed"
START_REFUSED = "bot.start_refused"
ORDER_DONE = "bot.order_done"
ORDER_FAILED = "bot.order_failed"
SIGNAL_REFUSED = "strategy.signal_refused"

#: 32 characters of [0-9a-z]: inside Bybit orderLinkId (36), Bitget clientOid (50), Aster newClientOrderId (36).
CLIENT_ID_HEX = 30


def client_order_id(bot_id: str, key: str) -> str:
    """The client order id of the bot's order for ``key`` (the signal row's id, or the order's own id): the same
    inputs always give the same id, so the exchange refuses a second order for one bot and signal."""
    return "td" + hashlib.sha256(f"{bot_id}:{key}".encode()).hexdigest()[:CLIENT_ID_HEX]


def pending_order(
    bot: Bot, symbol: str, action: SignalAction, clock: Clock, *, signal_id: str | None, origin: str
) -> BotOrder:
    now = clock.now()
    order_id = new_id()
    return BotOrder(
        id=order_id,
        bot_id=bot.id,
        signal_id=signal_id,
        origin=origin,
        client_order_id=client_order_id(bot.id, signal_id or order_id),
        symbol=symbol,
        action=action.value,
        state=OrderState.PENDING.value,
        filled_qty=Decimal(0),
        attempts=0,
        created_at=now,
        updated_at=now,
    )


def execution_connection_id(bot: Bot) -> str | None:
    """The connection a bot's orders go to: its own, or its paper account's in paper mode."""
    return bot.paper_connection_id if bot.mode == BotMode.PAPER.value else bot.connection_id


async def bot_event(session: AsyncSession, clock: Clock, bot: Bot, type_: str, data: Mapping[str, Any]) -> Event:
    """A ``bot.*`` event on the bot's audit trail, queued to the owner's webhooks in the same transaction."""
    document = {"bot_id": bot.id, "name": bot.name, **data}
    return await emit(session, clock, bot.owner_id, type_, document, connection_id=bot.connection_id, bot_id=bot.id)
