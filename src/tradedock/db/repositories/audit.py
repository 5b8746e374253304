"""The audit log: append-only records of what happened to connections (never a secret).

What belongs here: appending and listing ``audit_log`` rows, and deleting one action's old rows (history retention
removes the monitor's one-per-re-check entries; what users and operators did is never deleted). Rows carry
``connection_id`` without a foreign key, so the record of a removal survives the removal. What does not: deciding
what to audit (services).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.clock import Clock, SystemClock
from tradedock.db.models import AuditEntry
from tradedock.db.repositories.support import insert_rows, json_document, rowcount


class AuditRepository:
    def __init__(self, session: AsyncSession, clock: Clock | None = None) -> None:
        self._session = session
        self._clock = clock or SystemClock()

    async def append(
        self,
        *,
        owner_id: str,
        action: str,
        connection_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Record an action; ``detail`` must hold public facts only (keys named like secrets are refused)."""
        document = json_document(dict(detail or {}), f"audit detail of {action!r}")
        entry = AuditEntry(
            at=self._clock.now(), owner_id=owner_id, connection_id=connection_id, action=action, detail=document
        )
        self._session.add(entry)
        await self._session.flush()
        return entry

    async def append_many(self, entries: Sequence[tuple[str, str | None, str, Mapping[str, Any]]]) -> None:
        """`append` for a batch, one bulk insert (`support.insert_rows`): (owner_id, connection_id, action, detail)
        each."""
        if not entries:
            return
        now = self._clock.now()
        rows = []
        for owner_id, connection_id, action, detail in entries:
            document = json_document(dict(detail), f"audit detail of {action!r}")
            rows.append(
                {"at": now, "owner_id": owner_id, "connection_id": connection_id, "action": action, "detail": document}
            )
        await insert_rows(self._session, cast(Table, AuditEntry.__table__), rows)

    async def list_for_owner(
        self, owner_id: str, *, connection_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[AuditEntry]:
        """The owner's records, newest first (optionally for one connection, removed ones included)."""
        query = select(AuditEntry).where(AuditEntry.owner_id == owner_id)
        if connection_id is not None:
            query = query.where(AuditEntry.connection_id == connection_id)
        query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
        return list((await self._session.execute(query)).scalars())

    async def delete_older(self, action: str, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` of the oldest ``action`` entries recorded before ``before``; how many went."""
        oldest = (
            select(AuditEntry.id)
            .where(AuditEntry.action == action, AuditEntry.at < before)
            .order_by(AuditEntry.at)
            .limit(limit)
        )
        result = await self._session.execute(
            delete(AuditEntry).where(AuditEntry.id.in_(oldest)).execution_options(synchronize_session=False)
        )
        return rowcount(result)
