"""Read-only queries on a plain DB-API connection — the standard library's sqlite3, or psycopg — without SQLAlchemy.

What belongs here: `DirectReader`, which opens the configured database for reading in one transaction (one
consistent snapshot), and the few SELECTs of the CLI's light read path (`services.light_read`: ``tradedock list``
and ``show``, whose start-up paid ~1.5 s of CPU importing the ORM; issue 9); records carrying the ORM's
attribute names, so `services.views` builds the same views from either. Values read back as the ORM's column
types read them (`db.values`). What does not: writing anything — migrations, first-run rows, canary sentinels
stay on the SQLAlchemy path (`services.context.open_app`) — nor any other command's queries (repositories/).

Each query stands in for one repository read and says which; `tests/services/test_light_read.py` compares the
results of both paths on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from tradedock.db.values import exact_decimal, sealed_bytes, utc_datetime

SQLITE_PREFIX = "sqlite+aiosqlite:///"
POSTGRES_PREFIX = "postgresql+psycopg://"
#: As on the SQLAlchemy path (`db.engine.SQLITE_BUSY_TIMEOUT_MS`): wait for a lock rather than fail.
SQLITE_BUSY_TIMEOUT_S = 30.0


class ConnectionRecord(NamedTuple):
    """A ``connections`` row: the columns `services.views.ConnectionView` shows (`views.StoredConnection`). A named
    tuple: the API's hot reads (`db.hot_reads`) build a page of 50 per request, and a frozen dataclass costs more to
    build."""

    id: str
    exchange: str
    environment: str
    label: str
    scope: str
    contract_type: str | None
    status: str
    masked_key: str
    key_fingerprint: str
    account_uid: str | None
    account_mode: str | None
    position_mode: str | None
    margin_mode: str | None
    position_mode_choice: str | None
    margin_mode_choice: str | None
    key_expires_at: datetime | None
    last_checked_at: datetime | None
    last_balance_usd: Decimal | None
    created_at: datetime


@dataclass(frozen=True)
class CheckRecord:
    """A ``check_results`` row (`views.StoredCheck`)."""

    check_id: str
    outcome: str
    message: str
    fix: list[str]
    evidence: dict[str, Any]


@dataclass(frozen=True)
class RunRecord:
    """A ``verification_runs`` row with its results in order (`views.StoredRun`)."""

    id: str
    status: str
    trigger: str
    started_at: datetime
    duration_ms: int
    results: tuple[CheckRecord, ...]


@dataclass(frozen=True)
class EventRecord:
    """An ``events`` row."""

    id: str
    type: str
    created_at: datetime
    connection_id: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class MetaRecord:
    """A ``vault_meta`` row: a vault-internal key wrapped under a master key (`vault.WrappedKeyMaterial`)."""

    name: str
    kek_id: str
    wrapped: bytes
    aad_version: int


#: The record's field names are the column names (constants: no user text is ever put in SQL here).
_SELECT_CONNECTIONS = f"SELECT {', '.join(ConnectionRecord._fields)} FROM connections"  # noqa: S608


def required_at(value: Any) -> datetime:
    """A required (NOT NULL) timestamp."""
    when = utc_datetime(value)
    if when is None:
        raise ValueError("a NOT NULL timestamp read back as NULL")
    return when


def json_column(value: Any) -> Any:
    """JSON columns: text on SQLite, already decoded (JSONB) on PostgreSQL."""
    return json.loads(value) if isinstance(value, str | bytes) else value


_N_CONNECTION = len(ConnectionRecord._fields)
_KEY_EXPIRES, _LAST_CHECKED, _BALANCE, _CREATED = (
    ConnectionRecord._fields.index(name)
    for name in ("key_expires_at", "last_checked_at", "last_balance_usd", "created_at")
)


def connection_record(row: Sequence[Any]) -> ConnectionRecord:
    """The first columns of ``row``, in `ConnectionRecord`'s order, read back as the ORM's column types read them."""
    values = list(row[:_N_CONNECTION])
    values[_KEY_EXPIRES] = utc_datetime(values[_KEY_EXPIRES])
    values[_LAST_CHECKED] = utc_datetime(values[_LAST_CHECKED])
    values[_BALANCE] = exact_decimal(values[_BALANCE])
    values[_CREATED] = required_at(values[_CREATED])
    return ConnectionRecord._make(values)


def run_record(run: Sequence[Any], results: Iterable[Sequence[Any]]) -> RunRecord:
    """A run's (id, status, trigger, started_at, duration_ms) and its results' (check_id, outcome, message, fix,
    evidence), in order."""
    run_id, status, trigger, started_at, duration_ms = run
    return RunRecord(
        id=str(run_id),
        status=str(status),
        trigger=str(trigger),
        started_at=required_at(started_at),
        duration_ms=int(duration_ms),
        results=tuple(
            CheckRecord(str(check_id), str(outcome), str(message), list(json_column(fix)), dict(json_column(evidence)))
            for check_id, outcome, message, fix, evidence in results
        ),
    )


class DirectReader:
    """One read-only transaction on the configured database. Use `open`; close with `close` (rolls back)."""

    def __init__(self, connection: Any, placeholder: str, missing_table: type[Exception]) -> None:
        self._connection = connection
        self._placeholder = placeholder
        self._missing_table = missing_table

    @classmethod
    def open(cls, url: str) -> DirectReader | None:
        """A reader on ``url`` (a `config.check_database_url` URL), or ``None`` when there is nothing to read
        yet or the URL needs what only the SQLAlchemy path does: an SQLite file that does not exist (the
        first start creates it), an in-memory or URI-style SQLite database. Driver errors (PostgreSQL
        unreachable, an unreadable file) propagate, as on the SQLAlchemy path, for `services.diagnose`."""
        if url.startswith(SQLITE_PREFIX):
            path = url.removeprefix(SQLITE_PREFIX)
            if not path or "?" in path or path.startswith((":memory:", "file:")) or not Path(path).is_file():
                return None
            connection = sqlite3.connect(
                f"file:{quote(path)}?mode=rw", uri=True, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_S
            )
            connection.execute("BEGIN")  # deferred: a WAL reader takes a snapshot and never waits for a writer
            return cls(connection, "?", sqlite3.OperationalError)
        if url.startswith(POSTGRES_PREFIX):
            import psycopg

            pg = psycopg.connect("postgresql://" + url.removeprefix(POSTGRES_PREFIX))
            pg.read_only = True
            pg.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot for every query
            return cls(pg, "%s", psycopg.errors.UndefinedTable)
        return None

    def close(self) -> None:
        try:
            self._connection.rollback()
        finally:
            self._connection.close()

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        cursor = self._connection.execute(sql.replace("?", self._placeholder), params)
        return [tuple(row) for row in cursor.fetchall()]

    # --- start-up ---------------------------------------------------------------------------------------------

    def stored_revisions(self) -> frozenset[str] | None:
        """What ``alembic_version`` holds; ``None`` when there is no such table yet (`db.migrate`'s check)."""
        try:
            rows = self._rows("SELECT version_num FROM alembic_version")
        except self._missing_table:
            return None
        return frozenset(str(row[0]) for row in rows)

    def secret_counts_by_kek_id(self) -> dict[str, int]:
        """How many connections are wrapped under each master key id (`SecretRepository.count_by_kek_id`)."""
        rows = self._rows("SELECT kek_id, count(*) FROM connection_secrets GROUP BY kek_id")
        return {str(kek_id): int(count) for kek_id, count in rows}

    def vault_meta(self) -> list[MetaRecord]:
        """Every vault-internal wrapped key, by name (`VaultMetaRepository.list_all`)."""
        rows = self._rows("SELECT name, kek_id, wrapped, aad_version FROM vault_meta ORDER BY name")
        return [
            MetaRecord(name, kek_id, sealed_bytes(wrapped) or b"", int(version))
            for name, kek_id, wrapped, version in rows
        ]

    # --- what list and show read --------------------------------------------------------------------------------

    def owner_id(self, name: str) -> str | None:
        """The id of the user called ``name`` (`UserRepository.get_by_name`)."""
        rows = self._rows("SELECT id FROM users WHERE name = ?", name)
        return str(rows[0][0]) if rows else None

    def connections(self, owner_id: str) -> list[ConnectionRecord]:
        """The owner's connections, oldest first (`ConnectionRepository.list_for_owner`)."""
        sql = _SELECT_CONNECTIONS + " WHERE owner_id = ? ORDER BY created_at, id"
        return [connection_record(row) for row in self._rows(sql, owner_id)]

    def connection(self, owner_id: str, connection_id: str) -> ConnectionRecord | None:
        """The owner's connection with exactly this id (`ConnectionRepository.find`)."""
        rows = self._rows(_SELECT_CONNECTIONS + " WHERE id = ? AND owner_id = ?", connection_id, owner_id)
        return connection_record(rows[0]) if rows else None

    def latest_run(self, owner_id: str, connection_id: str) -> RunRecord | None:
        """The newest run of the owner's connection with its results (`VerificationRunRepository.latest`)."""
        runs = self._rows(
            "SELECT r.id, r.status, r.trigger, r.started_at, r.duration_ms FROM verification_runs r "
            "JOIN connections c ON c.id = r.connection_id WHERE r.connection_id = ? AND c.owner_id = ? "
            "ORDER BY r.started_at DESC, r.id DESC LIMIT 1",
            connection_id,
            owner_id,
        )
        if not runs:
            return None
        results = self._rows(
            "SELECT check_id, outcome, message, fix, evidence FROM check_results WHERE run_id = ? ORDER BY position",
            runs[0][0],
        )
        return run_record(runs[0], results)

    def events(self, owner_id: str, limit: int) -> list[EventRecord]:
        """The owner's newest events (`EventRepository.list_for_owner`, first page)."""
        rows = self._rows(
            "SELECT id, type, created_at, connection_id, data FROM events WHERE owner_id = ? "
            "ORDER BY created_at DESC, id LIMIT ?",
            owner_id,
            limit,
        )
        return [
            EventRecord(str(id_), str(type_), required_at(created_at), connection_id, dict(json_column(data)))
            for id_, type_, created_at, connection_id, data in rows
        ]
