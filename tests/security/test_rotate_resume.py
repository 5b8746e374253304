"""`tradedock vault rotate` works in committed batches: killed (SIGKILL) at several points it leaves every row
openable under one key or the other, resumes when run again and finishes; other writers get in between
batches (issue 18 item 4). Real processes, SQLite and PostgreSQL. How long a batch holds the write lock is
measured by bench/, not asserted here."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from sqlalchemy import text

from tests.conftest import POSTGRES_URL, in_ci
from tests.db.factories import add_connection, key_b64
from tradedock.db import make_engine, make_sessionmaker
from tradedock.db.migrate import migrate
from tradedock.db.repositories import SecretRepository, UserRepository
from tradedock.services.vault_admin import check_vault
from tradedock.vault import SealContext, Vault, parse_key_spec

pytestmark = pytest.mark.slow

ROWS = 240
BATCH = 12
KILL_AFTER_BATCHES = (1, 4, 9)


def _pg_schema() -> tuple[str, str]:
    from tests.security.conftest import _pg_conninfo

    schema = f"td_rot_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(_pg_conninfo(), autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        if in_ci():
            pytest.fail(f"PostgreSQL unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {type(exc).__name__}")
    return schema, f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"


async def _seed(url: str, vault: Vault) -> dict[str, tuple[SealContext, dict[str, str]]]:
    engine = make_engine(url)
    out: dict[str, tuple[SealContext, dict[str, str]]] = {}
    try:
        await migrate(engine)
        async with make_sessionmaker(engine)() as session:
            (await check_vault(session, vault)).raise_for_problems()
            owner = (await UserRepository(session).get_or_create("local")).id
            for i in range(ROWS):
                connection, fields = await add_connection(session, vault, owner, label=f"c{i}")
                out[connection.id] = (SealContext(owner, connection.id, "bybit"), fields)
            await session.commit()
    finally:
        await engine.dispose()
    return out


async def _state(url: str, vault: Vault, rows: dict[str, tuple[SealContext, dict[str, str]]]) -> dict[str, int]:
    """Per-key counts, after proving every row opens (each is under the old key or the new, never broken)."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            secrets = SecretRepository(session)
            for connection_id, (context, fields) in rows.items():
                stored = await secrets.get(connection_id)
                assert stored is not None
                assert vault.open(stored, context) == fields
            return await secrets.count_by_kek_id()
    finally:
        await engine.dispose()


def _rotate(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tradedock", "vault", "rotate", "--json", "--batch-size", str(BATCH)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_rotate_killed_at_several_points_resumes_and_finishes(backend: str, tmp_path: Path) -> None:
    old, new = f"old:{key_b64()}", f"new:{key_b64()}"
    home = tmp_path / "home"
    schema = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{home / 'tradedock.db'}"
    else:
        schema, url = _pg_schema()
    try:
        rows = asyncio.run(_seed(url, Vault(parse_key_spec(old))))
        both = Vault(parse_key_spec(f"{new},{old}"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEDOCK_")}
        env.update(TRADEDOCK_HOME=str(home), TRADEDOCK_DATABASE_URL=url, TRADEDOCK_MASTER_KEY=f"{new},{old}")
        moved_before = 0
        for kill_after in KILL_AFTER_BATCHES:
            process = _rotate(env)
            assert process.stderr is not None
            for _ in range(kill_after):
                line = process.stderr.readline()
                assert line.startswith("batch "), line + process.stderr.read()
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            counts = asyncio.run(_state(url, both, rows))
            assert sum(counts.values()) == ROWS
            # Every batch reported before the kill was committed, and nothing was lost from earlier runs.
            assert counts.get("new", 0) >= moved_before + kill_after * BATCH
            moved_before = counts.get("new", 0)
            assert moved_before < ROWS
        # Run to the end; another writer's transaction commits while it runs (SQLite: no "database is locked").
        process = _rotate(env)
        assert process.stderr is not None and process.stdout is not None
        assert process.stderr.readline().startswith("batch ")
        if backend == "sqlite":
            asyncio.run(_write_meanwhile(url))
        rest = process.stderr.read()
        assert process.wait(timeout=120) == 0, rest
        result = json.loads(process.stdout.read())
        assert result == {"primary_key_id": "new", "moved": ROWS - moved_before, "remaining_on_old_keys": 0}
        assert asyncio.run(_state(url, both, rows)) == {"new": ROWS}
        # The old key can now go: everything opens with the new key alone.
        assert asyncio.run(_state(url, Vault(parse_key_spec(new)), rows)) == {"new": ROWS}
    finally:
        if schema is not None:
            from tests.security.conftest import _pg_conninfo

            with psycopg.connect(_pg_conninfo(), autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


async def _write_meanwhile(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO users (id, name, created_at) VALUES (:id, :name, CURRENT_TIMESTAMP)"),
                {"id": str(uuid.uuid4()), "name": f"meanwhile-{uuid.uuid4().hex[:6]}"},
            )
    finally:
        await engine.dispose()
