"""`ConnectionRepository.apply_many` (an executemany UPDATE per set of fact names) writes exactly what
`update_if_version` writes, row by row, and only rows still at their expected version and owner; it counts what it
wrote. (An UPDATE over ``unnest`` arrays on PostgreSQL, as `finish_many` does, was tried and cost the worker more
CPU: psycopg dumps the arrays as text, escaping every element; this test is what such a change must pass.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.db.factories import add_connection, key_b64
from tradedock.clock import FrozenClock
from tradedock.db.repositories import ConnectionRepository, UserRepository
from tradedock.db.repositories.connections import UPDATABLE_FACTS, FactsUpdate
from tradedock.vault import Vault, parse_key_spec

_NOW = datetime(2026, 12, 1, 15, 0, 0, 123456, tzinfo=UTC)

#: Fact sets as a monitor check writes them (two groups), and with every nullable fact set to None.
_FACTS: list[dict[str, Any]] = [
    {
        "status": "connected",
        "last_checked_at": _NOW,
        "account_uid": "uid-1",
        "account_mode": "unified",
        "position_mode": "hedge",
        "margin_mode": "cross",
        "key_expires_at": _NOW + timedelta(days=3),
        "last_balance_usd": Decimal("1234.500000000000000001"),
        "balances_json": {"USDT": {"free": "1.5", "notes": [1, None, 'Tab\there, "quote", \\N, ünïcödé']}},
    },
    {"status": "unreachable", "last_checked_at": _NOW - timedelta(microseconds=1)},
    {
        "status": "connected",
        "last_checked_at": _NOW,
        "account_uid": None,
        "account_mode": None,
        "position_mode": None,
        "margin_mode": None,
        "key_expires_at": None,
        "last_balance_usd": None,
        "balances_json": None,
    },
    {"status": "connected", "last_checked_at": _NOW, "balances_json": {}},
]


@pytest.fixture
def vault() -> Vault:
    v = Vault(parse_key_spec(f"k1:{key_b64()}"))
    v.new_fingerprint_key()
    return v


async def _row(session: AsyncSession, connection_id: str) -> dict[str, Any]:
    """The stored facts as the database holds them (JSON as text, so JSON null and SQL NULL differ)."""
    columns = ", ".join(sorted(UPDATABLE_FACTS - {"balances_json", "label"}))  # (the labels differ: b0, a0, …)
    result = await session.execute(
        text(
            f"SELECT {columns}, version, updated_at, balances_json IS NULL AS json_is_null,"
            " CAST(balances_json AS TEXT) AS json_text FROM connections WHERE id = :id"
        ),
        {"id": connection_id},
    )
    row = dict(result.mappings().one())
    if isinstance(row["updated_at"], str):  # SQLite: as the ORM reads it back
        row["updated_at"] = datetime.fromisoformat(row["updated_at"])
    return row


async def test_apply_many_writes_what_update_if_version_writes(session: AsyncSession, vault: Vault) -> None:
    owner = (await UserRepository(session).get_or_create("alice")).id
    clock = FrozenClock(_NOW)
    repo = ConnectionRepository(session, clock)
    batch = [(await add_connection(session, vault, owner, label=f"b{i}"))[0] for i in range(len(_FACTS) + 2)]
    alone = [(await add_connection(session, vault, owner, label=f"a{i}"))[0] for i in range(len(_FACTS))]
    stale, foreign = batch[-2:]
    versions = {c.id: c.version for c in [*batch, *alone]}
    updates = [FactsUpdate(c.id, owner, versions[c.id], facts) for c, facts in zip(batch, _FACTS, strict=False)]
    updates.append(FactsUpdate(stale.id, owner, versions[stale.id] - 1, _FACTS[1]))  # another writer moved it
    updates.append(FactsUpdate(foreign.id, "someone-else", versions[foreign.id], _FACTS[1]))

    assert await repo.apply_many(updates) == len(_FACTS)
    for connection, facts in zip(alone, _FACTS, strict=True):
        assert await repo.update_if_version(owner, connection.id, versions[connection.id], **facts)
    await session.flush()

    for written, reference in zip(batch, alone, strict=False):
        assert await _row(session, written.id) == await _row(session, reference.id)
    for untouched in (stale, foreign):
        row = await _row(session, untouched.id)
        assert (row["version"], row["status"]) == (versions[untouched.id], "connected")
    assert await repo.apply_many([]) == 0


async def test_apply_many_refuses_a_naive_time(session: AsyncSession, vault: Vault) -> None:
    owner = (await UserRepository(session).get_or_create("alice")).id
    connection, _ = await add_connection(session, vault, owner)
    naive = FactsUpdate(connection.id, owner, connection.version, {"last_checked_at": datetime(2026, 12, 1, 15)})
    with pytest.raises(Exception, match="naive datetime"):
        await ConnectionRepository(session).apply_many([naive])
