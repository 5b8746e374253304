"""Engines and session factories for SQLite (aiosqlite) and PostgreSQL (psycopg 3).

What belongs here: `make_engine` with each backend's connection settings (JSON columns written by
`db.types.json_text`), and `make_sessionmaker`. What does not: schema changes (migrate.py) or queries
(repositories/).

SQLite: ``PRAGMA foreign_keys=ON`` (cascades and FK checks are off by default), ``journal_mode=WAL`` (readers
do not block the writer), ``busy_timeout`` (wait instead of failing on a locked file), ``BEGIN IMMEDIATE`` for
write transactions (sessions from ``make_sessionmaker(engine)``; read-only ones pass ``write=False``), and
SQLAlchemy's recipe that lets SQLAlchemy, not the sqlite3 module, emit BEGIN — otherwise SAVEPOINTs and
transactional DDL do not work (https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool

from tradedock.db.types import json_text
from tradedock.localfiles import create_private_file

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Execution option marking a connection that may write: on SQLite its transactions start with BEGIN IMMEDIATE.
WRITE_OPTION = "tradedock_write"


def _is_memory_sqlite(database: str | None) -> bool:
    return not database or database == ":memory:" or database.startswith("file::memory:")


def make_engine(url: str, *, schema: str | None = None, echo: bool = False) -> AsyncEngine:
    """An async engine for ``url``; ``schema`` (PostgreSQL only) sets the search_path, e.g. for tests."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.get_driver_name() != "aiosqlite":
            raise ValueError(f"SQLite URLs must use the aiosqlite driver: sqlite+aiosqlite:///path (got {url!r})")
        return _make_sqlite_engine(url, parsed.database, echo=echo)
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise ValueError(
                "PostgreSQL URLs must use psycopg 3: postgresql+psycopg://user:password@host/db "
                f"(got driver {parsed.get_driver_name()!r})"
            )
        connect_args: dict[str, Any] = {}
        if schema:
            connect_args["options"] = f"-csearch_path={schema}"
        return create_async_engine(
            url, echo=echo, pool_pre_ping=True, connect_args=connect_args, json_serializer=json_text
        )
    raise ValueError(
        f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}; use "
        "sqlite+aiosqlite:///path or postgresql+psycopg://…"
    )


def _make_sqlite_engine(url: str, database: str | None, *, echo: bool) -> AsyncEngine:
    kwargs: dict[str, Any] = {}
    memory = _is_memory_sqlite(database)
    if memory:
        # One shared connection, or every new connection would see its own empty database.
        kwargs["poolclass"] = StaticPool
    elif database:
        Path(database).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # 0600 before SQLite opens it: SQLite gives -wal and -shm the database file's mode.
        create_private_file(Path(database))
    engine = create_async_engine(url, echo=echo, json_serializer=json_text, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write transaction takes the write lock up front (waiting up to the busy timeout). A deferred one
        # that writes later cannot wait: SQLite answers "database is locked" at once if another process
        # wrote since it began reading. Read-only transactions stay deferred (WAL readers never wait).
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_sessionmaker(engine: AsyncEngine, *, write: bool = True) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (no lazy reloads in async code).

    ``write=True`` (the default) marks their transactions as writers (BEGIN IMMEDIATE on SQLite); use
    ``write=False`` only for sessions that never write, so SQLite readers never queue behind a writer."""
    bind = engine.execution_options(**{WRITE_OPTION: True}) if write else engine
    return async_sessionmaker(bind, expire_on_commit=False, autoflush=False)
