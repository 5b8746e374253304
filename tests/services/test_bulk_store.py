"""Bulk storing (`services.bulk_store.store_many` over `ConnectionRepository.add_many`), on SQLite and PostgreSQL:
keys already connected or repeated inside a batch are refused without losing the others, everything stored opens
through the vault's whole-set integrity check, bad input stores nothing, and a key stored by a concurrent writer
between the batch's duplicate check and its insert (PostgreSQL: a real second connection) is refused alone."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from tradedock.db.models import AuditEntry, Connection
from tradedock.db.repositories import ConnectionRepository
from tradedock.domain import ExchangeId
from tradedock.errors import InvalidInputError
from tradedock.exchanges.registry import get_spec
from tradedock.services.bulk_store import KeyToStore, store_many
from tradedock.vault import SealContext

from .conftest import Harness


def bitget(i: int) -> KeyToStore:
    fields = {
        "api_key": f"bg_{i:08d}_{os.urandom(6).hex()}",
        "secret": os.urandom(24).hex(),
        "passphrase": f"pp{i:06d}",
    }
    return KeyToStore(ExchangeId.BITGET, "sandbox", f"bitget {i}", "futures", fields, contract_type="usdt_m")


def bybit(i: int) -> KeyToStore:
    fields = {"api_key": f"BY{i:06d}{os.urandom(5).hex()}", "secret": os.urandom(18).hex()}
    return KeyToStore(ExchangeId.BYBIT, "sandbox", f"bybit {i}", "futures", fields, contract_type="usdt_m")


async def opened(harness: Harness, connection_id: str) -> dict[str, str]:
    """Open a stored connection's secrets as the services do (whole set, fingerprint bound to the row)."""
    async with harness.ctx.reading() as session:
        row = (await session.execute(select(Connection).where(Connection.id == connection_id))).scalar_one()
        sealed = await ConnectionRepository(session).get_sealed(row.owner_id, row.id)
    spec = get_spec(ExchangeId(row.exchange))
    return harness.ctx.vault.open_connection(
        sealed,
        SealContext(row.owner_id, row.id, row.exchange),
        required=spec.field_names,
        public_field=spec.public_id_field,
        fingerprint=row.key_fingerprint,
    )


async def test_duplicates_are_refused_and_the_others_stored(harness: Harness) -> None:
    first = await store_many(harness.ctx, "local", [bitget(0), bybit(1)])
    assert first.refused == [] and first.stored == 2
    already = first.connection_ids[0]
    assert already is not None
    again_stored = (await opened(harness, already))["api_key"]

    keys = [bitget(i) for i in range(2, 9)] + [bybit(i) for i in range(9, 12)]
    repeated = KeyToStore(ExchangeId.BITGET, "sandbox", "copy", "futures", dict(keys[1].fields), "usdt_m")
    known = KeyToStore(ExchangeId.BITGET, "sandbox", "known", "futures", {**bitget(0).fields, "api_key": again_stored})
    keys[4:4] = [repeated]  # position 4 repeats position 1, inside one batch
    keys.append(known)  # position 11: stored by the first call
    result = await store_many(harness.ctx, "local", keys, batch_size=4)

    assert result.refused == [4, 11]
    assert [cid is None for cid in result.connection_ids] == [i in (4, 11) for i in range(len(keys))]
    for key, cid in zip(keys, result.connection_ids, strict=True):
        if cid is not None:
            assert await opened(harness, cid) == dict(key.fields)
    listed = await harness.service().list()
    assert len(listed) == 2 + 10
    assert {view.label for view in listed} >= {"bitget 2", "bybit 11"}
    async with harness.ctx.reading() as session:
        audits = (await session.execute(select(AuditEntry).where(AuditEntry.action == "bulk_store"))).scalars()
        details = [entry.detail for entry in audits]
    assert sum(d["stored"] for d in details) == 12 and sum(d["refused"] for d in details) == 2


async def test_bad_input_stores_nothing(harness: Harness) -> None:
    bad = bitget(2)
    keys = [bitget(1), KeyToStore(bad.exchange, "sandbox", "x", "futures", {**bad.fields, "secret": "é" * 10})]
    with pytest.raises(InvalidInputError) as caught:
        await store_many(harness.ctx, "local", keys)
    assert caught.value.field == "secret"
    async with harness.ctx.reading() as session:
        assert (await session.execute(select(func.count()).select_from(Connection))).scalar_one() == 0


def _psycopg_conninfo(url: str) -> dict[str, Any]:
    parsed = make_url(url)
    return {
        "host": parsed.host,
        "port": parsed.port or 5432,
        "user": parsed.username,
        "password": parsed.password or "",
        "dbname": parsed.database,
        "options": parsed.query.get("options", ""),
    }


async def test_a_key_stored_concurrently_is_refused_alone(harness: Harness, database_url: str | None) -> None:
    """Another writer commits one of the batch's keys after the duplicate check, right before the INSERT."""
    if database_url is None:
        pytest.skip("SQLite: the batch's transaction holds the write lock from the check on (BEGIN IMMEDIATE)")
    keys = [bitget(i) for i in range(6)]
    await store_many(harness.ctx, "local", [bitget(99)])  # creates the owner
    async with harness.ctx.reading() as session:
        owner_id = (await session.execute(select(Connection.owner_id))).scalar_one()
    stolen = harness.ctx.vault.fingerprint("bitget", keys[3].fields["api_key"])
    fired: list[bool] = []

    def racing_writer(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if fired or not statement.lstrip().upper().startswith("INSERT INTO CONNECTIONS"):
            return
        fired.append(True)
        now = datetime.now(UTC)
        with psycopg.connect(**_psycopg_conninfo(database_url), autocommit=True) as other:
            other.execute(
                "INSERT INTO connections (id, owner_id, exchange, environment, label, scope, status, key_fingerprint,"
                " masked_key, created_at, updated_at, version) VALUES (%s, %s, 'bitget', 'sandbox', 'racer',"
                " 'futures', 'connected', %s, '…race', %s, %s, 1)",
                (str(uuid.uuid4()), owner_id, stolen, now, now),
            )

    event.listen(harness.ctx.engine.sync_engine, "before_cursor_execute", racing_writer)
    try:
        result = await store_many(harness.ctx, "local", keys)
    finally:
        event.remove(harness.ctx.engine.sync_engine, "before_cursor_execute", racing_writer)
    assert fired
    assert result.refused == [3]
    for key, cid in zip(keys, result.connection_ids, strict=True):
        if cid is not None:
            assert await opened(harness, cid) == dict(key.fields)
    async with harness.ctx.reading() as session:
        assert (await session.execute(select(func.count()).select_from(Connection))).scalar_one() == 1 + 1 + 5
