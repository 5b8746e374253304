"""Sealed connection secrets: the wrapped data key row and its per-field ciphertext rows.

What belongs here: storing, reading, re-wrapping and destroying what the vault sealed, and the queries
rotation and the startup canary need (counts per master key id, keyset-paginated batches). What does not:
encryption (the vault; this package never sees plaintext), or owner-facing connection queries
(connections.py, which calls `SecretRepository` for add/replace/delete).

Records returned here have the attribute names the vault expects (``kek_id``, ``wrapped_dek``, ``fields``,
``aad_version``), so ``vault.open(record, context)`` works without conversion.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.clock import Clock, SystemClock
from tradedock.db.models import Connection, ConnectionSecret, ConnectionSecretField, Webhook
from tradedock.db.repositories.support import rowcount


class SealedInput(Protocol):
    """What the repositories accept to store: the vault's ``SealedSecrets`` has exactly these attributes."""

    @property
    def kek_id(self) -> str: ...

    @property
    def wrapped_dek(self) -> bytes: ...

    @property
    def fields(self) -> Mapping[str, bytes]: ...

    @property
    def aad_version(self) -> int: ...


@dataclass(frozen=True, repr=False)
class StoredSecrets:
    """One connection's sealed material as stored. Usable directly as the vault's ``SealedMaterial``."""

    connection_id: str
    kek_id: str
    wrapped_dek: bytes
    fields: Mapping[str, bytes]
    aad_version: int

    def __repr__(self) -> str:
        return f"StoredSecrets(connection_id={self.connection_id!r}, kek_id={self.kek_id!r}, sealed=***)"


@dataclass(frozen=True, repr=False)
class WrapSwap:
    """One row's new wrapped data key, to be written only if the row is still under ``expected_kek_id``."""

    row_id: str
    expected_kek_id: str
    kek_id: str
    wrapped_dek: bytes
    aad_version: int

    def __repr__(self) -> str:
        return f"WrapSwap(row_id={self.row_id!r}, {self.expected_kek_id!r} -> {self.kek_id!r})"


@dataclass(frozen=True)
class SealedRow:
    """A sealed record with the public facts its AAD is bound to (for rotation and the canary)."""

    owner_id: str
    connection_id: str
    exchange: str
    secrets: StoredSecrets


class SecretRepository:
    def __init__(self, session: AsyncSession, clock: Clock | None = None) -> None:
        self._session = session
        self._clock = clock or SystemClock()

    async def put(self, connection_id: str, sealed: SealedInput) -> None:
        """Store (or replace in place) a connection's sealed material; old field ciphertexts are deleted."""
        now = self._clock.now()
        await self._session.execute(
            delete(ConnectionSecretField).where(ConnectionSecretField.connection_id == connection_id)
        )
        row = await self._session.get(ConnectionSecret, connection_id)
        if row is None:
            row = ConnectionSecret(connection_id=connection_id, created_at=now)
            self._session.add(row)
        row.kek_id = sealed.kek_id
        row.wrapped_dek = bytes(sealed.wrapped_dek)
        row.aad_version = sealed.aad_version
        row.updated_at = now
        await self._session.flush()
        self._session.add_all(
            ConnectionSecretField(connection_id=connection_id, field=name, ciphertext=bytes(blob))
            for name, blob in sealed.fields.items()
        )
        await self._session.flush()

    async def insert_many(self, items: Sequence[tuple[str, SealedInput]]) -> None:
        """Store the sealed material of many *new* connections: two executemany INSERTs (wrapped data keys, then
        field ciphertexts), whatever the count. The connection rows must exist; nothing is replaced."""
        if not items:
            return
        now = self._clock.now()
        connection = await self._session.connection()
        await connection.execute(
            insert(cast(Table, ConnectionSecret.__table__)),
            [
                {
                    "connection_id": connection_id,
                    "kek_id": sealed.kek_id,
                    "wrapped_dek": bytes(sealed.wrapped_dek),
                    "aad_version": sealed.aad_version,
                    "created_at": now,
                    "updated_at": now,
                }
                for connection_id, sealed in items
            ],
        )
        await connection.execute(
            insert(cast(Table, ConnectionSecretField.__table__)),
            [
                {"connection_id": connection_id, "field": name, "ciphertext": bytes(blob)}
                for connection_id, sealed in items
                for name, blob in sealed.fields.items()
            ],
        )

    async def get(self, connection_id: str) -> StoredSecrets | None:
        row = await self._session.get(ConnectionSecret, connection_id, populate_existing=True)
        if row is None:
            return None
        return (await self._records([row]))[0]

    async def get_many(self, connection_ids: list[str]) -> dict[str, StoredSecrets]:
        """Sealed material of many connections in two queries (connection id → record; missing ids absent)."""
        if not connection_ids:
            return {}
        query = select(ConnectionSecret).where(ConnectionSecret.connection_id.in_(connection_ids))
        rows = list((await self._session.execute(query.execution_options(populate_existing=True))).scalars())
        return {record.connection_id: record for record in await self._records(rows)}

    async def _records(self, rows: list[ConnectionSecret]) -> list[StoredSecrets]:
        """Attach field ciphertexts to secret rows with one query for the whole list."""
        fields: dict[str, dict[str, bytes]] = {row.connection_id: {} for row in rows}
        result = await self._session.execute(
            select(
                ConnectionSecretField.connection_id, ConnectionSecretField.field, ConnectionSecretField.ciphertext
            ).where(ConnectionSecretField.connection_id.in_(list(fields)))
        )
        for connection_id, name, blob in result.all():
            fields[connection_id][name] = blob
        return [
            StoredSecrets(
                connection_id=row.connection_id,
                kek_id=row.kek_id,
                wrapped_dek=row.wrapped_dek,
                fields=MappingProxyType(fields[row.connection_id]),
                aad_version=row.aad_version,
            )
            for row in rows
        ]

    async def delete(self, connection_id: str) -> None:
        """Destroy the field ciphertexts and the wrapped data key (without it nothing can be opened)."""
        await self._session.execute(
            delete(ConnectionSecretField).where(ConnectionSecretField.connection_id == connection_id)
        )
        await self._session.execute(delete(ConnectionSecret).where(ConnectionSecret.connection_id == connection_id))
        await self._session.flush()

    async def update_wrap(
        self, connection_id: str, *, expected_kek_id: str, kek_id: str, wrapped_dek: bytes, aad_version: int
    ) -> bool:
        """Swap the wrapped data key if it is still under ``expected_kek_id`` (a concurrent replace wins)."""
        result = await self._session.execute(
            update(ConnectionSecret)
            .where(ConnectionSecret.connection_id == connection_id, ConnectionSecret.kek_id == expected_kek_id)
            .values(
                kek_id=kek_id, wrapped_dek=bytes(wrapped_dek), aad_version=aad_version, updated_at=self._clock.now()
            )
            .execution_options(synchronize_session=False)
        )
        await self._session.flush()
        return bool(rowcount(result))

    async def update_wraps(self, swaps: Sequence[WrapSwap]) -> int:
        """`update_wrap` for a whole batch in one statement (executemany); returns how many rows moved."""
        if not swaps:
            return 0
        table = cast(Table, ConnectionSecret.__table__)
        statement = (
            update(table)
            .where(table.c.connection_id == bindparam("b_id"), table.c.kek_id == bindparam("b_expected"))
            .values(
                kek_id=bindparam("b_kek"),
                wrapped_dek=bindparam("b_wrapped"),
                aad_version=bindparam("b_version"),
                updated_at=bindparam("b_now"),
            )
        )
        now = self._clock.now()
        params = [
            {
                "b_id": swap.row_id,
                "b_expected": swap.expected_kek_id,
                "b_kek": swap.kek_id,
                "b_wrapped": bytes(swap.wrapped_dek),
                "b_version": swap.aad_version,
                "b_now": now,
            }
            for swap in swaps
        ]
        result = await self._session.connection()
        cursor = await result.execute(statement, params)
        return rowcount(cursor)

    async def count_by_kek_id(self) -> dict[str, int]:
        """How many connections are wrapped under each master key id."""
        rows = await self._session.execute(
            select(ConnectionSecret.kek_id, func.count()).group_by(ConnectionSecret.kek_id)
        )
        return {kek_id: int(count) for kek_id, count in rows.all()}

    async def first_for_key(self, kek_id: str) -> SealedRow | None:
        """One sealed record wrapped under ``kek_id`` (the canary samples a key that has no sentinel yet)."""
        query = (
            select(ConnectionSecret, Connection.owner_id, Connection.exchange)
            .join(Connection, Connection.id == ConnectionSecret.connection_id)
            .where(ConnectionSecret.kek_id == kek_id)
            .order_by(ConnectionSecret.connection_id)
            .limit(1)
        )
        found = (await self._session.execute(query.execution_options(populate_existing=True))).first()
        if found is None:
            return None
        secret, owner_id, exchange = found
        record = (await self._records([secret]))[0]
        return SealedRow(owner_id=owner_id, connection_id=record.connection_id, exchange=exchange, secrets=record)

    async def count(self) -> int:
        return int((await self._session.execute(select(func.count()).select_from(ConnectionSecret))).scalar_one())

    async def batch_after(
        self, after: str, *, batch_size: int = 500, exclude_kek_id: str | None = None
    ) -> list[SealedRow]:
        """Up to ``batch_size`` sealed records with connection id greater than ``after``, in id order
        (optionally only those not under ``exclude_kek_id``). One keyset page: callers resume from the last id."""
        query = (
            select(ConnectionSecret, Connection.owner_id, Connection.exchange)
            .join(Connection, Connection.id == ConnectionSecret.connection_id)
            .where(ConnectionSecret.connection_id > after)
            .order_by(ConnectionSecret.connection_id)
            .limit(batch_size)
        )
        if exclude_kek_id is not None:
            query = query.where(ConnectionSecret.kek_id != exclude_kek_id)
        rows = (await self._session.execute(query.execution_options(populate_existing=True))).all()
        records = await self._records([secret for secret, _, _ in rows])
        return [
            SealedRow(owner_id=owner_id, connection_id=record.connection_id, exchange=exchange, secrets=record)
            for (_, owner_id, exchange), record in zip(rows, records, strict=True)
        ]

    async def wraps_after(self, after: str, *, batch_size: int, exclude_kek_id: str) -> list[WrappedRow]:
        """Up to ``batch_size`` wrapped data keys not under ``exclude_kek_id``, connection id greater than
        ``after``, in id order — without the field ciphertexts (re-wrapping never touches them). One Core query
        (no ORM objects): what `rotate_in_batches` reads per batch."""
        table = cast(Table, ConnectionSecret.__table__)
        owners = cast(Table, Connection.__table__)
        query = (
            select(
                table.c.connection_id,
                owners.c.owner_id,
                owners.c.exchange,
                table.c.kek_id,
                table.c.wrapped_dek,
                table.c.aad_version,
            )
            .join(owners, owners.c.id == table.c.connection_id)
            .where(table.c.connection_id > after, table.c.kek_id != exclude_kek_id)
            .order_by(table.c.connection_id)
            .limit(batch_size)
        )
        rows = (await self._session.execute(query)).all()
        return [
            WrappedRow(owner, row_id, kek_id, bytes(wrapped), version, exchange)
            for row_id, owner, exchange, kek_id, wrapped, version in rows
        ]

    async def iter_batches(
        self, *, batch_size: int = 500, exclude_kek_id: str | None = None
    ) -> AsyncIterator[list[SealedRow]]:
        """Every sealed record (optionally those not under ``exclude_kek_id``), in connection-id order.

        Keyset pagination: each batch starts after the last id of the previous one, so rows rewrapped or
        failing along the way are never revisited and the walk always ends.
        """
        after = ""
        while batch := await self.batch_after(after, batch_size=batch_size, exclude_kek_id=exclude_kek_id):
            yield batch
            after = batch[-1].connection_id


@dataclass(frozen=True, repr=False)
class WrappedRow:
    """A wrapped data key (a connection's or a webhook's) with the public facts its AAD is bound to (rotation
    only). ``exchange`` is the connection's exchange; webhook rows leave it empty (their seal context says
    ``webhook``)."""

    owner_id: str
    row_id: str
    kek_id: str
    wrapped_dek: bytes
    aad_version: int
    exchange: str = ""

    @property
    def fields(self) -> Mapping[str, bytes]:
        """No field ciphertexts: re-wrapping touches only the data key."""
        return MappingProxyType({})

    def __repr__(self) -> str:
        return f"WrappedRow(row_id={self.row_id!r}, kek_id={self.kek_id!r}, sealed=***)"


class WebhookWrapRepository:
    """The wrapped data keys of webhook signing secrets, for master-key rotation (the webhook service stores and
    reads the rest of the row)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def batch_after(self, after: str, *, batch_size: int, exclude_kek_id: str) -> list[WrappedRow]:
        query = (
            select(Webhook.id, Webhook.owner_id, Webhook.kek_id, Webhook.wrapped_dek, Webhook.aad_version)
            .where(Webhook.id > after, Webhook.kek_id != exclude_kek_id)
            .order_by(Webhook.id)
            .limit(batch_size)
        )
        rows = (await self._session.execute(query)).all()
        return [WrappedRow(owner, row_id, kek_id, wrapped, version) for row_id, owner, kek_id, wrapped, version in rows]

    async def update_wrap(
        self, row_id: str, *, expected_kek_id: str, kek_id: str, wrapped_dek: bytes, aad_version: int
    ) -> bool:
        result = await self._session.execute(
            update(Webhook)
            .where(Webhook.id == row_id, Webhook.kek_id == expected_kek_id)
            .values(kek_id=kek_id, wrapped_dek=bytes(wrapped_dek), aad_version=aad_version)
            .execution_options(synchronize_session=False)
        )
        return bool(rowcount(result))

    async def count_by_kek_id(self) -> dict[str, int]:
        rows = await self._session.execute(select(Webhook.kek_id, func.count()).group_by(Webhook.kek_id))
        return {kek_id: int(count) for kek_id, count in rows.all()}
