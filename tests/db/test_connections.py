"""Connection repository on SQLite and PostgreSQL: CRUD, owner scoping, one key ↔ one tenant, cascades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.db.conftest import Database
from tests.db.factories import add_connection, bybit_fields, context_of, key_b64
from tradedock.db import AuditEntry, CheckResult, Connection, ConnectionSecret, ConnectionSecretField, VerificationRun
from tradedock.db.repositories import (
    AuditRepository,
    ConnectionRepository,
    NewCheckResult,
    UserRepository,
    VerificationRunRepository,
)
from tradedock.errors import AlreadyConnectedError, NotFoundError
from tradedock.vault import SealContext, Vault, parse_key_spec


@pytest.fixture
def vault() -> Vault:
    v = Vault(parse_key_spec(f"k1:{key_b64()}"))
    v.new_fingerprint_key()
    return v


async def two_users(session: AsyncSession) -> tuple[str, str]:
    users = UserRepository(session)
    return (await users.get_or_create("alice")).id, (await users.get_or_create("bob")).id


async def count(session: AsyncSession, model: type) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


class TestUsers:
    async def test_get_or_create_is_idempotent(self, session: AsyncSession) -> None:
        users = UserRepository(session)
        first = await users.get_or_create("alice")
        again = await users.get_or_create(" alice ")
        assert again.id == first.id
        assert first.created_at.tzinfo is not None
        assert (await users.get(first.id)) is first
        with pytest.raises(ValueError):
            await users.get_or_create("  ")


class TestCrud:
    async def test_add_get_list_and_open(self, database: Database, vault: Vault) -> None:
        async with database.sessionmaker() as session:
            alice, _ = await two_users(session)
            connection, fields = await add_connection(session, vault, alice)
            await session.commit()
        async with database.sessionmaker() as session:
            repo = ConnectionRepository(session)
            loaded = await repo.get(alice, connection.id)
            assert loaded.masked_key == "…" + fields["api_key"][-4:]
            assert loaded.created_at.tzinfo is not None and loaded.created_at.utcoffset() == timedelta(0)
            assert [c.id for c in await repo.list_for_owner(alice)] == [connection.id]
            sealed = await repo.get_sealed(alice, connection.id)
            assert sealed.kek_id == "k1"
            assert vault.open(sealed, context_of(loaded)) == fields

    async def test_update_facts_and_status(self, session: AsyncSession, vault: Vault) -> None:
        alice, _ = await two_users(session)
        connection, _ = await add_connection(session, vault, alice)
        repo = ConnectionRepository(session)
        checked = datetime(2026, 3, 1, 12, tzinfo=UTC)
        await repo.update_status(alice, connection.id, "action_required", checked_at=checked)
        await repo.update_facts(
            alice,
            connection.id,
            account_uid="123",
            last_balance_usd=Decimal("1234.56789012"),
            balances_json={"UNIFIED": {"USDT": Decimal("1000.5")}},
        )
        session.expunge_all()
        loaded = await repo.get(alice, connection.id)
        assert loaded.status == "action_required"
        assert loaded.last_checked_at == checked
        assert loaded.last_balance_usd == Decimal("1234.56789012")
        assert loaded.balances_json == {"UNIFIED": {"USDT": "1000.5"}}
        with pytest.raises(ValueError, match="cannot set"):
            await repo.update_facts(alice, connection.id, key_fingerprint="x")
        with pytest.raises(ValueError, match="secrets never go into JSON"):
            await repo.update_facts(alice, connection.id, balances_json={"secret": "x"})

    async def test_replace_secrets_in_place(self, session: AsyncSession, vault: Vault) -> None:
        alice, _ = await two_users(session)
        connection, old_fields = await add_connection(session, vault, alice)
        old_sealed = await ConnectionRepository(session).get_sealed(alice, connection.id)
        new_fields = bybit_fields()
        ctx = context_of(connection)
        repo = ConnectionRepository(session)
        await repo.replace_secrets(
            alice,
            connection.id,
            vault.seal(new_fields, ctx),
            key_fingerprint=vault.fingerprint("bybit", new_fields["api_key"]),
            masked_key="…" + new_fields["api_key"][-4:],
            status="connected",
        )
        session.expunge_all()
        stored = await repo.get_sealed(alice, connection.id)
        assert vault.open(stored, ctx) == new_fields
        assert stored.wrapped_dek != old_sealed.wrapped_dek
        assert set(stored.fields.values()).isdisjoint(old_sealed.fields.values())
        assert await count(session, ConnectionSecretField) == len(new_fields)
        # The old key is free again; the new one is taken.
        assert await repo.get_by_fingerprint(vault.fingerprint("bybit", old_fields["api_key"])) is None
        assert (await repo.get_by_fingerprint(vault.fingerprint("bybit", new_fields["api_key"]))).id == connection.id


class TestOwnerScoping:
    async def test_foreign_ids_look_missing(self, session: AsyncSession, vault: Vault) -> None:
        alice, bob = await two_users(session)
        connection, fields = await add_connection(session, vault, alice)
        repo = ConnectionRepository(session)
        with pytest.raises(NotFoundError) as foreign:
            await repo.get(bob, connection.id)
        with pytest.raises(NotFoundError) as missing:
            await repo.get(bob, "00000000-0000-0000-0000-000000000000")
        assert str(foreign.value).replace(connection.id, "X") == str(missing.value).replace(
            "00000000-0000-0000-0000-000000000000", "X"
        )
        assert await repo.list_for_owner(bob) == []
        for attempt in (
            repo.get_sealed(bob, connection.id),
            repo.update_status(bob, connection.id, "invalid"),
            repo.update_facts(bob, connection.id, label="mine now"),
            repo.delete(bob, connection.id),
            repo.replace_secrets(
                bob,
                connection.id,
                vault.seal(bybit_fields(), context_of(connection)),
                key_fingerprint="f",
                masked_key="m",
            ),
        ):
            with pytest.raises(NotFoundError):
                await attempt
        runs = VerificationRunRepository(session)
        await runs.add(
            connection_id=connection.id,
            trigger="connect",
            status="connected",
            started_at=_t(0),
            duration_ms=5,
            results=[],
        )
        assert await runs.latest(bob, connection.id) is None
        assert await runs.latest_for_owner(bob) == {}
        assert (await repo.get(alice, connection.id)).label == "main"
        assert vault.open(await repo.get_sealed(alice, connection.id), context_of(connection)) == fields


class TestOneKeyOneTenant:
    async def test_same_key_for_another_owner_is_refused(self, session: AsyncSession, vault: Vault) -> None:
        alice, bob = await two_users(session)
        fields = bybit_fields()
        await add_connection(session, vault, alice, fields=fields)
        pasted = {**fields, "api_key": f"  {fields['api_key']}\n"}
        with pytest.raises(AlreadyConnectedError) as caught:
            await add_connection(session, vault, bob, fields=pasted)
        assert "alice" not in str(caught.value) and alice not in str(caught.value)
        assert caught.value.fix
        # The session is still usable after the refused insert (savepoint), and nothing was half-stored.
        assert await count(session, ConnectionSecret) == 1
        assert len(await ConnectionRepository(session).list_for_owner(bob)) == 0

    async def test_unique_index_is_the_last_line(self, session: AsyncSession, vault: Vault) -> None:
        """Even if the pre-check is bypassed (a race), the database refuses and the error is the domain one."""
        alice, bob = await two_users(session)
        connection, _ = await add_connection(session, vault, alice)
        repo = ConnectionRepository(session)

        async def no_precheck(_fp: str) -> None:
            return None

        repo.get_by_fingerprint = no_precheck  # type: ignore[method-assign]
        ctx = SealContext(bob, "c-race", "bybit")
        with pytest.raises(AlreadyConnectedError):
            await repo.add(
                connection_id="c-race",
                owner_id=bob,
                exchange="bybit",
                environment="live",
                label="race",
                scope="futures",
                status="connected",
                key_fingerprint=connection.key_fingerprint,
                masked_key="…race",
                sealed=vault.seal({"api_key": "k", "secret": "s"}, ctx),
            )
        assert await count(session, ConnectionSecret) == 1

    async def test_replacing_with_a_key_held_elsewhere_is_refused(self, session: AsyncSession, vault: Vault) -> None:
        alice, bob = await two_users(session)
        mine, _ = await add_connection(session, vault, alice)
        _, theirs = await add_connection(session, vault, bob)
        with pytest.raises(AlreadyConnectedError):
            await ConnectionRepository(session).replace_secrets(
                alice,
                mine.id,
                vault.seal(theirs, context_of(mine)),
                key_fingerprint=vault.fingerprint("bybit", theirs["api_key"]),
                masked_key="…",
            )


class TestDeleteAndAudit:
    async def test_delete_destroys_secrets_and_runs_but_audit_survives(self, database: Database, vault: Vault) -> None:
        async with database.sessionmaker() as session:
            alice, _ = await two_users(session)
            connection, _ = await add_connection(session, vault, alice)
            await VerificationRunRepository(session).add(
                connection_id=connection.id,
                trigger="connect",
                status="connected",
                started_at=_t(0),
                duration_ms=120,
                results=[NewCheckResult("auth.signature", "pass", "Signature accepted.")],
            )
            audit = AuditRepository(session)
            await audit.append(
                owner_id=alice, action="connection.added", connection_id=connection.id, detail={"label": "main"}
            )
            await ConnectionRepository(session).delete(alice, connection.id)
            await audit.append(owner_id=alice, action="connection.removed", connection_id=connection.id)
            await session.commit()
        async with database.sessionmaker() as session:
            for model in (ConnectionSecret, ConnectionSecretField, VerificationRun, CheckResult):
                assert await count(session, model) == 0, model
            entries = await AuditRepository(session).list_for_owner(alice, connection_id=connection.id)
            assert [e.action for e in entries] == ["connection.removed", "connection.added"]
            assert await count(session, AuditEntry) == 2
            with pytest.raises(NotFoundError):
                await ConnectionRepository(session).get(alice, connection.id)

    async def test_database_cascade_without_the_repository(self, session: AsyncSession, vault: Vault) -> None:
        """ON DELETE CASCADE itself (foreign keys are on in SQLite too)."""
        alice, _ = await two_users(session)
        connection, _ = await add_connection(session, vault, alice)
        await VerificationRunRepository(session).add(
            connection_id=connection.id,
            trigger="check",
            status="connected",
            started_at=_t(0),
            duration_ms=1,
            results=[NewCheckResult("clock.skew", "pass", "ok")],
        )
        await session.execute(delete(Connection).where(Connection.id == connection.id))
        session.expunge_all()
        for model in (ConnectionSecret, ConnectionSecretField, VerificationRun, CheckResult):
            assert await count(session, model) == 0, model

    async def test_audit_refuses_secret_looking_details(self, session: AsyncSession) -> None:
        with pytest.raises(ValueError, match="passphrase"):
            await AuditRepository(session).append(owner_id="u", action="x", detail={"nested": {"passphrase": "p"}})


class TestVerificationRuns:
    async def test_latest_run_with_ordered_results(self, session: AsyncSession, vault: Vault) -> None:
        alice, _ = await two_users(session)
        first, _ = await add_connection(session, vault, alice)
        second, _ = await add_connection(session, vault, alice, label="second")
        runs = VerificationRunRepository(session)
        for minutes, status in ((0, "invalid"), (10, "connected_with_warnings")):
            await runs.add(
                connection_id=first.id,
                trigger="check",
                status=status,
                started_at=_t(minutes),
                duration_ms=50,
                results=[
                    NewCheckResult("exchange.reachable", "pass", "Reachable."),
                    NewCheckResult(
                        "key.expiry",
                        "warn",
                        "Key expires soon.",
                        fix=["Create a new key", "Replace it"],
                        evidence={"expires_at": _t(60), "days": Decimal("3.5")},
                    ),
                ],
            )
        await runs.add(
            connection_id=second.id, trigger="connect", status="connected", started_at=_t(5), duration_ms=9, results=[]
        )
        session.expunge_all()
        latest = await runs.latest(alice, first.id)
        assert latest is not None and latest.status == "connected_with_warnings"
        assert [r.check_id for r in latest.results] == ["exchange.reachable", "key.expiry"]
        assert latest.results[1].fix == ["Create a new key", "Replace it"]
        assert latest.results[1].evidence == {"expires_at": _t(60).isoformat(), "days": "3.5"}
        per_connection = await runs.latest_for_owner(alice)
        assert {k: v.status for k, v in per_connection.items()} == {
            first.id: "connected_with_warnings",
            second.id: "connected",
        }
        assert [r.status for r in await runs.list_for_connection(alice, first.id)] == [
            "connected_with_warnings",
            "invalid",
        ]
        with pytest.raises(ValueError, match="trigger"):
            await runs.add(
                connection_id=first.id, trigger="cron", status="x", started_at=_t(0), duration_ms=0, results=[]
            )


def _t(minutes: int) -> datetime:
    return datetime(2026, 5, 1, tzinfo=UTC) + timedelta(minutes=minutes)
