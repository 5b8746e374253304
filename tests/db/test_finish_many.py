"""`MonitorRepository.finish_many` (an executemany UPDATE on SQLite, one UPDATE over ``unnest`` arrays on PostgreSQL)
writes each row's columns and releases its lease only while the worker holds it, and counts what it wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.db.factories import add_connection, key_b64
from tradedock.db.repositories import UserRepository
from tradedock.db.repositories.monitor import MonitorRepository
from tradedock.vault import Vault, parse_key_spec

_NOW = datetime(2026, 12, 1, 15, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def vault() -> Vault:
    v = Vault(parse_key_spec(f"k1:{key_b64()}"))
    v.new_fingerprint_key()
    return v


async def test_finish_many_writes_only_held_leases(session: AsyncSession, vault: Vault) -> None:
    owner = (await UserRepository(session).get_or_create("alice")).id
    ids = sorted([(await add_connection(session, vault, owner, label=f"c{i}"))[0].id for i in range(3)])
    monitor = MonitorRepository(session)
    await monitor.schedule([(cid, _NOW) for cid in ids])
    until = _NOW + timedelta(minutes=5)
    assert await monitor.claim_these(ids[:2], "w1", _NOW, until) == ids[:2]
    assert await monitor.claim_these(ids[2:], "w2", _NOW, until) == ids[2:]
    expiry = _NOW + timedelta(days=3)
    rows = [
        {
            "connection_id": ids[0],
            "failures": 2,
            "next_check_at": _NOW + timedelta(seconds=90),
            "last_error": 'Tab\there, "quote", \\N and ünïcödé',
            "expiry_notified": 7,
            "expiry_for": expiry,
        },
        {
            "connection_id": ids[1],
            "failures": 0,
            "next_check_at": _NOW + timedelta(hours=1),
            "last_error": None,
            "expiry_notified": None,
            "expiry_for": None,
        },
        {
            "connection_id": ids[2],
            "failures": 5,
            "next_check_at": _NOW,
            "last_error": "not ours",
            "expiry_notified": 1,
            "expiry_for": expiry,
        },
    ]

    assert await monitor.finish_many("w1", rows) == 2

    session.expire_all()
    for row in rows[:2]:
        lease = await monitor.lease(row["connection_id"])
        assert lease is not None
        assert (lease.lease_owner, lease.lease_expires_at) == (None, None)
        assert {name: getattr(lease, name) for name in row} == row
    other = await monitor.lease(ids[2])
    assert other is not None
    assert (other.lease_owner, other.lease_expires_at, other.failures, other.last_error) == ("w2", until, 0, None)


async def test_finish_many_refuses_a_naive_time(session: AsyncSession) -> None:
    row = {
        "connection_id": "x",
        "failures": 0,
        "next_check_at": datetime(2026, 12, 1, 15),
        "last_error": None,
        "expiry_notified": None,
        "expiry_for": None,
    }
    with pytest.raises(Exception, match="naive datetime"):
        await MonitorRepository(session).finish_many("w1", [row])


async def test_schedule_adds_rows_and_leaves_existing_ones_alone(session: AsyncSession, vault: Vault) -> None:
    """`schedule` (an executemany on SQLite, one INSERT over ``unnest`` arrays on PostgreSQL) counts the rows it
    added; a connection scheduled meanwhile keeps its row (ON CONFLICT DO NOTHING)."""
    owner = (await UserRepository(session).get_or_create("alice")).id
    ids = sorted([(await add_connection(session, vault, owner, label=f"c{i}"))[0].id for i in range(3)])
    monitor = MonitorRepository(session)
    assert await monitor.schedule([(ids[0], _NOW)]) == 1
    later = _NOW + timedelta(hours=1, microseconds=7)
    assert await monitor.schedule([(cid, later) for cid in ids]) == 2
    assert await monitor.schedule([]) == 0

    session.expire_all()
    for cid, due in zip(ids, (_NOW, later, later), strict=True):
        lease = await monitor.lease(cid)
        assert lease is not None
        assert (lease.next_check_at, lease.failures, lease.lease_owner, lease.last_error) == (due, 0, None, None)
    assert await monitor.unscheduled(10) == []
    with pytest.raises(Exception, match="naive datetime"):
        await monitor.schedule([("x", datetime(2026, 12, 1, 15))])


async def test_schedule_never_checked_adds_only_unscheduled_never_checked_connections(
    session: AsyncSession, vault: Vault
) -> None:
    owner = (await UserRepository(session).get_or_create("alice")).id
    connections = [(await add_connection(session, vault, owner, label=f"c{i}"))[0] for i in range(4)]
    checked, scheduled, *never = [c.id for c in connections]
    connections[0].last_checked_at = _NOW - timedelta(minutes=5)
    await session.flush()
    monitor = MonitorRepository(session)
    await monitor.schedule([(scheduled, _NOW + timedelta(hours=2))])

    assert await monitor.schedule_never_checked(_NOW, 1) == (1, True)  # up to the limit, lowest id first
    assert await monitor.schedule_never_checked(_NOW, 10) == (1, True)
    assert await monitor.schedule_never_checked(_NOW, 10) == (0, False)

    session.expire_all()
    for cid in never:
        lease = await monitor.lease(cid)
        assert lease is not None and (lease.next_check_at, lease.failures) == (_NOW, 0)
    later = await monitor.lease(scheduled)
    assert later is not None and later.next_check_at == _NOW + timedelta(hours=2)
    assert [cid for cid, _ in await monitor.unscheduled(10)] == [checked]  # left to the jittered schedule
