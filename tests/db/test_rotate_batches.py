"""`rotate_in_batches` on SQLite and PostgreSQL: connections and webhook signing secrets move to the primary
master key in committed batches; afterwards everything opens with the new key alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.db.conftest import Database
from tests.db.factories import add_connection, context_of, key_b64
from tradedock.clock import SystemClock
from tradedock.db.models import ConnectionSecret, Webhook
from tradedock.db.repositories import SecretRepository, UserRepository
from tradedock.services.vault_admin import RotationProgress, check_vault, rotate_in_batches
from tradedock.services.webhooks import WebhookService
from tradedock.vault import SealContext, SealedSecrets, Vault, parse_key_spec


def transactions(database: Database) -> AbstractAsyncContextManager[AsyncSession]:
    @asynccontextmanager
    async def unit() -> AsyncIterator[AsyncSession]:
        async with database.sessionmaker() as session, session.begin():
            yield session

    return unit()


async def test_connections_and_webhooks_move_in_committed_batches(database: Database) -> None:
    old, new = f"old:{key_b64()}", f"new:{key_b64()}"
    vault = Vault(parse_key_spec(old))
    async with database.sessionmaker() as session:
        (await check_vault(session, vault)).raise_for_problems()
        owner = (await UserRepository(session).get_or_create("alice")).id
        rows = [await add_connection(session, vault, owner, label=f"c{i}") for i in range(7)]
        hooks = [
            await WebhookService(session, SystemClock(), vault, owner).create(f"https://hooks.example.com/{i}")
            for i in range(5)
        ]
        await session.commit()

    both = Vault(parse_key_spec(f"{new},{old}"))
    async with database.sessionmaker() as session:
        (await check_vault(session, both)).raise_for_problems()
    progress: list[RotationProgress] = []
    result = await rotate_in_batches(lambda: transactions(database), both, batch_size=3, on_batch=progress.append)
    assert [p.moved for p in progress] == [3, 6, 7]  # one report per committed batch
    assert (result.moved, result.webhooks_moved, result.remaining_on_old, result.failed) == (7, 5, 0, 0)
    assert result.complete

    alone = Vault(parse_key_spec(new))  # the old key retired
    async with database.sessionmaker() as session:
        for connection, fields in rows:
            stored = await SecretRepository(session).get(connection.id)
            assert stored is not None and alone.open(stored, context_of(connection)) == fields
        for hook in hooks:
            row = (await session.execute(select(Webhook).where(Webhook.id == hook.id))).scalar_one()
            assert row.kek_id == "new"
            sealed = SealedSecrets(row.kek_id, row.wrapped_dek, {"secret": row.secret_ciphertext}, row.aad_version)
            assert alone.open(sealed, SealContext(owner, hook.id, "webhook")) == {"secret": hook.secret}

    again = await rotate_in_batches(lambda: transactions(database), both, batch_size=3)
    assert (again.moved, again.webhooks_moved, again.remaining_on_old) == (0, 0, 0)  # idempotent


async def test_rewrapped_rows_keep_readable_utc_timestamps(database: Database) -> None:
    old, new = f"old:{key_b64()}", f"new:{key_b64()}"
    vault = Vault(parse_key_spec(old))
    async with database.sessionmaker() as session:
        (await check_vault(session, vault)).raise_for_problems()
        owner = (await UserRepository(session).get_or_create("alice")).id
        connection, _ = await add_connection(session, vault, owner)
        await session.commit()
    both = Vault(parse_key_spec(f"{new},{old}"))
    await rotate_in_batches(lambda: transactions(database), both, pause_s=0)
    async with database.sessionmaker() as session:
        row = await session.get(ConnectionSecret, connection.id)
        assert row is not None and row.kek_id == "new"
        assert row.updated_at.tzinfo is not None and row.updated_at >= row.created_at
