"""PostgreSQL helpers for tests that run whole apps or processes: a fresh schema or a fresh database, as a URL.

Unreachable PostgreSQL fails the test under CI=true and skips it otherwise (tests/conftest.py `in_ci`).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.conftest import POSTGRES_URL, in_ci


async def admin_engine() -> AsyncEngine:
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


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """A URL whose connections use a fresh, empty schema (``options=-csearch_path=…``); dropped afterwards."""
    admin = await admin_engine()
    schema = f"td_test_{uuid.uuid4().hex[:12]}"
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A URL of a freshly created, empty database (nothing migrated); dropped afterwards."""
    admin = await admin_engine()
    name = f"td_fresh_{uuid.uuid4().hex[:12]}"
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
