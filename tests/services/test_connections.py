"""The connection service over SQLite + the in-process simulators: what is stored, refused, replaced, removed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tradedock.db.models import AuditEntry, ConnectionSecret, ConnectionSecretField, VerificationRun
from tradedock.domain import ConnectionStatus, ExchangeId
from tradedock.errors import AccountChangedError, AlreadyConnectedError, InvalidInputError, NotFoundError
from tradedock.services.records import Store
from tradedock.vault import SealContext

from .conftest import Harness


async def test_healthy_key_is_verified_sealed_and_stored(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BYBIT, "healthy")
    outcome = await harness.connect(ExchangeId.BYBIT, preset["credentials"], label="main")
    assert outcome.stored and outcome.status is ConnectionStatus.CONNECTED
    view = await harness.service().show(outcome.connection_id or "")
    async with harness.ctx.transaction() as session:
        fields = (await session.execute(select(ConnectionSecretField.field))).scalars().all()
    assert view.label == "main"
    assert view.account_uid == preset["uid"]
    assert view.last_report is not None and view.last_report.status is ConnectionStatus.CONNECTED
    assert sorted(fields) == ["api_key", "secret"]


async def test_invalid_key_is_not_stored(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BITGET, "wrong_passphrase")
    outcome = await harness.connect(ExchangeId.BITGET, preset["credentials"])
    assert outcome.status is ConnectionStatus.INVALID
    assert not outcome.stored and outcome.connection_id is None
    assert await harness.service().list() == []
    async with harness.ctx.transaction() as session:
        assert (await session.execute(select(ConnectionSecret))).first() is None


async def test_action_required_is_stored_and_flagged(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BYBIT, "withdraw_enabled")
    outcome = await harness.connect(ExchangeId.BYBIT, preset["credentials"])
    assert outcome.stored and outcome.status is ConnectionStatus.ACTION_REQUIRED
    assert outcome.check("permissions.forbidden").outcome == "fail"


async def test_a_key_connected_by_another_owner_is_refused_without_saying_whose(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BYBIT, "healthy")
    first = await harness.connect(ExchangeId.BYBIT, preset["credentials"], owner="alice")
    assert first.stored
    # The same key pasted with stray whitespace by someone else.
    sloppy = {name: f"  {value}\n" for name, value in preset["credentials"].items()}
    with pytest.raises(AlreadyConnectedError) as refused:
        await harness.connect(ExchangeId.BYBIT, sloppy, owner="bob")
    assert "alice" not in str(refused.value) and "already connected" in str(refused.value)
    assert await harness.service("bob").list() == []
    async with harness.ctx.transaction() as session:
        refusals = (
            (await session.execute(select(AuditEntry.action).where(AuditEntry.action == "connect_refused")))
            .scalars()
            .all()
        )
    assert refusals == ["connect_refused"]  # kept although the refused call rolled back


async def test_owner_scoping_hides_other_owners_connections(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BYBIT, "healthy")
    outcome = await harness.connect(ExchangeId.BYBIT, preset["credentials"], owner="alice")
    with pytest.raises(NotFoundError):
        await harness.service("bob").show(outcome.connection_id or "")
    with pytest.raises(NotFoundError):
        await harness.service("bob").remove(outcome.connection_id or "")


async def _sealed_bytes(harness: Harness, connection_id: str) -> tuple[bytes, list[bytes]]:
    async with harness.ctx.transaction() as session:
        secret = (
            await session.execute(select(ConnectionSecret).where(ConnectionSecret.connection_id == connection_id))
        ).scalar_one()
        fields = (
            (
                await session.execute(
                    select(ConnectionSecretField.ciphertext)
                    .where(ConnectionSecretField.connection_id == connection_id)
                    .order_by(ConnectionSecretField.field)
                )
            )
            .scalars()
            .all()
        )
        return secret.wrapped_dek, list(fields)


async def test_replace_refuses_another_account_and_leaves_the_old_key_byte_for_byte(harness: Harness) -> None:
    first = await harness.scenario(ExchangeId.BYBIT, "healthy")
    outcome = await harness.connect(ExchangeId.BYBIT, first["credentials"])
    connection_id = outcome.connection_id or ""
    before = await _sealed_bytes(harness, connection_id)
    other = await harness.scenario(ExchangeId.BYBIT, "healthy")
    with pytest.raises(AccountChangedError) as refused:
        await harness.service().replace(connection_id, other["credentials"])
    assert other["uid"] in str(refused.value)
    assert await _sealed_bytes(harness, connection_id) == before
    async with harness.ctx.transaction() as session:
        actions = (
            (await session.execute(select(AuditEntry.action).where(AuditEntry.connection_id == connection_id)))
            .scalars()
            .all()
        )
    assert "replace_refused" in actions

    # An invalid replacement is not stored either.
    bad = await harness.scenario(ExchangeId.BYBIT, "healthy")
    broken = {**bad["credentials"], "secret": "X" * 36}
    result = await harness.service().replace(connection_id, broken)
    assert result.status is ConnectionStatus.INVALID and not result.stored
    assert await _sealed_bytes(harness, connection_id) == before


async def test_replace_with_a_key_of_the_same_account_swaps_in_place(harness: Harness) -> None:
    first = await harness.scenario(ExchangeId.BYBIT, "healthy")
    outcome = await harness.connect(ExchangeId.BYBIT, first["credentials"])
    connection_id = outcome.connection_id or ""
    new = await harness.controls[ExchangeId.BYBIT].create_key(
        first["uid"], {"ContractTrade": ["Order", "Position"]}, ips=[first["ips"][0]]
    )
    creds = {"api_key": new["api_key"], "secret": new["secret"]}
    result = await harness.service().replace(connection_id, creds)
    assert result.stored and result.connection_id == connection_id
    view = await harness.service().show(connection_id)
    checked = await harness.service().check(connection_id)
    assert view.masked_key == "…" + new["api_key"][-4:]
    assert checked.status is ConnectionStatus.CONNECTED


async def test_remove_destroys_secrets_and_keeps_an_audit_record(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.ASTER, "healthy")
    outcome = await harness.connect(ExchangeId.ASTER, preset["credentials"])
    connection_id = outcome.connection_id or ""
    await harness.service().remove(connection_id)
    async with harness.ctx.transaction() as session:
        assert (await session.execute(select(ConnectionSecret))).first() is None
        assert (await session.execute(select(ConnectionSecretField))).first() is None
        actions = (
            (await session.execute(select(AuditEntry.action).where(AuditEntry.connection_id == connection_id)))
            .scalars()
            .all()
        )
    assert set(actions) >= {"connect", "remove"}


async def test_balances_sum_every_wallet_in_usd(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BYBIT, "funds_in_funding_wallet")
    outcome = await harness.connect(ExchangeId.BYBIT, preset["credentials"])
    assert outcome.stored, outcome
    view = await harness.service().balances(outcome.connection_id or "")
    wallets = {row.wallet for row in view.balances}
    assert "FUND" in wallets
    assert view.total_usd == sum(row.usd_value or 0 for row in view.balances)
    balance = outcome.check("balance.minimum")
    assert "Funding" in balance.message or any("Funding" in step for step in balance.fix)


async def test_unreachable_exchange_stores_nothing(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BITGET, "healthy")
    await harness.controls[ExchangeId.BITGET].set_faults(error="http_500")
    outcome = await harness.connect(ExchangeId.BITGET, preset["credentials"])
    assert outcome.status is ConnectionStatus.UNREACHABLE and not outcome.stored


async def test_a_unique_id_prefix_finds_the_connection_and_an_ambiguous_one_is_refused(harness: Harness) -> None:
    ids = ("abcd0000-0000-4000-8000-000000000001", "abcd1111-0000-4000-8000-000000000002")
    async with harness.ctx.transaction() as session:
        store = Store(session, harness.ctx.clock)
        owner = await store.owner_id("local")
        for number, connection_id in enumerate(ids):
            fields = {"api_key": f"KEY{number:015d}", "secret": "S" * 36}
            await store.connections.add(
                connection_id=connection_id,
                owner_id=owner,
                exchange="bybit",
                environment="sandbox",
                label=f"c{number}",
                scope="futures",
                status="connected",
                key_fingerprint=harness.ctx.vault.fingerprint("bybit", fields["api_key"]),
                masked_key="…0000",
                sealed=harness.ctx.vault.seal(fields, SealContext(owner, connection_id, "bybit")),
            )
    service = harness.service()
    assert (await service.show("abcd1")).id == ids[1]
    assert (await service.show(ids[0].upper())).id == ids[0]
    with pytest.raises(InvalidInputError) as ambiguous:
        await service.show("abcd")
    assert ambiguous.value.field == "id"
    with pytest.raises(NotFoundError):
        await service.show("abc")  # too short to be a prefix
    with pytest.raises(NotFoundError):
        await harness.service("bob").show("abcd1")  # another owner's


async def test_check_all_verifies_connections_concurrently_and_records_each(harness: Harness) -> None:
    ids = []
    for _ in range(4):
        preset = await harness.scenario(ExchangeId.BYBIT, "healthy")
        ids.append((await harness.connect(ExchangeId.BYBIT, preset["credentials"])).connection_id)
    counter = harness.transports[ExchangeId.BYBIT]
    await harness.controls[ExchangeId.BYBIT].set_faults(latency_ms=50)
    counter.max_in_flight = 0
    await harness.service().check(ids[0] or "")
    single_verification = counter.max_in_flight  # the most one verification has in flight at once
    counter.max_in_flight = 0
    batch = await harness.service().check_all()
    assert [o.connection_id for o in batch.results] == ids
    assert all(o.status is ConnectionStatus.CONNECTED for o in batch.results)
    assert batch.summary == "4 checked: 4 connected" and batch.not_checked == []
    assert counter.max_in_flight > single_verification  # several verifications overlapped
    for connection_id in ids:
        detail = await harness.service().show(connection_id)
        assert detail.last_report is not None and detail.last_report.trigger == "check"


async def test_a_check_this_server_held_back_is_shown_but_changes_nothing(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BYBIT, "healthy")
    made = await harness.connect(ExchangeId.BYBIT, preset["credentials"])
    cid = made.connection_id or ""
    harness.crowd_the_ip()
    try:
        outcome = await harness.service().check(cid)
    finally:
        harness.uncrowd()
    assert outcome.status is ConnectionStatus.UNREACHABLE and not outcome.stored
    assert outcome.note and "Not recorded" in outcome.note and "keeps its status" in outcome.note
    reachable = next(c for c in outcome.checks if c.id == "exchange.reachable")
    assert reachable.message.startswith("Bybit was not asked (this server's share of Bybit's rate limit was used up)")
    view = await harness.service().show(cid)
    assert view.status is ConnectionStatus.CONNECTED
    async with harness.ctx.reading() as session:
        runs = (await session.execute(select(VerificationRun.trigger))).scalars().all()
    assert runs == ["connect"]  # the held-back check left no run behind


async def test_a_connect_this_server_held_back_says_to_connect_again_shortly(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BYBIT, "healthy")
    harness.crowd_the_ip()
    try:
        outcome = await harness.connect(ExchangeId.BYBIT, preset["credentials"])
    finally:
        harness.uncrowd()
    assert outcome.status is ConnectionStatus.UNREACHABLE and not outcome.stored
    assert outcome.note and "held its requests back" in outcome.note and "Connect again in" in outcome.note
