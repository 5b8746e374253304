"""Database fixtures: every test using ``engine``/``session`` runs on SQLite and on PostgreSQL.

PostgreSQL runs are isolated in a freshly created schema (search_path) dropped afterwards. When PostgreSQL is
unreachable the PostgreSQL half fails under CI=true and is skipped otherwise.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from tests.conftest import POSTGRES_URL, in_ci
from tradedock.db import make_engine, make_sessionmaker
from tradedock.db.migrate import migrate


async def _admin_engine() -> AsyncEngine:
    engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        await engine.dispose()
        message = f"PostgreSQL unreachable at {POSTGRES_URL}: {type(exc).__name__}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return engine


class Database:
    """One isolated, migrated database plus what a test needs to reopen it."""

    def __init__(self, backend: str, url: str, schema: str | None, engine: AsyncEngine) -> None:
        self.backend = backend
        self.url = url
        self.schema = schema
        self.engine = engine
        self.sessionmaker: async_sessionmaker[AsyncSession] = make_sessionmaker(engine)
        self.sqlite_path: Path | None = None


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An isolated database with no tables yet."""
    if request.param == "sqlite":
        path = tmp_path / "db" / "tradedock.db"
        url = f"sqlite+aiosqlite:///{path}"
        engine = make_engine(url)
        database = Database("sqlite", url, None, engine)
        database.sqlite_path = path
        try:
            yield database
        finally:
            await engine.dispose()
        return
    admin = await _admin_engine()
    schema = f"td_test_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, schema=schema)
    try:
        yield Database("postgresql", POSTGRES_URL, schema, engine)
    finally:
        await engine.dispose()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def database(empty_database: Database) -> Database:
    """An isolated database with every migration applied."""
    await migrate(empty_database.engine)
    return empty_database


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    async with database.sessionmaker() as session:
        yield session
