"""The connection service's concurrency rules, on SQLite and PostgreSQL: no session is open while an exchange
answers, batches isolate their items with a constant number of queries each, racing writes never crash."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event, select, update

from tradedock.db.models import AuditEntry, Connection, ConnectionSecret, VerificationRun
from tradedock.db.repositories import ConnectionRepository
from tradedock.domain import ConnectionStatus, ExchangeId
from tradedock.errors import ConflictError
from tradedock.services.records import Store
from tradedock.vault import SealContext

from .conftest import Harness


class SessionProbe(httpx.AsyncBaseTransport):
    """Wraps a simulator transport; at every request records how many database connections are checked out."""

    def __init__(self, harness: Harness, inner: httpx.AsyncBaseTransport) -> None:
        self.harness = harness
        self.inner = inner
        self.samples: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.samples.append(self.harness.ctx.engine.pool.checkedout())  # type: ignore[attr-defined]
        response = await self.inner.handle_async_request(request)
        self.samples.append(self.harness.ctx.engine.pool.checkedout())  # type: ignore[attr-defined]
        return response


@contextmanager
def probe(harness: Harness, exchange: ExchangeId) -> Iterator[SessionProbe]:
    transports: Any = harness.ctx.access.transports
    original = transports[exchange]
    wrapper = SessionProbe(harness, original)
    transports[exchange] = wrapper
    try:
        yield wrapper
    finally:
        transports[exchange] = original


@contextmanager
def count_statements(harness: Harness) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = harness.ctx.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def test_no_database_session_is_open_while_the_exchange_answers(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BYBIT, "healthy")
    await harness.controls[ExchangeId.BYBIT].set_faults(latency_ms=150)
    service = harness.service()
    with probe(harness, ExchangeId.BYBIT) as seen:
        outcome = await harness.connect(ExchangeId.BYBIT, preset["credentials"])
        connection_id = outcome.connection_id or ""
        await service.check(connection_id)
        await service.balances(connection_id)
        new = await harness.controls[ExchangeId.BYBIT].create_key(
            preset["uid"], {"ContractTrade": ["Order", "Position"]}, ips=[preset["ips"][0]]
        )
        replaced = await service.replace(connection_id, {"api_key": new["api_key"], "secret": new["secret"]})
    assert outcome.stored and replaced.stored
    assert len(seen.samples) > 20  # every exchange request of connect, check, balances and replace was seen
    assert set(seen.samples) == {0}
    # ...and the probe can fail: a request made while a (read) transaction is open is seen holding a connection.
    with probe(harness, ExchangeId.BYBIT) as inside:
        async with harness.ctx.reading() as session:
            await session.execute(select(Connection.id))
            await harness.service().balances(connection_id)
    assert max(inside.samples) >= 1


async def _store(harness: Harness, exchange: ExchangeId, fields: dict[str, str], public_field: str) -> str:
    """Store a connection directly (fast), sealed by the real vault."""
    async with harness.ctx.transaction() as session:
        store = Store(session, harness.ctx.clock)
        owner = await store.owner_id("local")
        connection_id = str(uuid.uuid4())
        await store.connections.add(
            connection_id=connection_id,
            owner_id=owner,
            exchange=exchange.value,
            environment="sandbox",
            label=connection_id[:8],
            scope="futures",
            status="connected",
            key_fingerprint=harness.ctx.vault.fingerprint(exchange.value, fields[public_field]),
            masked_key="…" + fields[public_field][-4:],
            sealed=harness.ctx.vault.seal(fields, SealContext(owner, connection_id, exchange.value)),
            contract_type="usdt_m",
        )
    return connection_id


async def _seed(harness: Harness, count: int) -> list[str]:
    """``count`` healthy Bybit keys (each its own simulated account) stored as connections."""
    ids: list[str] = []
    for _ in range(count):
        preset = await harness.scenario(ExchangeId.BYBIT, "healthy")
        ids.append(await _store(harness, ExchangeId.BYBIT, preset["credentials"], "api_key"))
    return ids


async def test_check_all_of_50_isolates_the_unresolvable_and_the_undecryptable(harness: Harness) -> None:
    ids = await _seed(harness, 49)
    aster = await harness.scenario(ExchangeId.ASTER, "healthy")
    unresolvable = await _store(harness, ExchangeId.ASTER, aster["credentials"], "api_wallet")
    ids.append(unresolvable)
    # The operator's sandbox has no URL for aster any more: that connection cannot be resolved to an exchange.
    harness.ctx.settings.sandbox_urls.pop(ExchangeId.ASTER.value)
    undecryptable = ids[31]
    async with harness.ctx.transaction() as session:
        await session.execute(
            update(ConnectionSecret)
            .where(ConnectionSecret.connection_id == undecryptable)
            .values(wrapped_dek=os.urandom(60))
        )
    with count_statements(harness) as statements:
        batch = await harness.service().check_all()
    assert len(batch.results) == 48
    assert all(o.status is ConnectionStatus.CONNECTED for o in batch.results), batch.summary
    reported = {item.connection_id: item for item in batch.not_checked}
    assert set(reported) == {unresolvable, undecryptable}
    assert "no URL for aster" in reported[unresolvable].reason and reported[unresolvable].field == "environment"
    assert reported[undecryptable].reason
    assert batch.summary == "50 checked: 48 connected, 2 not checked"
    # constant statements per connection: 3 to load everything, then one short transaction per recorded check
    # measured: ~6 per connection on SQLite (BEGIN IMMEDIATE, SELECT, UPDATE, 3 INSERTs), ~5 on PostgreSQL
    assert len(statements) <= 10 + 7 * 50, len(statements)
    async with harness.ctx.reading() as session:
        runs = (await session.execute(select(VerificationRun.connection_id))).scalars().all()
    assert sorted(runs) == sorted(set(ids) - {unresolvable, undecryptable})


async def test_two_replaces_racing_on_one_connection_one_wins_the_other_is_told(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BYBIT, "healthy")
    outcome = await harness.connect(ExchangeId.BYBIT, preset["credentials"])
    connection_id = outcome.connection_id or ""
    control = harness.controls[ExchangeId.BYBIT]
    keys = [
        await control.create_key(preset["uid"], {"ContractTrade": ["Order", "Position"]}, ips=[preset["ips"][0]])
        for _ in range(2)
    ]
    await control.set_faults(latency_ms=100)  # both verify at once; both load the same version first
    results = await asyncio.gather(
        *(harness.service().replace(connection_id, {"api_key": k["api_key"], "secret": k["secret"]}) for k in keys),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], ConflictError), results
    winner = keys[results.index(won[0])]
    view = await harness.service().show(connection_id)
    assert view.masked_key == "…" + winner["api_key"][-4:]
    await control.set_faults()
    assert (await harness.service().check(connection_id)).status is ConnectionStatus.CONNECTED
    async with harness.ctx.reading() as session:
        actions = (
            (await session.execute(select(AuditEntry.action).where(AuditEntry.connection_id == connection_id)))
            .scalars()
            .all()
        )
    assert actions.count("replace") == 1 and "replace_refused" in actions


async def test_a_check_whose_key_is_replaced_meanwhile_verifies_the_new_key(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BYBIT, "healthy")
    outcome = await harness.connect(ExchangeId.BYBIT, preset["credentials"])
    connection_id = outcome.connection_id or ""
    control = harness.controls[ExchangeId.BYBIT]
    new = await control.create_key(preset["uid"], {"ContractTrade": ["Order", "Position"]}, ips=[preset["ips"][0]])
    await control.set_faults(latency_ms=150)
    check = asyncio.create_task(harness.service().check(connection_id))
    await asyncio.sleep(0.05)  # the check has loaded the old key and is talking to the exchange
    await control.set_faults()
    await harness.service().replace(connection_id, {"api_key": new["api_key"], "secret": new["secret"]})
    await control.delete_key(preset["credentials"]["api_key"])  # the old key is gone on the exchange
    checked = await check
    assert checked.status is ConnectionStatus.CONNECTED  # recorded about the key stored now, not the old one
    view = await harness.service().show(connection_id)
    assert view.status is ConnectionStatus.CONNECTED and view.masked_key == "…" + new["api_key"][-4:]


async def test_a_stale_version_changes_nothing(harness: Harness) -> None:
    ids = await _seed(harness, 1)
    async with harness.ctx.transaction() as session:
        repo = ConnectionRepository(session, harness.ctx.clock)
        owner = await Store(session, harness.ctx.clock).owner_id("local")
        assert await repo.update_if_version(owner, ids[0], 1, label="first")
        assert not await repo.update_if_version(owner, ids[0], 1, label="stale")
    view = await harness.service().show(ids[0])
    assert view.label == "first"
