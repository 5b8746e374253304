"""Master-key rotation while others write: one transaction (`rotate_master_key`) vs committed batches
(`rotate_in_batches`, what ``tradedock vault rotate`` runs), on SQLite and (if reachable) PostgreSQL.

Seals N connections under an old key (bulk insert), then rotates to a new primary while a concurrent writer
commits one audit row every 10 ms in its own short transaction (a stand-in for connects and checks). Reports
the rotation's wall time, how many writes committed meanwhile, the writer's worst and 99th-percentile wait, and
writes that failed. Prints a Markdown table.

    .venv/bin/python -m bench.vault_rotate [--connections 20000] [--batch-size 500] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tradedock import eventloop
from tradedock.db import make_sessionmaker, prepare_database
from tradedock.db.models import Connection, ConnectionSecret, ConnectionSecretField, User
from tradedock.db.repositories import AuditRepository
from tradedock.services.vault_admin import RotationResult, check_vault, rotate_in_batches, rotate_master_key
from tradedock.vault import SealContext, Vault, parse_key_spec


def _key(name: str) -> str:
    return f"{name}:{base64.b64encode(os.urandom(32)).decode()}"


async def _seed(sessions: async_sessionmaker[AsyncSession], vault: Vault, count: int) -> str:
    now = datetime.now(UTC)
    owner = str(uuid.uuid4())
    async with sessions() as session, session.begin():
        await check_vault(session, vault)
        session.add(User(id=owner, name=f"bench-{owner[:8]}", created_at=now))
    for start in range(0, count, 1000):
        connections, secrets, fields = [], [], []
        for i in range(start, min(start + 1000, count)):
            cid = str(uuid.uuid4())
            api_key = f"key{i:015d}"
            sealed = vault.seal(
                {"api_key": api_key, "secret": os.urandom(18).hex(), "passphrase": f"pass{i:08d}"},
                SealContext(owner, cid, "bitget"),
            )
            connections.append(
                dict(id=cid, owner_id=owner, exchange="bitget", environment="live", label=f"c{i}", scope="futures",
                     status="connected", key_fingerprint=vault.fingerprint("bitget", api_key),
                     masked_key="…" + api_key[-4:], created_at=now, updated_at=now)
            )  # fmt: skip
            secrets.append(
                dict(connection_id=cid, kek_id=sealed.kek_id, wrapped_dek=sealed.wrapped_dek,
                     aad_version=sealed.aad_version, created_at=now, updated_at=now)
            )  # fmt: skip
            fields += [dict(connection_id=cid, field=name, ciphertext=blob) for name, blob in sealed.fields.items()]
        async with sessions() as session, session.begin():
            await session.execute(insert(Connection), connections)
            await session.execute(insert(ConnectionSecret), secrets)
            await session.execute(insert(ConnectionSecretField), fields)
    return owner


async def _writer(
    sessions: async_sessionmaker[AsyncSession], owner: str, stop: asyncio.Event
) -> tuple[list[float], int]:
    waits: list[float] = []
    failures = 0
    while not stop.is_set():
        started = time.perf_counter()
        try:
            async with sessions() as session, session.begin():
                await AuditRepository(session).append(owner_id=owner, connection_id=None, action="bench", detail={})
            waits.append(time.perf_counter() - started)
        except Exception:  # e.g. "database is locked" after the busy timeout
            failures += 1
        await asyncio.sleep(0.01)
    return waits, failures


async def _scenario(
    engine: AsyncEngine,
    count: int,
    rotate: Callable[[async_sessionmaker[AsyncSession], Vault], Awaitable[RotationResult]],
) -> dict[str, str]:
    old, new = _key("old"), _key("new")
    sessions = make_sessionmaker(engine)
    owner = await _seed(sessions, Vault(parse_key_spec(old)), count)
    both = Vault(parse_key_spec(f"{new},{old}"))
    async with sessions() as session, session.begin():
        await check_vault(session, both)
    stop = asyncio.Event()
    writer = asyncio.create_task(_writer(sessions, owner, stop))
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    result = await rotate(sessions, both)
    elapsed = time.perf_counter() - started
    stop.set()
    waits, failures = await writer
    assert result.remaining_on_old == 0, result
    waits.sort()
    p99 = waits[int(len(waits) * 0.99) - 1] if len(waits) >= 100 else max(waits, default=0.0)
    return {
        "rotation": f"{elapsed:.2f} s",
        "writes committed meanwhile": f"{len(waits)}",
        "writer wait p50 / p99 / max": (
            f"{statistics.median(waits) * 1000:.0f} / {p99 * 1000:.0f} / {max(waits, default=0) * 1000:.0f} ms"
        ),
        "writes failed": str(failures),
    }


def _one_transaction() -> Callable[[async_sessionmaker[AsyncSession], Vault], Awaitable[RotationResult]]:
    async def rotate(sessions: async_sessionmaker[AsyncSession], vault: Vault) -> RotationResult:
        async with sessions() as session, session.begin():
            return await rotate_master_key(session, vault)

    return rotate


def _batched(batch_size: int) -> Callable[[async_sessionmaker[AsyncSession], Vault], Awaitable[RotationResult]]:
    async def rotate(sessions: async_sessionmaker[AsyncSession], vault: Vault) -> RotationResult:
        @asynccontextmanager
        async def transaction() -> AsyncIterator[AsyncSession]:
            async with sessions() as session, session.begin():
                yield session

        return await rotate_in_batches(transaction, vault, batch_size=batch_size)

    return rotate


async def run(count: int, batch_size: int, postgres: str | None) -> list[tuple[str, str, dict[str, str]]]:
    rows = []
    for name, rotate in (("one transaction", _one_transaction()), (f"batches of {batch_size}", _batched(batch_size))):
        with TemporaryDirectory() as tmp:
            engine = await prepare_database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
            try:
                rows.append(("SQLite", name, await _scenario(engine, count, rotate)))
            finally:
                await engine.dispose()
        if postgres:
            schema = f"bench_rot_{uuid.uuid4().hex[:8]}"
            admin = await prepare_database(postgres)
            async with admin.begin() as connection:
                await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            engine = await prepare_database(postgres, schema=schema)
            try:
                rows.append(("PostgreSQL", name, await _scenario(engine, count, rotate)))
            finally:
                await engine.dispose()
                async with admin.begin() as connection:
                    await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                await admin.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--postgres", default=None, help="postgresql+psycopg://… (a scratch schema is used)")
    args = parser.parse_args()
    rows = eventloop.run(run(args.connections, args.batch_size, args.postgres))
    keys = list(rows[0][2])
    print("| backend | method | " + " | ".join(keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    for backend, name, values in rows:
        print(f"| {backend} | {name} | " + " | ".join(values[k] for k in keys) + " |")


if __name__ == "__main__":
    main()
