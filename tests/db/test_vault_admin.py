"""services.vault_admin on SQLite and PostgreSQL: the startup canary and master-key rotation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete

from tests.db.conftest import Database
from tests.db.factories import add_connection, context_of, key_b64
from tradedock.config import load_settings
from tradedock.db import Connection, VaultMeta
from tradedock.db.repositories import ConnectionRepository, SecretRepository, UserRepository, VaultMetaRepository
from tradedock.errors import MasterKeyError
from tradedock.services.vault_admin import check_vault, rotate_master_key
from tradedock.vault import FINGERPRINT_KEY_NAME, Vault, open_vault, parse_key_spec


class Interrupted(Exception):
    pass


async def seed(database: Database, vault: Vault, n: int) -> dict[str, tuple[Connection, dict[str, str]]]:
    """n connections (two owners) sealed under ``vault``'s primary key, committed."""
    out: dict[str, tuple[Connection, dict[str, str]]] = {}
    async with database.sessionmaker() as session:
        (await check_vault(session, vault)).raise_for_problems()
        owners = [(await UserRepository(session).get_or_create(name)).id for name in ("alice", "bob")]
        for i in range(n):
            connection, fields = await add_connection(session, vault, owners[i % 2], label=f"c{i}")
            out[connection.id] = (connection, fields)
        await session.commit()
    return out


async def assert_all_open(database: Database, vault: Vault, rows: dict[str, tuple[Connection, dict[str, str]]]) -> None:
    async with database.sessionmaker() as session:
        repo = ConnectionRepository(session)
        for connection, fields in rows.values():
            stored = await repo.get_sealed(connection.owner_id, connection.id)
            assert vault.open(stored, context_of(connection)) == fields


class TestRotation:
    async def test_rotate_moves_everything_then_old_key_can_go(self, database: Database) -> None:
        old_b64, new_b64 = key_b64(), key_b64()
        old = Vault(parse_key_spec(f"old:{old_b64}"))
        rows = await seed(database, old, 7)
        fingerprints = {cid: old.fingerprint("bybit", f["api_key"]) for cid, (_, f) in rows.items()}

        both = Vault(parse_key_spec(f"new:{new_b64},old:{old_b64}"))
        async with database.sessionmaker() as session:
            assert (await check_vault(session, both)).ok
            assert await SecretRepository(session).count_by_kek_id() == {"old": 7}
            result = await rotate_master_key(session, both, batch_size=3)
            await session.commit()
        # meta rows moved: the fingerprint key and the old key's canary sentinel
        assert (result.moved, result.remaining_on_old, result.failed, result.meta_moved) == (7, 0, 0, 2)
        assert result.per_key == {"new": 7} and result.complete
        await assert_all_open(database, both, rows)

        async with database.sessionmaker() as session:
            again = await rotate_master_key(session, both)
            assert (again.moved, again.remaining_on_old) == (0, 0)
            assert (await VaultMetaRepository(session).get(FINGERPRINT_KEY_NAME)).kek_id == "new"  # type: ignore[union-attr]

        new_only = Vault(parse_key_spec(f"new:{new_b64}"))
        async with database.sessionmaker() as session:
            health = await check_vault(session, new_only)
        assert health.ok and health.fingerprint_key == "loaded" and health.per_key == {"new": 7}
        await assert_all_open(database, new_only, rows)
        for cid, (_, fields) in rows.items():
            assert new_only.fingerprint("bybit", fields["api_key"]) == fingerprints[cid]

    async def test_interrupted_rotation_resumes(self, database: Database) -> None:
        old_b64, new_b64 = key_b64(), key_b64()
        rows = await seed(database, Vault(parse_key_spec(f"old:{old_b64}")), 5)
        both = Vault(parse_key_spec(f"new:{new_b64},old:{old_b64}"))
        async with database.sessionmaker() as session:

            async def commit_then_crash(moved: int) -> None:
                await session.commit()
                raise Interrupted

            with pytest.raises(Interrupted):
                await rotate_master_key(session, both, batch_size=2, after_batch=commit_then_crash)
        async with database.sessionmaker() as session:
            assert await SecretRepository(session).count_by_kek_id() == {"new": 2, "old": 3}
            result = await rotate_master_key(session, both, batch_size=2)
            await session.commit()
        assert (result.moved, result.remaining_on_old) == (3, 0)
        await assert_all_open(database, both, rows)

    async def test_rows_no_key_opens_are_reported_not_skipped_silently(self, database: Database) -> None:
        lost = Vault(parse_key_spec(f"lost:{key_b64()}"))
        await seed(database, lost, 2)
        current = Vault(parse_key_spec(f"new:{key_b64()}"))
        async with database.sessionmaker() as session:
            await session.execute(delete(VaultMeta))  # let rotation get past the meta row of the lost key
            result = await rotate_master_key(session, current)
        assert (result.moved, result.failed, result.remaining_on_old) == (0, 2, 2)
        assert not result.complete


class TestCanary:
    async def test_fresh_database_creates_then_loads_fingerprint_key(self, database: Database) -> None:
        spec = f"k1:{key_b64()}"
        async with database.sessionmaker() as session:
            first = await check_vault(session, Vault(parse_key_spec(spec)))
            await session.commit()
        assert first.ok and first.fingerprint_key == "created" and first.total_connections == 0
        a, b = Vault(parse_key_spec(spec)), Vault(parse_key_spec(spec))
        async with database.sessionmaker() as session:
            assert (await check_vault(session, a)).fingerprint_key == "loaded"
            assert (await check_vault(session, b)).fingerprint_key == "loaded"
        assert a.fingerprint("bybit", "K") == b.fingerprint("bybit", "K")

    async def test_wrong_master_key_is_detected_with_the_count(self, database: Database) -> None:
        await seed(database, Vault(parse_key_spec(f"k1:{key_b64()}")), 3)
        impostor = Vault(parse_key_spec(f"k1:{key_b64()}"))  # same id, other bytes
        async with database.sessionmaker() as session:
            health = await check_vault(session, impostor)
        assert not health.ok
        assert (health.unwrap_failures, health.unopenable, health.total_connections) == (3, 3, 3)
        assert health.fingerprint_key == "unopenable"
        assert "3 of 3 connection(s) cannot be opened" in health.problems[0]
        with pytest.raises(MasterKeyError, match="3 of 3"):
            health.raise_for_problems()
        assert not impostor.has_fingerprint_key

    async def test_missing_key_file_with_existing_rows_is_detected(
        self, database: Database, tradedock_home: Path
    ) -> None:
        settings = load_settings()
        original = open_vault(settings)
        await seed(database, original, 4)
        settings.default_master_key_file.unlink()  # the operator lost the key file

        regenerated = open_vault(settings)  # a new key is generated under a new id...
        assert regenerated.primary_key_id != original.primary_key_id
        async with database.sessionmaker() as session:
            health = await check_vault(session, regenerated)  # ...and the canary refuses to pretend
        assert not health.ok
        assert health.unknown_key_ids == {original.primary_key_id: 4}
        assert health.unopenable == 4
        assert original.primary_key_id in health.problems[0] and "4 of 4" in health.problems[0]

    async def test_a_refused_start_writes_no_sentinel_under_the_wrong_key(self, database: Database) -> None:
        await seed(database, Vault(parse_key_spec(f"k1:{key_b64()}")), 2)
        stranger = Vault(parse_key_spec(f"k2:{key_b64()}"))  # another id: no row proves or disproves it
        async with database.sessionmaker() as session:
            health = await check_vault(session, stranger)
            await session.commit()  # even a caller that commits before refusing leaves nothing behind
        assert not health.ok
        async with database.sessionmaker() as session:
            names = {row.name for row in await VaultMetaRepository(session).list_all()}
        assert "canary:k2" not in names
        assert "canary:k1" in names

    async def test_missing_fingerprint_key_with_rows_is_a_problem(self, database: Database) -> None:
        vault = Vault(parse_key_spec(f"k1:{key_b64()}"))
        await seed(database, vault, 1)
        async with database.sessionmaker() as session:
            await session.execute(delete(VaultMeta))
            health = await check_vault(session, Vault(parse_key_spec(f"k1:{key_b64()}")))
        assert health.fingerprint_key == "missing"
        assert not health.ok


async def test_health_message_and_fix(database: Database) -> None:
    vault = Vault(parse_key_spec(f"k1:{key_b64()}"))
    async with database.sessionmaker() as session:
        health = await check_vault(session, vault)
    assert health.fix is None and "healthy" in health.message and "'k1'" in health.message
    await seed(database, vault, 1)
    async with database.sessionmaker() as session:
        bad = await check_vault(session, Vault(parse_key_spec(f"k2:{key_b64()}")))
    assert bad.fix is not None and "TRADEDOCK_MASTER_KEY" in bad.fix
    assert bad.message.startswith("1 of 1 connection(s) cannot be opened")
