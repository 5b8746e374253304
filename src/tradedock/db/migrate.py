"""Apply the Alembic migrations shipped inside the package: `migrate(engine)` and `prepare_database(url)`.

What belongs here: building the Alembic config programmatically (no alembic.ini needed at run time) and
running ``upgrade head`` on an async engine's connection — once, under a lock, so that any number of processes
starting together on a fresh database all start: PostgreSQL takes a transaction-level advisory lock (keyed by
database schema) before Alembic looks at ``alembic_version``; SQLite takes an exclusive ``flock`` on a sidecar
file (``<database>.migrate.lock``). A database already at the newest revision is detected first without any
lock — and without importing Alembic (every CLI command pays for its start-up): ``alembic_version`` is read with
one query and compared with the heads read from the packaged revision files (`db.revisions.packaged_heads`); Alembic is
loaded only when something may need applying. What does not: the migrations themselves (migrations/versions/)
or engine settings (engine.py).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from tradedock.db.engine import WRITE_OPTION, make_engine
from tradedock.db.revisions import MIGRATIONS_DIR, packaged_heads

if TYPE_CHECKING:
    from alembic.config import Config

#: Namespace of the PostgreSQL advisory lock serialising migrations (hashed with the schema name).
ADVISORY_LOCK_NAMESPACE = "tradedock.migrate:"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations; ``connection`` is handed to env.py."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")


def _stored_revisions(connection: Connection) -> frozenset[str] | None:
    """What ``alembic_version`` holds, or ``None`` when it cannot be read (no table yet)."""
    try:
        with connection.begin_nested():
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except Exception:  # no such table (fresh database): let Alembic decide
        return None
    return frozenset(str(row[0]) for row in rows)


def _current_heads(connection: Connection) -> tuple[tuple[str, ...], tuple[str, ...]]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = MigrationContext.configure(connection).get_current_heads()
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return tuple(current), tuple(heads)


def _sqlite_lock_path(engine: AsyncEngine) -> Path | None:
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None  # one process only: nothing to serialise
    return Path(database).with_name(Path(database).name + ".migrate.lock")


@asynccontextmanager
async def _file_lock(path: Path) -> AsyncIterator[None]:
    """An exclusive ``flock`` on ``path`` (waited for in a thread, so the event loop keeps running)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


async def _upgrade_locked(engine: AsyncEngine) -> None:
    writer = engine.execution_options(**{WRITE_OPTION: True})
    if engine.dialect.name == "postgresql":
        async with writer.begin() as connection:
            # Held until this transaction commits: concurrent starters wait here, then find the schema current.
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:namespace || current_schema()))"),
                {"namespace": ADVISORY_LOCK_NAMESPACE},
            )
            await connection.run_sync(_upgrade)
        return
    lock_path = _sqlite_lock_path(engine) if engine.dialect.name == "sqlite" else None
    if lock_path is None:
        async with writer.begin() as connection:
            await connection.run_sync(_upgrade)
        return
    async with _file_lock(lock_path), writer.begin() as connection:
        await connection.run_sync(_upgrade)


async def migrate(engine: AsyncEngine) -> bool:
    """Bring the schema to the newest revision, once, under a lock (idempotent; one transaction).

    Returns whether anything had to be applied. Safe to call from every entry point at once."""
    if await is_up_to_date(engine):
        return False
    await _upgrade_locked(engine)
    return True


async def is_up_to_date(engine: AsyncEngine) -> bool:
    """Whether the database is at the newest revision (one query when it is; Alembic only when unsure)."""
    async with engine.connect() as connection:
        stored = await connection.run_sync(_stored_revisions)
        if stored is not None and stored == packaged_heads():
            return True
        current, heads = await connection.run_sync(_current_heads)
    return set(current) == set(heads)


async def prepare_database(url: str, *, schema: str | None = None) -> AsyncEngine:
    """An engine for ``url`` with every migration applied (what `serve`, `worker` and the CLI call on start)."""
    engine = make_engine(url, schema=schema)
    try:
        await migrate(engine)
    except BaseException:
        await engine.dispose()
        raise
    return engine
