"""Migrations apply on an empty database, are idempotent, and produce exactly the schema the models describe."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import StatementError

from tests.db.conftest import Database
from tradedock.db import Base, ConnectionSecretField, User, is_up_to_date, make_engine, prepare_database
from tradedock.db.engine import SQLITE_BUSY_TIMEOUT_MS
from tradedock.db.migrate import MIGRATIONS_DIR, migrate

EXPECTED_TABLES = {
    "alembic_version",
    "users",
    "connections",
    "connection_secrets",
    "connection_secret_fields",
    "verification_runs",
    "check_results",
    "audit_log",
    "vault_meta",
    "api_sessions",
    "api_tokens",
    "webhooks",
    "events",
    "monitor_leases",
    "monitor_workers",
    "webhook_deliveries",
    "webhook_attempts",
    "strategies",
    "strategy_signals",
    "bots",
    "bot_orders",
}
#: procrastinate's job-queue tables (migration 0006): PostgreSQL only, not TradeDock models.
PROCRASTINATE_TABLES = {
    "procrastinate_events",
    "procrastinate_jobs",
    "procrastinate_periodic_defers",
    "procrastinate_workers",
}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _not_procrastinate(name: str | None, type_: str, *_: object) -> bool:
    return not (type_ == "table" and name in PROCRASTINATE_TABLES)


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": _not_procrastinate})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_apply_on_an_empty_database(empty_database: Database) -> None:
    async with empty_database.engine.connect() as connection:
        assert await connection.run_sync(_tables) == set()
    assert not await is_up_to_date(empty_database.engine)
    await migrate(empty_database.engine)
    async with empty_database.engine.connect() as connection:
        queue_tables = PROCRASTINATE_TABLES if empty_database.backend == "postgresql" else set()
        assert await connection.run_sync(_tables) == EXPECTED_TABLES | queue_tables
    assert await is_up_to_date(empty_database.engine)
    await migrate(empty_database.engine)  # a second start changes nothing
    assert await is_up_to_date(empty_database.engine)


async def test_models_match_migrations(database: Database) -> None:
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_diff) == []


async def test_postgres_schema_isolation(database: Database) -> None:
    if database.backend != "postgresql":
        pytest.skip("PostgreSQL only")
    async with database.engine.connect() as connection:
        schemas = (
            await connection.execute(
                text("SELECT table_schema FROM information_schema.tables WHERE table_name='users'")
            )
        ).scalars()
        assert database.schema in set(schemas)


async def test_sqlite_pragmas(database: Database) -> None:
    if database.backend != "sqlite":
        pytest.skip("SQLite only")
    async with database.engine.connect() as connection:
        assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS


async def test_prepare_database_creates_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "td.db"
    engine = await prepare_database(f"sqlite+aiosqlite:///{path}")
    try:
        assert path.exists()
        assert await is_up_to_date(engine)
    finally:
        await engine.dispose()


def test_migration_files_are_packaged_as_data() -> None:
    assert (MIGRATIONS_DIR / "env.py").exists()
    assert (MIGRATIONS_DIR / "script.py.mako").exists()
    assert (MIGRATIONS_DIR / "alembic.ini").exists()
    assert any(MIGRATIONS_DIR.glob("versions/0001_*.py"))


@pytest.mark.parametrize(
    "url",
    ["sqlite:///x.db", "postgresql+asyncpg://u@h/db", "postgresql+psycopg2://u@h/db", "mysql+aiomysql://u@h/db"],
)
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"sqlite\+aiosqlite|psycopg"):
        make_engine(url)


class TestColumnTypes:
    async def test_naive_datetime_refused(self, database: Database) -> None:
        async with database.sessionmaker() as session:
            session.add(User(id="u-naive", name="naive", created_at=datetime(2026, 1, 1)))
            with pytest.raises(StatementError, match="naive datetime"):
                await session.flush()

    async def test_ciphertext_column_refuses_text(self, database: Database) -> None:
        async with database.sessionmaker() as session:
            session.add(ConnectionSecretField(connection_id="c", field="secret", ciphertext="plain-secret"))  # type: ignore[arg-type]
            with pytest.raises(StatementError, match="refusing to store str"):
                await session.flush()
