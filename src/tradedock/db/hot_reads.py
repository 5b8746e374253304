"""The HTTP API's hottest reads on plain DB-API connections (sqlite3 or psycopg), each a single SELECT, run by a
few threads that keep their connection open — no ORM, no aiosqlite.

Why: every API request authenticates, and listing or showing connections is what API clients call most. Through
the ORM each request cost ~4–6 ms of server CPU (entity loading, session and transaction set-up, and on SQLite
~30 hand-offs to aiosqlite's thread), so one process answered 36–89 requests/s (issue 16). Here a request costs
one thread hand-off per statement: who holds this token (or session cookie), then the page, or the connection
with its newest verification run and that run's results — each one statement, so each reads one consistent
snapshot with no transaction to open or close.

What belongs here: `HotReads` (the threads and their connections) and those few statements, returning
named tuples and `db.direct`'s check records; values read back as the ORM's column types read them (`db.values`).
`tests/api/test_hot_reads.py` compares the answers with the ORM path's on SQLite and PostgreSQL. What does not:
rules (who may read what, session expiry: `services.api_reads`), writing anything, any other query.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from tradedock.db.direct import (
    POSTGRES_PREFIX,
    SQLITE_BUSY_TIMEOUT_S,
    SQLITE_PREFIX,
    ConnectionRecord,
    RunRecord,
    connection_record,
    required_at,
    run_record,
)
from tradedock.db.values import utc_datetime

T = TypeVar("T")

#: Reader threads (each keeps one connection). SQLite readers in WAL mode run side by side; two or three are
#: plenty for a process whose Python work is single-threaded anyway.
THREADS = 3


#: A ``connections`` row as the page and the detail read it (the same record as `db.direct`'s light reads).
ConnectionRow = ConnectionRecord


_COLUMNS = ConnectionRow._fields
_CONNECTION_COLUMNS = ", ".join(f"c.{name}" for name in _COLUMNS)
_N = len(_COLUMNS)

# Constants only: no user text is ever put in this SQL (values are parameters).
_TOKEN = (
    "SELECT t.id, t.last_used_at, u.id, u.name, u.is_operator FROM api_tokens t JOIN users u ON u.id = t.user_id "
    "WHERE t.token_hash = ?"
)
_SESSION = (
    "SELECT s.id, s.expires_at, s.last_seen_at, u.id, u.name, u.is_operator FROM api_sessions s "
    "JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?"
)
_PAGE = (
    f"SELECT {_CONNECTION_COLUMNS} FROM connections c WHERE c.owner_id = ? "  # noqa: S608
    "ORDER BY c.created_at, c.id LIMIT ? OFFSET ?"
)
#: The connection, its newest run (as `VerificationRunRepository.latest` orders them) and that run's results in
#: order: one row per result, or one row with NULL run columns when there is no run.
_DETAIL = (
    f"SELECT {_CONNECTION_COLUMNS}, r.id, r.status, r.trigger, r.started_at, r.duration_ms, "  # noqa: S608
    "cr.check_id, cr.outcome, cr.message, cr.fix, cr.evidence FROM connections c "
    "LEFT JOIN verification_runs r ON r.id = (SELECT r2.id FROM verification_runs r2 WHERE r2.connection_id = c.id "
    "ORDER BY r2.started_at DESC, r2.id DESC LIMIT 1) "
    "LEFT JOIN check_results cr ON cr.run_id = r.id "
    "WHERE c.id = ? AND c.owner_id = ? ORDER BY cr.position"
)
#: Ids of the owner's connections starting with a prefix (`db.ids` allows only hex digits and dashes in it, so
#: it holds no LIKE wildcard).
_PREFIX = "SELECT c.id FROM connections c WHERE c.owner_id = ? AND c.id LIKE ? ORDER BY c.id"


@dataclass(frozen=True)
class TokenRow:
    token_id: str
    last_used_at: datetime | None
    user_id: str
    email: str
    is_operator: bool


@dataclass(frozen=True)
class SessionRow:
    session_id: str
    expires_at: datetime
    last_seen_at: datetime
    user_id: str
    email: str
    is_operator: bool


#: The newest verification run of a connection with its results in order (`views.StoredRun`).
RunRow = RunRecord


class HotReads:
    """A few threads, each with its own read-only connection to the database; `run` hands one call to one of
    them. Use `open` (``None`` for a database only the SQLAlchemy path can open); `close` when done."""

    def __init__(self, connect: Callable[[], Any], placeholder: str, retry_on: tuple[type[Exception], ...]) -> None:
        self._connect = connect
        self._placeholder = placeholder
        self._retry_on = retry_on
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="tradedock-reads")

    @classmethod
    def open(cls, url: str) -> HotReads | None:
        """Reads on ``url``; ``None`` for an in-memory or URI-style SQLite database, or a file that does not
        exist (the caller then reads through SQLAlchemy). Nothing connects until the first read."""
        if url.startswith(SQLITE_PREFIX):
            path = url.removeprefix(SQLITE_PREFIX)
            if not path or "?" in path or path.startswith((":memory:", "file:")) or not Path(path).is_file():
                return None

            def connect_sqlite() -> sqlite3.Connection:
                connection = sqlite3.connect(
                    f"file:{quote(path)}?mode=rw",
                    uri=True,
                    isolation_level=None,  # autocommit: each SELECT is its own snapshot; no BEGIN/COMMIT to pay
                    timeout=SQLITE_BUSY_TIMEOUT_S,
                    check_same_thread=False,  # used by one reader thread; closed from the event loop's
                )
                connection.execute("PRAGMA query_only = ON")
                return connection

            return cls(connect_sqlite, "?", ())
        if url.startswith(POSTGRES_PREFIX):
            import psycopg

            conninfo = "postgresql://" + url.removeprefix(POSTGRES_PREFIX)

            def connect_postgres() -> Any:
                connection = psycopg.connect(conninfo, autocommit=True)
                connection.execute("SET default_transaction_read_only = on")
                return connection

            return cls(connect_postgres, "%s", (psycopg.OperationalError,))
        return None

    async def run(self, call: Callable[[HotReads], T]) -> T:
        """``call(self)`` on a reader thread (one hand-off, whatever it reads)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, call, self)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()

    # --- on a reader thread -------------------------------------------------------------------------------------

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None or getattr(connection, "closed", False):
            connection = self._connect()
            self._local.connection = connection
            with self._lock:
                self._opened.append(connection)
        return connection

    def _rows(self, sql: str, *params: Any) -> list[Any]:
        sql = sql.replace("?", self._placeholder)
        try:
            rows: list[Any] = self._connection().execute(sql, params).fetchall()
        except self._retry_on:
            # A PostgreSQL connection that broke (server restarted, idle connection dropped): these are reads,
            # so try once more on a new connection.
            self._drop()
            rows = self._connection().execute(sql, params).fetchall()
        return rows

    def _drop(self) -> None:
        connection = self._local.connection
        self._local.connection = None
        with self._lock:
            if connection in self._opened:
                self._opened.remove(connection)
        with contextlib.suppress(Exception):  # it is broken already; a new one replaces it
            connection.close()

    def token(self, token_hash: str) -> TokenRow | None:
        """The API token with this hash and its user (`AccountRepository.token_with_user`)."""
        rows = self._rows(_TOKEN, token_hash)
        if not rows:
            return None
        token_id, last_used_at, user_id, email, is_operator = rows[0]
        return TokenRow(str(token_id), utc_datetime(last_used_at), str(user_id), str(email), bool(is_operator))

    def session(self, token_hash: str) -> SessionRow | None:
        """The browser session with this cookie hash and its user (`AccountRepository.session_by_hash`)."""
        rows = self._rows(_SESSION, token_hash)
        if not rows:
            return None
        session_id, expires_at, last_seen_at, user_id, email, is_operator = rows[0]
        return SessionRow(
            str(session_id),
            required_at(expires_at),
            required_at(last_seen_at),
            str(user_id),
            str(email),
            bool(is_operator),
        )

    def page(self, owner_id: str, limit: int, offset: int) -> list[ConnectionRow]:
        """The owner's connections, oldest first, ``limit`` from ``offset`` (`ConnectionRepository.list_for_owner`)."""
        return [connection_record(row) for row in self._rows(_PAGE, owner_id, limit, offset)]

    def detail(self, owner_id: str, connection_id: str) -> tuple[ConnectionRow, RunRow | None] | None:
        """The owner's connection with exactly this id and its newest run (`ConnectionRepository.find` and
        `VerificationRunRepository.latest`), in one statement; ``None`` when the owner has no such connection."""
        rows = self._rows(_DETAIL, connection_id, owner_id)
        if not rows:
            return None
        first = rows[0]
        run = None
        if first[_N] is not None:
            run = run_record(first[_N : _N + 5], (row[_N + 5 :] for row in rows if row[_N + 5] is not None))
        return connection_record(first), run

    def ids_with_prefix(self, owner_id: str, prefix: str) -> list[str]:
        """The owner's connection ids starting with ``prefix`` (an id-like text: `db.ids.wanted_id`)."""
        return [str(row[0]) for row in self._rows(_PREFIX, owner_id, prefix + "%")]
