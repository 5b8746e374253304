"""Apply the Alembic migrations shipped inside the package: `migrate(engine)` and `prepare_database(url)`.

What belongs here: building the Alembic config programmatically (no alembic.ini needed at run time) and
running ``upgrade head`` on an async engine's connection. What does not: the migrations themselves
(migrations/versions/) or engine settings (engine.py).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from tradedock.db.engine import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations; ``connection`` is handed to env.py."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def _current_heads(connection: Connection) -> tuple[tuple[str, ...], tuple[str, ...]]:
    current = MigrationContext.configure(connection).get_current_heads()
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return tuple(current), tuple(heads)


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (idempotent; runs in one transaction)."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def is_up_to_date(engine: AsyncEngine) -> bool:
    """Whether the database is at the newest revision."""
    async with engine.connect() as connection:
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
