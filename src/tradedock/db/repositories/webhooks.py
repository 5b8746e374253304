"""Webhook endpoints and stored events of one owner.

What belongs here: every query on ``webhooks`` and ``events``. Each takes the owner id and puts it in the
query, so another owner's webhook is exactly as absent as a missing one. What does not: sealing the signing
secret (the vault, via services.webhooks) or delivering (the monitor, later).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.clock import Clock, SystemClock
from tradedock.db.models import Event, Webhook, new_id
from tradedock.db.repositories.support import json_document, rowcount


class WebhookRepository:
    def __init__(self, session: AsyncSession, clock: Clock | None = None) -> None:
        self._session = session
        self._clock = clock or SystemClock()

    async def add(
        self,
        *,
        webhook_id: str,
        owner_id: str,
        url: str,
        description: str,
        event_types: Sequence[str],
        kek_id: str,
        wrapped_dek: bytes,
        secret_ciphertext: bytes,
        aad_version: int,
    ) -> Webhook:
        row = Webhook(
            id=webhook_id,
            owner_id=owner_id,
            url=url,
            description=description,
            event_types=list(event_types),
            kek_id=kek_id,
            wrapped_dek=wrapped_dek,
            secret_ciphertext=secret_ciphertext,
            aad_version=aad_version,
            created_at=self._clock.now(),
        )
        self._session.add(row)
        await self._session.flush()
        return row

    async def list_for_owner(self, owner_id: str, *, limit: int, offset: int) -> list[Webhook]:
        query = (
            select(Webhook)
            .where(Webhook.owner_id == owner_id)
            .order_by(Webhook.created_at.desc(), Webhook.id)
            .limit(limit)
            .offset(offset)
        )
        return list((await self._session.execute(query)).scalars())

    async def delete(self, owner_id: str, webhook_id: str) -> bool:
        """Delete the owner's webhook; False when this owner has no such webhook."""
        result = await self._session.execute(
            delete(Webhook).where(Webhook.id == webhook_id, Webhook.owner_id == owner_id)
        )
        return bool(rowcount(result))


class EventRepository:
    def __init__(self, session: AsyncSession, clock: Clock | None = None) -> None:
        self._session = session
        self._clock = clock or SystemClock()

    async def add(
        self,
        owner_id: str,
        type_: str,
        data: Mapping[str, Any],
        *,
        connection_id: str | None = None,
        bot_id: str | None = None,
    ) -> Event:
        document = json_document(dict(data), f"event {type_!r}")
        row = Event(
            id=new_id(),
            owner_id=owner_id,
            connection_id=connection_id,
            bot_id=bot_id,
            type=type_,
            created_at=self._clock.now(),
            data=document,
        )
        self._session.add(row)
        await self._session.flush()
        return row

    async def list_for_owner(self, owner_id: str, *, limit: int, offset: int) -> list[Event]:
        query = (
            select(Event)
            .where(Event.owner_id == owner_id)
            .order_by(Event.created_at.desc(), Event.id)
            .limit(limit)
            .offset(offset)
        )
        return list((await self._session.execute(query)).scalars())
