"""Queries on strategies, accepted signals, bots and bot orders (issue 15).

What belongs here: every SQL statement on ``strategies``, ``strategy_signals``, ``bots`` and ``bot_orders``, and
the bot lease claim: one conditional UPDATE over a sub-select that is ``FOR UPDATE SKIP LOCKED`` on PostgreSQL
(the monitor's pattern; SQLite serialises writers with ``BEGIN IMMEDIATE``). Writes that race are conditional
on the row's ``version`` (and the bot's lease for the engine). What does not: rules (services.strategies,
services.bots, services.execution).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.db.models import Bot, BotOrder, Event, Strategy, StrategySignal
from tradedock.db.repositories.support import lease_selected, rowcount

#: Order states the engine still has work on (send, resolve, or follow until final).
ACTIVE_ORDER_STATES = ("pending", "sending", "open", "partially_filled")


class StrategyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, row: Strategy) -> Strategy:
        self._session.add(row)
        await self._session.flush()
        return row

    async def get(self, strategy_id: str) -> Strategy | None:
        return await self._session.get(Strategy, strategy_id)

    async def list_visible(self, owner_id: str | None) -> list[Strategy]:
        """The owner's strategies and every public one, newest first."""
        seen = Strategy.visibility == "public"
        if owner_id is not None:
            seen = or_(seen, Strategy.owner_id == owner_id)
        query = select(Strategy).where(seen).order_by(Strategy.created_at.desc(), Strategy.id)
        return list((await self._session.execute(query)).scalars())

    async def update_if_version(self, strategy_id: str, expected_version: int, **values: Any) -> bool:
        result = await self._session.execute(
            update(Strategy)
            .where(Strategy.id == strategy_id, Strategy.version == expected_version)
            .values(version=Strategy.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    async def delete(self, row: Strategy) -> None:
        await self._session.delete(row)
        await self._session.flush()

    async def bots_using(self, strategy_id: str, states: Iterable[str]) -> int:
        query = select(func.count()).select_from(Bot).where(Bot.strategy_id == strategy_id, Bot.state.in_(states))
        return int(await self._session.scalar(query) or 0)

    async def signal_known(self, strategy_id: str, signal_id: str) -> bool:
        query = select(StrategySignal.id).where(
            StrategySignal.strategy_id == strategy_id, StrategySignal.signal_id == signal_id
        )
        return (await self._session.execute(query)).first() is not None

    async def add_signal(self, row: StrategySignal) -> StrategySignal:
        self._session.add(row)
        await self._session.flush()
        return row

    async def signals(self, strategy_id: str, *, limit: int, offset: int) -> list[StrategySignal]:
        query = (
            select(StrategySignal)
            .where(StrategySignal.strategy_id == strategy_id)
            .order_by(StrategySignal.received_at.desc(), StrategySignal.id)
            .limit(limit)
            .offset(offset)
        )
        return list((await self._session.execute(query)).scalars())

    async def signal_sizes(self, ids: Iterable[str]) -> dict[str, Decimal | None]:
        wanted = list(ids)
        if not wanted:
            return {}
        query = select(StrategySignal.id, StrategySignal.target_size).where(StrategySignal.id.in_(wanted))
        return {row[0]: row[1] for row in (await self._session.execute(query)).all()}

    async def builtins_with_running_bots(self) -> list[tuple[Strategy, Bot]]:
        query = (
            select(Strategy, Bot)
            .join(Bot, Bot.strategy_id == Strategy.id)
            .where(Strategy.kind == "builtin", Bot.state == "running")
            .order_by(Strategy.id, Bot.id)
        )
        return [(row[0], row[1]) for row in (await self._session.execute(query)).all()]


class BotRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- bots ----------------------------------------------------------------------------------------------

    async def add(self, row: Bot) -> Bot:
        self._session.add(row)
        await self._session.flush()
        return row

    async def get(self, bot_id: str) -> Bot | None:
        return await self._session.get(Bot, bot_id)

    async def find(self, owner_id: str, bot_id: str) -> Bot | None:
        query = select(Bot).where(Bot.owner_id == owner_id, Bot.id == bot_id)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def list_for_owner(self, owner_id: str) -> list[Bot]:
        query = select(Bot).where(Bot.owner_id == owner_id).order_by(Bot.created_at.desc(), Bot.id)
        return list((await self._session.execute(query)).scalars())

    async def of_strategy(self, strategy_id: str) -> list[Bot]:
        query = select(Bot).where(Bot.strategy_id == strategy_id).order_by(Bot.id)
        return list((await self._session.execute(query)).scalars())

    async def update_if_version(self, bot_id: str, expected_version: int, **values: Any) -> bool:
        """Write ``values`` (bumping ``version``) only if the row is still at ``expected_version``."""
        result = await self._session.execute(
            update(Bot)
            .where(Bot.id == bot_id, Bot.version == expected_version)
            .values(version=Bot.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    async def update_if_leased(self, bot_id: str, worker_id: str, **values: Any) -> bool:
        """Write ``values`` only while ``worker_id`` holds the bot's lease (the engine's fence)."""
        result = await self._session.execute(
            update(Bot)
            .where(Bot.id == bot_id, Bot.lease_owner == worker_id)
            .values(version=Bot.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    async def delete(self, row: Bot) -> None:
        await self._session.delete(row)
        await self._session.flush()

    # --- leases --------------------------------------------------------------------------------------------

    async def claim(
        self, worker_id: str, now: datetime, until: datetime, limit: int, *, reconcile_before: datetime
    ) -> list[str]:
        """Lease up to ``limit`` bots whose lease is free or expired and that have orders to work on, or are
        running and were last reconciled before ``reconcile_before``."""
        has_work = select(BotOrder.bot_id).where(BotOrder.state.in_(ACTIVE_ORDER_STATES))
        due = (
            select(Bot.id)
            .where(
                or_(Bot.lease_expires_at.is_(None), Bot.lease_expires_at < now),
                or_(
                    Bot.id.in_(has_work),
                    and_(
                        Bot.state == "running",
                        or_(Bot.reconciled_at.is_(None), Bot.reconciled_at < reconcile_before),
                    ),
                ),
            )
            .order_by(Bot.reconciled_at.is_not(None), Bot.reconciled_at, Bot.id)
            .limit(limit)
        )
        return await lease_selected(self._session, Bot.id, due, worker_id, until)

    async def release(self, bot_id: str, worker_id: str, **values: Any) -> bool:
        result = await self._session.execute(
            update(Bot)
            .where(Bot.id == bot_id, Bot.lease_owner == worker_id)
            .values(lease_owner=None, lease_expires_at=None, **values)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    # --- orders --------------------------------------------------------------------------------------------

    async def add_order(self, row: BotOrder) -> BotOrder:
        self._session.add(row)
        await self._session.flush()
        return row

    async def order(self, order_id: str) -> BotOrder | None:
        return await self._session.get(BotOrder, order_id)

    async def orders(self, bot_id: str, *, limit: int, offset: int) -> list[BotOrder]:
        query = (
            select(BotOrder)
            .where(BotOrder.bot_id == bot_id)
            .order_by(BotOrder.created_at.desc(), BotOrder.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list((await self._session.execute(query)).scalars())

    async def active_orders(self, bot_id: str) -> list[BotOrder]:
        """The bot's orders still to send, resolve or follow, oldest (signal order) first."""
        query = (
            select(BotOrder)
            .where(BotOrder.bot_id == bot_id, BotOrder.state.in_(ACTIVE_ORDER_STATES))
            .order_by(BotOrder.created_at, BotOrder.id)
        )
        return list((await self._session.execute(query)).scalars())

    async def update_order_if_version(self, order_id: str, expected_version: int, **values: Any) -> bool:
        result = await self._session.execute(
            update(BotOrder)
            .where(BotOrder.id == order_id, BotOrder.version == expected_version)
            .values(version=BotOrder.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    async def events(self, bot_id: str, *, limit: int, offset: int) -> list[Event]:
        query = (
            select(Event)
            .where(Event.bot_id == bot_id)
            .order_by(Event.created_at.desc(), Event.id)
            .limit(limit)
            .offset(offset)
        )
        return list((await self._session.execute(query)).scalars())
