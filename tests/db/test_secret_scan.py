"""A stolen database holds no secret in any common encoding (security.md §6 target 1).

SQLite: the raw database file and its -wal/-shm, while open and after close. PostgreSQL: a ``pg_dump`` of the
test schema (bytea appears there as hex, which the scan covers).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.db.conftest import Database
from tests.db.factories import context_of
from tradedock.db import new_id
from tradedock.db.repositories import AuditRepository, ConnectionRepository, UserRepository
from tradedock.services.vault_admin import check_vault
from tradedock.vault import SealContext, Vault, parse_key_spec


def encodings(secret: str) -> set[bytes]:
    raw = secret.encode()
    forms = {raw, raw.hex().encode(), raw.hex().upper().encode()}
    for offset in range(3):  # base64 of the secret at any alignment inside a longer blob
        chunk = raw[offset:]
        chunk = chunk[: len(chunk) - len(chunk) % 3]
        forms.add(base64.b64encode(chunk))
        forms.add(base64.urlsafe_b64encode(chunk))
    return forms


def raw_files(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


async def pg_dump(database: Database) -> bytes:
    url = make_url(database.url)
    command = [
        "pg_dump",
        "--no-owner",
        f"--schema={database.schema}",
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
        url.database or "postgres",
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out


async def plant(sessions: async_sessionmaker[AsyncSession], vault: Vault) -> tuple[list[str], list[str]]:
    """Store 25 connections with high-entropy secrets (5 of them replaced); return (secrets, public ids)."""
    planted: list[str] = []
    public_ids: list[str] = []
    async with sessions() as session:
        (await check_vault(session, vault)).raise_for_problems()
        owner = (await UserRepository(session).get_or_create("scanner")).id
        repo = ConnectionRepository(session)
        for i in range(25):
            fields = {
                "api_key": f"PUB{i:03d}" + secrets.token_hex(8),
                "secret": secrets.token_urlsafe(32),
                "passphrase": secrets.token_hex(12),
            }
            planted += [fields["secret"], fields["passphrase"]]
            public_ids.append(fields["api_key"])
            connection_id = new_id()
            connection = await repo.add(
                connection_id=connection_id,
                owner_id=owner,
                exchange="bitget",
                environment="live",
                label=f"scan-label-{i}",
                scope="futures",
                status="connected",
                key_fingerprint=vault.fingerprint("bitget", fields["api_key"]),
                masked_key="…" + fields["api_key"][-4:],
                sealed=vault.seal(fields, SealContext(owner, connection_id, "bitget")),
            )
            if i % 5 == 0:  # replaced keys: the old secrets must be gone too
                new = {**fields, "secret": secrets.token_urlsafe(32)}
                planted.append(new["secret"])
                await repo.replace_secrets(
                    owner,
                    connection.id,
                    vault.seal(new, context_of(connection)),
                    key_fingerprint=connection.key_fingerprint,
                    masked_key=connection.masked_key,
                )
            await AuditRepository(session).append(
                owner_id=owner, action="connection.added", connection_id=connection_id
            )
            await session.commit()
    return planted, public_ids


def assert_clean(blob: bytes, planted: list[str], public_ids: list[str], master_b64: str) -> None:
    assert b"scan-label-7" in blob  # control: the scan does see stored data
    for secret in [*planted, master_b64]:
        for form in encodings(secret):
            assert form not in blob, "a secret reached the database"
    # Public ids are not stored either: only a keyed fingerprint and the last four characters.
    for public_id in public_ids:
        assert public_id.encode() not in blob


async def test_no_secret_in_the_database(database: Database) -> None:
    master_b64 = base64.b64encode(secrets.token_bytes(32)).decode()
    vault = Vault(parse_key_spec(f"k1:{master_b64}"))
    planted, public_ids = await plant(database.sessionmaker, vault)
    if database.sqlite_path is not None:
        live = raw_files(database.sqlite_path)  # main file + -wal + -shm while the engine is open
        assert_clean(live, planted, public_ids, master_b64)
        await database.engine.dispose()
        assert_clean(raw_files(database.sqlite_path), planted, public_ids, master_b64)
        return
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    assert_clean(await pg_dump(database), planted, public_ids, master_b64)
