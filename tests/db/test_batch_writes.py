"""The batch writers store exactly what the one-row writers store, on SQLite and PostgreSQL.

`VerificationRunRepository.add_many` and `AuditRepository.append_many` write through `support.insert_rows` (an
executemany INSERT; on PostgreSQL a COPY stream): the rows read back must equal those `add` and `append` write
(the ORM's INSERTs) — every column, JSON documents included, converted values and column defaults too."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.db.factories import add_connection, key_b64
from tradedock.clock import FrozenClock
from tradedock.db import AuditEntry, VerificationRun
from tradedock.db.repositories import AuditRepository, NewCheckResult, UserRepository, VerificationRunRepository
from tradedock.db.repositories.verification_runs import NewRun
from tradedock.domain import Permission
from tradedock.vault import Vault, parse_key_spec

_AT = datetime(2026, 12, 1, 15, 0, 0, 123456, tzinfo=UTC)

RESULTS = [
    NewCheckResult("credentials.format", "pass", "The key is well-formed.", (), MappingProxyType({"problems": []})),
    NewCheckResult(
        "permissions.required",
        "fail",
        'Tab\there, a \\backslash, a "quote", a new\nline and ≈ $1000 — ünïcödé.',
        ("Open the key's settings", 'Tick "Read"\tand save'),
        MappingProxyType(
            {
                "granted": (Permission.READ,),
                "native": {"ContractTrade": ["Order", "Position"], "Spot": []},
                "usd": Decimal("1000.50"),
                "checked_at": _AT,
                "ratio": 0.125,
                "big": 10**20,
                "none": None,
                "nested": [{"a": [1, "\\N", "\\."]}],
            }
        ),
    ),
    NewCheckResult("key.expiry", "warn", "", [], {}),
]


@pytest.fixture
def vault() -> Vault:
    v = Vault(parse_key_spec(f"k1:{key_b64()}"))
    v.new_fingerprint_key()
    return v


def _run_columns(run: VerificationRun) -> dict[str, Any]:
    return {
        "trigger": run.trigger,
        "status": run.status,
        "started_at": run.started_at,
        "duration_ms": run.duration_ms,
        "results": [
            (r.check_id, r.position, r.outcome, r.message, r.fix, r.evidence)
            for r in sorted(run.results, key=lambda r: r.position)
        ],
    }


async def test_runs(session: AsyncSession, vault: Vault) -> None:
    owner = (await UserRepository(session).get_or_create("alice")).id
    one, _ = await add_connection(session, vault, owner, label="one")
    many, _ = await add_connection(session, vault, owner, label="many")
    runs = VerificationRunRepository(session)
    await runs.add(
        connection_id=one.id,
        trigger="schedule",
        status="action_required",
        started_at=_AT,
        duration_ms=7,
        results=RESULTS,
    )
    ids = await runs.add_many([NewRun(many.id, "schedule", "action_required", _AT, 7, RESULTS)])
    await session.commit()
    session.expunge_all()
    by_one = await runs.latest(owner, one.id)
    by_many = await runs.latest(owner, many.id)
    assert by_one is not None and by_many is not None and by_many.id == ids[0]
    assert _run_columns(by_many) == _run_columns(by_one)
    stored = await _stored(session, "SELECT trigger, status, started_at, duration_ms FROM verification_runs")
    assert stored[one.id] == stored[many.id]  # on SQLite the stored text itself
    stored = await _stored(
        session,
        "SELECT check_id, position, outcome, message, fix, evidence FROM check_results"
        " JOIN verification_runs r ON r.id = run_id",
    )
    assert stored[one.id] == stored[many.id] and len(stored[one.id]) == len(RESULTS)
    assert by_many.results[1].evidence["usd"] == "1000.50" and by_many.results[1].evidence["granted"] == ["read"]


async def _stored(session: AsyncSession, select_from: str) -> dict[str, list[tuple[Any, ...]]]:
    """Raw stored values (no column types) by connection id, in a stable order."""
    columns, _, rest = select_from.removeprefix("SELECT ").partition(" FROM ")
    query = f"SELECT connection_id, {columns}, CAST({columns.split(', ')[0]} AS TEXT) FROM {rest}"
    out: dict[str, list[tuple[Any, ...]]] = {}
    for row in (await session.execute(text(query + " ORDER BY 1, 2"))).all():
        out.setdefault(row[0], []).append(tuple(row[1:]))
    return out


async def test_audit(session: AsyncSession) -> None:
    clock = FrozenClock(_AT)
    audit = AuditRepository(session, clock)
    detail = {"status": "connected", "why": "ünïcödé \\N\t\n", "at": _AT, "n": [Decimal("2.50"), None, True]}
    await audit.append(owner_id="alice", action="schedule", connection_id="c-one", detail=detail)
    await audit.append_many([("alice", "c-many", "schedule", detail), ("alice", None, "check", {})])
    await session.commit()
    session.expunge_all()
    entries = {e.connection_id: e for e in await audit.list_for_owner("alice")}

    def columns(entry: AuditEntry) -> tuple[Any, ...]:
        return entry.at, entry.owner_id, entry.action, entry.detail

    assert columns(entries["c-many"]) == columns(entries["c-one"])
    stored = await _stored(session, "SELECT at, owner_id, action, detail FROM audit_log")
    assert stored["c-many"] == stored["c-one"]
    assert columns(entries[None]) == (_AT, "alice", "check", {})
    assert len({e.id for e in entries.values()}) == 3  # the id column's default applies to bulk rows too
