"""Vault-internal wrapped keys (the fingerprint key) in ``vault_meta``.

What belongs here: reading, inserting and re-wrapping those rows. Rows expose ``kek_id``, ``wrapped`` and
``aad_version``, the shape the vault's ``load_fingerprint_key`` accepts. What does not: cryptography.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.clock import Clock, SystemClock
from tradedock.db.models import VaultMeta


class VaultMetaRepository:
    def __init__(self, session: AsyncSession, clock: Clock | None = None) -> None:
        self._session = session
        self._clock = clock or SystemClock()

    async def get(self, name: str) -> VaultMeta | None:
        return await self._session.get(VaultMeta, name, populate_existing=True)

    async def insert(self, name: str, *, kek_id: str, wrapped: bytes, aad_version: int) -> VaultMeta | None:
        """Insert a new row; ``None`` if another process inserted ``name`` first (then read theirs)."""
        now = self._clock.now()
        row = VaultMeta(
            name=name, kek_id=kek_id, wrapped=bytes(wrapped), aad_version=aad_version, created_at=now, updated_at=now
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            return None
        return row

    async def update_wrap(self, name: str, *, kek_id: str, wrapped: bytes, aad_version: int) -> None:
        row = await self.get(name)
        if row is None:
            raise LookupError(f"vault_meta row {name!r} does not exist")
        row.kek_id = kek_id
        row.wrapped = bytes(wrapped)
        row.aad_version = aad_version
        row.updated_at = self._clock.now()
        await self._session.flush()

    async def list_all(self) -> list[VaultMeta]:
        return list((await self._session.execute(select(VaultMeta).order_by(VaultMeta.name))).scalars())

    async def count_by_kek_id(self) -> dict[str, int]:
        rows = await self._session.execute(select(VaultMeta.kek_id, func.count()).group_by(VaultMeta.kek_id))
        return {kek_id: int(count) for kek_id, count in rows.all()}
