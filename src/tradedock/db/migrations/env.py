"""Alembic environment for TradeDock: runs migrations on a given connection, or on an async engine.

`tradedock.db.migrate` passes its own connection in ``config.attributes["connection"]`` (the schema is whatever
that connection's search_path says, which is how tests isolate PostgreSQL runs). Run by hand
(``alembic -c src/tradedock/db/migrations/alembic.ini …``) it builds an async engine from
``TRADEDOCK_DATABASE_URL`` or ``sqlalchemy.url``. Nothing here may import services or the vault.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from tradedock.db.engine import make_engine
from tradedock.db.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _run_offline(url: str) -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    config = context.config
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    url = os.environ.get("TRADEDOCK_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set TRADEDOCK_DATABASE_URL (or sqlalchemy.url) to run migrations by hand")
    if context.is_offline_mode():
        _run_offline(url)
    else:
        asyncio.run(_run_async(url))


# Alembic loads this file with its context set up; a plain import (doc or packaging checks) must do nothing.
if hasattr(context, "config"):
    main()
