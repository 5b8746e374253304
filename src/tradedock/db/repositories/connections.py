"""Connections: owner-scoped reads and writes, one-key-one-tenant, in-place secret replacement, removal.

What belongs here: every query on ``connections``. Reads that take a client-supplied id are scoped by owner
in the query itself (OWASP API1), and a foreign id looks exactly like a missing one (`NotFoundError`).
What does not: sealing (the vault), verification logic, or transactions (callers flush; shells commit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.clock import Clock, SystemClock
from tradedock.db.ids import looks_like_id as looks_like_id  # (also imported from here)
from tradedock.db.ids import not_found as not_found
from tradedock.db.models import Connection, ConnectionSecret, ConnectionSecretField
from tradedock.db.repositories.secrets import SealedInput, SecretRepository, StoredSecrets
from tradedock.db.repositories.support import json_document, rowcount, violates
from tradedock.errors import AlreadyConnectedError

#: Columns `update_facts` may change (ids, owner, fingerprint and timestamps are not among them).
UPDATABLE_FACTS = frozenset(
    {
        "label",
        "environment",
        "scope",
        "contract_type",
        "status",
        "account_uid",
        "account_mode",
        "position_mode",
        "margin_mode",
        "key_expires_at",
        "last_checked_at",
        "last_balance_usd",
        "balances_json",
    }
)

ALREADY_CONNECTED = "This API key is already connected to TradeDock."
ALREADY_CONNECTED_FIX = (
    "Use the existing connection, or create a new API key on the exchange for this account: "
    "one exchange key can belong to one TradeDock account only."
)


def _already_connected() -> AlreadyConnectedError:
    # Never say which account holds the key: that would confirm a stolen key's owner.
    return AlreadyConnectedError(ALREADY_CONNECTED, fix=ALREADY_CONNECTED_FIX)


@dataclass(frozen=True, repr=False)
class NewConnection:
    """One connection for `ConnectionRepository.add_many`: the row's facts and its sealed secrets."""

    connection_id: str
    owner_id: str
    exchange: str
    environment: str
    label: str
    scope: str
    status: str
    key_fingerprint: str
    masked_key: str
    sealed: SealedInput
    contract_type: str | None = None

    def __repr__(self) -> str:
        return f"NewConnection(connection_id={self.connection_id!r}, exchange={self.exchange!r}, sealed=***)"


@dataclass(frozen=True)
class AddedMany:
    """What `add_many` did: ids inserted, and ids refused because their key is already connected (stored
    before, or given earlier in the same batch: the first one wins)."""

    added: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckableRow:
    """What a batch check loads of one connection (one query for the batch, no ORM object): the row's public
    facts and its sealed material (``None`` when the wrapped data key row is gone)."""

    id: str
    owner_id: str
    exchange: str
    environment: str
    scope: str
    contract_type: str | None
    position_mode_choice: str | None
    margin_mode_choice: str | None
    version: int
    key_fingerprint: str
    account_uid: str | None
    sealed: StoredSecrets | None


#: The columns a batch record reads (and locks, `MonitorRepository.held`) before writing a check's facts: the version
#: check, the key check, and the facts the events compare (status, modes, expiry, balance).
CURRENT_COLUMNS = (
    "id",
    "owner_id",
    "label",
    "exchange",
    "version",
    "key_fingerprint",
    "status",
    "account_mode",
    "position_mode",
    "margin_mode",
    "key_expires_at",
    "last_balance_usd",
)


class FactsUpdate(NamedTuple):
    """One row of `apply_many`: write ``facts`` if the row is still at ``expected_version``."""

    connection_id: str
    owner_id: str
    expected_version: int
    facts: Mapping[str, Any]


class ConnectionRepository:
    def __init__(self, session: AsyncSession, clock: Clock | None = None) -> None:
        self._session = session
        self._clock = clock or SystemClock()
        self.secrets = SecretRepository(session, self._clock)

    async def add(
        self,
        *,
        connection_id: str,
        owner_id: str,
        exchange: str,
        environment: str,
        label: str,
        scope: str,
        status: str,
        key_fingerprint: str,
        masked_key: str,
        sealed: SealedInput,
        contract_type: str | None = None,
        position_mode_choice: str | None = None,
        margin_mode_choice: str | None = None,
        **facts: Any,
    ) -> Connection:
        """Insert a connection with its sealed secrets. Raises `AlreadyConnectedError` for a known key."""
        if await self.get_by_fingerprint(key_fingerprint) is not None:
            raise _already_connected()
        now = self._clock.now()
        connection = Connection(
            id=connection_id,
            owner_id=owner_id,
            exchange=exchange,
            environment=environment,
            label=label,
            scope=scope,
            contract_type=contract_type,
            position_mode_choice=position_mode_choice,
            margin_mode_choice=margin_mode_choice,
            status=status,
            key_fingerprint=key_fingerprint,
            masked_key=masked_key,
            created_at=now,
            updated_at=now,
        )
        self._apply(connection, facts)
        try:
            async with self._session.begin_nested():
                self._session.add(connection)
                await self._session.flush()
                await self.secrets.put(connection_id, sealed)
        except IntegrityError as exc:
            if violates(exc, "key_fingerprint"):
                raise _already_connected() from None
            raise
        return connection

    async def add_many(self, items: Sequence[NewConnection]) -> AddedMany:
        """Insert many connections with their sealed secrets: one duplicate-key query for the whole batch, then
        three executemany INSERTs (connections, wrapped data keys, field ciphertexts) in one savepoint.

        A key already stored, or repeated within the batch (the first one wins), is refused; the others are
        inserted. If a concurrent writer stores one of the keys between the check and the insert, the unique
        fingerprint fails the savepoint, which is rolled back, and the batch is inserted one item at a time
        (`add`), so only that key is refused and nothing is half-written."""
        taken = await self.fingerprints_taken([item.key_fingerprint for item in items])
        result = AddedMany()
        fresh: list[NewConnection] = []
        for item in items:
            if item.key_fingerprint in taken:
                result.refused.append(item.connection_id)
            else:
                taken.add(item.key_fingerprint)
                fresh.append(item)
        if not fresh:
            return result
        now = self._clock.now()
        rows = [
            {
                "id": item.connection_id,
                "owner_id": item.owner_id,
                "exchange": item.exchange,
                "environment": item.environment,
                "label": item.label,
                "scope": item.scope,
                "contract_type": item.contract_type,
                "status": item.status,
                "key_fingerprint": item.key_fingerprint,
                "masked_key": item.masked_key,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for item in fresh
        ]
        try:
            async with self._session.begin_nested():
                await (await self._session.connection()).execute(insert(cast(Table, Connection.__table__)), rows)
                await self.secrets.insert_many([(item.connection_id, item.sealed) for item in fresh])
        except IntegrityError as exc:
            if not violates(exc, "key_fingerprint"):
                raise
            return await self._add_one_by_one(fresh, result)
        result.added.extend(item.connection_id for item in fresh)
        return result

    async def _add_one_by_one(self, items: Sequence[NewConnection], result: AddedMany) -> AddedMany:
        """The slow path of `add_many` after a lost race: each item in its own savepoint."""
        for item in items:
            try:
                await self.add(
                    connection_id=item.connection_id,
                    owner_id=item.owner_id,
                    exchange=item.exchange,
                    environment=item.environment,
                    label=item.label,
                    scope=item.scope,
                    status=item.status,
                    key_fingerprint=item.key_fingerprint,
                    masked_key=item.masked_key,
                    sealed=item.sealed,
                    contract_type=item.contract_type,
                )
            except AlreadyConnectedError:
                result.refused.append(item.connection_id)
            else:
                result.added.append(item.connection_id)
        return result

    async def fingerprints_taken(self, fingerprints: Sequence[str]) -> set[str]:
        """Which of these key fingerprints are already stored, whoever owns them (one query per 500)."""
        taken: set[str] = set()
        unique = sorted(set(fingerprints))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            query = select(Connection.key_fingerprint).where(Connection.key_fingerprint.in_(chunk))
            taken.update((await self._session.execute(query)).scalars())
        return taken

    async def find(self, owner_id: str, connection_id: str) -> Connection | None:
        query = select(Connection).where(Connection.id == connection_id, Connection.owner_id == owner_id)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def exchange_and_environment(self, connection_id: str) -> tuple[str, str] | None:
        """A connection's exchange and environment, whoever owns it (the built-in strategy runner: market data)."""
        query = select(Connection.exchange, Connection.environment).where(Connection.id == connection_id)
        row = (await self._session.execute(query)).one_or_none()
        return None if row is None else (str(row[0]), str(row[1]))

    async def get(self, owner_id: str, connection_id: str) -> Connection:
        """The owner's connection; `NotFoundError` for a missing or foreign id (indistinguishable)."""
        connection = await self.find(owner_id, connection_id)
        if connection is None:
            raise not_found(connection_id)
        return connection

    async def list_for_owner(self, owner_id: str, *, limit: int | None = None, offset: int = 0) -> list[Connection]:
        """The owner's connections, oldest first; ``limit``/``offset`` page in the query (an API page of 50 out of
        1,000 loads 50 rows, not 1,000)."""
        query = select(Connection).where(Connection.owner_id == owner_id).order_by(Connection.created_at, Connection.id)
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        return list((await self._session.execute(query)).scalars())

    async def list_all(self, *, limit: int | None = None, after_id: str = "") -> list[Connection]:
        """Connections of every owner, by id (the scheduler's re-check walk; never for a user-facing list)."""
        query = select(Connection).where(Connection.id > after_id).order_by(Connection.id)
        if limit is not None:
            query = query.limit(limit)
        return list((await self._session.execute(query)).scalars())

    async def get_by_fingerprint(self, key_fingerprint: str) -> Connection | None:
        """The connection holding this key, whoever owns it (one key ↔ one tenant)."""
        query = select(Connection).where(Connection.key_fingerprint == key_fingerprint)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def list_with_secrets(self, owner_id: str) -> list[tuple[Connection, StoredSecrets | None]]:
        """Every connection of the owner with its sealed material, in three queries whatever the count (a batch
        check loads everything up front, then talks to the exchanges with no session open)."""
        rows = await self.list_for_owner(owner_id)
        sealed = await self.secrets.get_many([row.id for row in rows])
        return [(row, sealed.get(row.id)) for row in rows]

    async def checkable_many(self, connection_ids: Sequence[str]) -> list[CheckableRow]:
        """Connections of any owner with their sealed material, in ONE query whatever the count (connections left
        joined to the wrapped data key and the field ciphertexts: one result row per field) — what the monitor's
        batch loads before it talks to any exchange. Ids not found are absent."""
        if not connection_ids:
            return []
        c = cast(Table, Connection.__table__).c
        s = cast(Table, ConnectionSecret.__table__).c
        f = cast(Table, ConnectionSecretField.__table__).c
        query = (
            select(
                c.id,
                c.owner_id,
                c.exchange,
                c.environment,
                c.scope,
                c.contract_type,
                c.position_mode_choice,
                c.margin_mode_choice,
                c.version,
                c.key_fingerprint,
                c.account_uid,
                s.kek_id,
                s.wrapped_dek,
                s.aad_version,
                f.field,
                f.ciphertext,
            )
            .select_from(
                cast(Table, Connection.__table__)
                .outerjoin(cast(Table, ConnectionSecret.__table__), s.connection_id == c.id)
                .outerjoin(cast(Table, ConnectionSecretField.__table__), f.connection_id == c.id)
            )
            .where(c.id.in_(list(connection_ids)))
        )
        heads: dict[str, tuple[Any, ...]] = {}
        fields: dict[str, dict[str, bytes]] = {}
        for row in (await self._session.execute(query)).all():
            heads.setdefault(row[0], tuple(row[:14]))
            named = fields.setdefault(row[0], {})
            if row[14] is not None and row[11] is not None:
                named[row[14]] = bytes(row[15])
        out = []
        for cid, head in heads.items():
            sealed = (
                None
                if head[11] is None
                else StoredSecrets(cid, head[11], bytes(head[12]), MappingProxyType(fields[cid]), head[13])
            )
            out.append(
                CheckableRow(
                    id=cid,
                    owner_id=head[1],
                    exchange=head[2],
                    environment=head[3],
                    scope=head[4],
                    contract_type=head[5],
                    position_mode_choice=head[6],
                    margin_mode_choice=head[7],
                    version=int(head[8]),
                    key_fingerprint=head[9],
                    account_uid=head[10],
                    sealed=sealed,
                )
            )
        return out

    async def apply_many(self, updates: Sequence[FactsUpdate]) -> int:
        """`update_if_version` for a whole batch: one executemany UPDATE per set of fact names (a report sets only
        the facts it learned; usually one or two sets per batch), each row written only at its expected version
        (and owner). How many rows were written: fewer than given means another writer moved a row."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        now = self._clock.now()
        for item in updates:
            values = self._checked(item.facts)
            names = tuple(sorted(values))
            groups.setdefault(names, []).append(
                {
                    "b_id": item.connection_id,
                    "b_owner": item.owner_id,
                    "b_version": item.expected_version,
                    "b_new_version": item.expected_version + 1,
                    "b_now": now,
                    **{f"b_{name}": values[name] for name in names},
                }
            )
        table = cast(Table, Connection.__table__)
        connection = await self._session.connection()
        written = 0
        for names, params in groups.items():
            statement = (
                update(table)
                .where(
                    table.c.id == bindparam("b_id"),
                    table.c.owner_id == bindparam("b_owner"),
                    table.c.version == bindparam("b_version"),
                )
                .values(
                    updated_at=bindparam("b_now"),
                    version=bindparam("b_new_version"),
                    **{name: bindparam(f"b_{name}") for name in names},
                )
            )
            written += rowcount(await connection.execute(statement, params))
        return written

    async def get_sealed(self, owner_id: str, connection_id: str) -> StoredSecrets:
        """The sealed secrets of the owner's connection (pass to ``vault.open``)."""
        await self.get(owner_id, connection_id)
        stored = await self.secrets.get(connection_id)
        if stored is None:
            raise not_found(connection_id)
        return stored

    async def update_status(
        self, owner_id: str, connection_id: str, status: str, *, checked_at: datetime | None = None
    ) -> Connection:
        facts: dict[str, Any] = {"status": status}
        if checked_at is not None:
            facts["last_checked_at"] = checked_at
        return await self.update_facts(owner_id, connection_id, **facts)

    async def update_facts(self, owner_id: str, connection_id: str, **facts: Any) -> Connection:
        """Change any of `UPDATABLE_FACTS` (``balances_json`` takes a mapping of JSON-safe values)."""
        connection = await self.get(owner_id, connection_id)
        self._apply(connection, facts)
        connection.updated_at = self._clock.now()
        connection.version = (connection.version or 1) + 1
        await self._session.flush()
        return connection

    async def update_if_version(self, owner_id: str, connection_id: str, expected_version: int, **facts: Any) -> bool:
        """Change `UPDATABLE_FACTS` only if the row is still at ``expected_version`` (optimistic concurrency).

        One UPDATE; ``False`` when another writer got there first (or the row is gone): nothing was changed."""
        values = self._checked(facts)
        result = await self._session.execute(
            update(Connection)
            .where(
                Connection.id == connection_id,
                Connection.owner_id == owner_id,
                Connection.version == expected_version,
            )
            .values(**values, updated_at=self._clock.now(), version=expected_version + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(rowcount(result))

    async def replace_secrets(
        self,
        owner_id: str,
        connection_id: str,
        sealed: SealedInput,
        *,
        key_fingerprint: str,
        masked_key: str,
        expected_version: int | None = None,
        **facts: Any,
    ) -> bool:
        """Swap in a new key for the same connection (id, history and label stay); old ciphertexts are gone.

        With ``expected_version`` the swap happens only if the row is still at that version; ``False`` means
        another writer changed it first and nothing was changed (row, key and secrets stay as they were)."""
        connection = await self.get(owner_id, connection_id)
        holder = await self.get_by_fingerprint(key_fingerprint)
        if holder is not None and holder.id != connection.id:
            raise _already_connected()
        version = connection.version if expected_version is None else expected_version
        values = self._checked(facts)
        try:
            async with self._session.begin_nested():
                result = await self._session.execute(
                    update(Connection)
                    .where(
                        Connection.id == connection_id,
                        Connection.owner_id == owner_id,
                        Connection.version == version,
                    )
                    .values(
                        **values,
                        key_fingerprint=key_fingerprint,
                        masked_key=masked_key,
                        updated_at=self._clock.now(),
                        version=version + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
                if not rowcount(result):
                    return False
                await self.secrets.put(connection_id, sealed)
        except IntegrityError as exc:
            if violates(exc, "key_fingerprint"):
                raise _already_connected() from None
            raise
        await self._session.refresh(connection)
        return True

    async def delete(self, owner_id: str, connection_id: str) -> None:
        """Remove the connection, destroying its ciphertexts and wrapped data key; runs cascade away."""
        connection = await self.get(owner_id, connection_id)
        await self.secrets.delete(connection_id)
        await self._session.delete(connection)
        await self._session.flush()

    @staticmethod
    def _checked(facts: Mapping[str, Any]) -> dict[str, Any]:
        """Validated column values: only `UPDATABLE_FACTS`, JSON made safe and free of secret-named keys."""
        unknown = set(facts) - UPDATABLE_FACTS
        if unknown:
            raise ValueError(f"cannot set {sorted(unknown)} on a connection; allowed: {sorted(UPDATABLE_FACTS)}")
        out: dict[str, Any] = {}
        for name, value in facts.items():
            if name == "balances_json" and value is not None:
                value = json_document(value, "connections.balances_json")
            if name == "last_balance_usd" and value is not None and not isinstance(value, Decimal):
                raise TypeError("last_balance_usd must be a Decimal")
            out[name] = value
        return out

    @classmethod
    def _apply(cls, connection: Connection, facts: Mapping[str, Any]) -> None:
        for name, value in cls._checked(facts).items():
            setattr(connection, name, value)
