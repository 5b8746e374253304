"""The execution engine's writes: an order row moved (fenced by the bot's lease and the row's version), an
exchange's answer recorded with the realized PnL and fees it brings and the bot's event, a bot paused by the
platform. `services.execution` decides; `OrderRecords` writes, each in its own short transaction (never across an
exchange call).

What belongs here: those writes, the per-bot work they are given (`Work`), the round's counters (`ExecutionRound`)
and `Halt` (a write that lost its fence: another worker has the bot now). What does not: the per-order procedure and
reconciliation (services.execution), sizing (services.sizing), SQL (db.repositories.bots).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradedock.clock import Clock
from tradedock.db.models import Bot, BotOrder, Connection
from tradedock.db.repositories.bots import BotRepository
from tradedock.exchanges.orders import OrderRequest, OrderSide, OrderState, OrderStatus
from tradedock.services.bot_rules import ORDER_DONE, ORDER_FAILED, STATE_CHANGED, bot_event
from tradedock.services.bot_views import BotState
from tradedock.services.bot_views import OrderState as RowState
from tradedock.services.bots import Unfit
from tradedock.services.context import AppContext
from tradedock.services.sizing import realized

_log = logging.getLogger(__name__)

#: The exchange's order status as the order row's state.
_STATUS = {
    OrderStatus.OPEN: RowState.OPEN,
    OrderStatus.PARTIALLY_FILLED: RowState.PARTIALLY_FILLED,
    OrderStatus.FILLED: RowState.FILLED,
    OrderStatus.CANCELLED: RowState.CANCELLED,
    OrderStatus.REJECTED: RowState.REJECTED,
}

#: Order states that put (or may put) a position on; the others end without one.
_WORKING = (RowState.FILLED, RowState.PARTIALLY_FILLED, RowState.OPEN)


@dataclass
class ExecutionRound:
    bots: int = 0
    sent: int = 0
    resolved: int = 0
    rejected: int = 0
    failed: int = 0
    skipped: int = 0
    paused: int = 0
    errors: int = 0

    @property
    def worked(self) -> bool:
        """Orders moved this round (there may be more right away)."""
        return bool(self.sent or self.resolved or self.rejected or self.failed or self.skipped)


class Halt(Exception):
    """Stop working on this bot for this round (the reason is already recorded); later orders wait."""


@dataclass
class Work:
    """Phase 1's view of one claimed bot: detached rows and the signals' own sizes."""

    bot: Bot
    orders: list[BotOrder]
    sizes: Mapping[str, Decimal | None]
    connection: Connection | None
    positions: dict[str, dict[str, Any]] = field(default_factory=dict)


class OrderRecords:
    """One worker's writes for the bots it holds (``worker_id``: the bot lease every write is fenced by)."""

    def __init__(self, ctx: AppContext, worker_id: str, clock: Clock) -> None:
        self.ctx = ctx
        self.worker_id = worker_id
        self.clock = clock

    async def write(self, work: Work, order: BotOrder, **values: Any) -> BotOrder:
        """Write the order row (fenced by our lease and its version); the fresh row. Losing the fence halts."""
        async with self.ctx.transaction() as session:
            repo = BotRepository(session)
            bot = await repo.get(work.bot.id)
            if bot is None or bot.lease_owner != self.worker_id:
                raise Halt
            values["updated_at"] = self.clock.now()
            if not await repo.update_order_if_version(order.id, order.version, **values):
                raise Halt
            fresh = await repo.order(order.id)
            assert fresh is not None
            await session.refresh(fresh)
            return fresh

    async def mark_sending(self, work: Work, order: BotOrder, prepared: OrderRequest) -> BotOrder:
        return await self.write(
            work,
            order,
            state=RowState.SENDING.value,
            side=prepared.side.value,
            qty=prepared.qty,
            reduce_only=prepared.reduce_only,
            attempts=order.attempts + 1,
            sent_at=self.clock.now(),
            error=None,
        )

    async def back_to_pending(self, work: Work, order: BotOrder, why: str) -> BotOrder:
        return await self.write(work, order, state=RowState.PENDING.value, error=why[:400])

    async def finish(
        self, work: Work, order: BotOrder, state: RowState, *, error: str, side: OrderSide | None = None
    ) -> None:
        values: dict[str, Any] = {"state": state.value, "error": error[:400]}
        if side is not None:
            values["side"] = side.value
        fresh = await self.write(work, order, **values)
        if state in (RowState.REJECTED, RowState.FAILED):
            async with self.ctx.transaction() as session:
                await bot_event(session, self.clock, work.bot, ORDER_FAILED, _order_data(fresh))

    async def record(
        self,
        work: Work,
        order: BotOrder,
        answer: OrderState,
        current: Decimal | None,
        entry: Decimal | None,
    ) -> None:
        state = _STATUS[answer.status]  # a cancelled order may have filled in part (final; filled_qty says how much)
        traded = state in _WORKING or answer.filled_qty > 0
        price = answer.average_price or answer.price
        newly_filled = answer.filled_qty - order.filled_qty
        gained = Decimal(0)
        if current is not None and price is not None and newly_filled > 0:
            gained = realized(current, entry, answer.side, newly_filled, price)
        fee = answer.fee if answer.fee is not None else order.fee
        new_fee = (fee or Decimal(0)) - (order.fee or Decimal(0))
        async with self.ctx.transaction() as session:
            repo = BotRepository(session)
            bot = await repo.get(work.bot.id)
            if bot is None or bot.lease_owner != self.worker_id:
                raise Halt
            written = await repo.update_order_if_version(
                order.id,
                order.version,
                state=state.value,
                exchange_order_id=answer.order_id or None,
                filled_qty=answer.filled_qty,
                avg_price=price if answer.filled_qty > 0 else None,
                fee=fee,
                side=answer.side.value,
                qty=answer.qty,
                error=None if state in _WORKING else _ended(answer),
                updated_at=self.clock.now(),
            )
            if not written:
                raise Halt
            if gained or new_fee:  # realized PnL is net of the fees the exchange reports
                await repo.update_if_leased(
                    bot.id,
                    self.worker_id,
                    realized_pnl=bot.realized_pnl + gained - new_fee,
                    fees_paid=bot.fees_paid + new_fee,
                )
            fresh = await repo.order(order.id)
            assert fresh is not None
            await session.refresh(fresh)
            if traded:
                await bot_event(session, self.clock, work.bot, ORDER_DONE, _order_data(fresh))
            else:
                await bot_event(session, self.clock, work.bot, ORDER_FAILED, _order_data(fresh))

    async def pause(self, work: Work, unfit: Unfit, result: ExecutionRound) -> None:
        """The platform pauses a running bot that cannot trade (and tells the owner why)."""
        bot = work.bot
        if bot.state != BotState.RUNNING.value:
            return
        async with self.ctx.transaction() as session:
            repo = BotRepository(session)
            if not await repo.update_if_leased(
                bot.id,
                self.worker_id,
                state=BotState.PAUSED.value,
                state_reason=unfit.message[:400],
                updated_at=self.clock.now(),
            ):
                raise Halt
            data = {
                "from": bot.state,
                "to": BotState.PAUSED.value,
                "reason": unfit.message,
                "code": unfit.reason,
                "fix": unfit.fix,
                "by": "platform",
            }
            await bot_event(session, self.clock, bot, STATE_CHANGED, data)
        _log.warning("bot %s paused: %s", bot.id, unfit.message)
        bot.state = BotState.PAUSED.value
        result.paused += 1


def _ended(answer: OrderState) -> str:
    if answer.filled_qty > 0:
        return f"the exchange {answer.status.value} the rest: filled {answer.filled_qty:f} of {answer.qty:f}"
    return f"the exchange reports the order {answer.status.value}"


def _order_data(order: BotOrder) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side,
        "qty": None if order.qty is None else format(order.qty, "f"),
        "state": order.state,
        "filled_qty": format(order.filled_qty, "f"),
        "avg_price": None if order.avg_price is None else format(order.avg_price, "f"),
        "error": order.error,
    }
