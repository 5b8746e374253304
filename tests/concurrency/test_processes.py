"""Real processes at once against one home: all start, none crashes, no key is connected twice, nothing is
half-written. On SQLite and on a fresh PostgreSQL database; the simulator runs in its own process."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tradedock.db import make_engine
from tradedock.db.models import AuditEntry, Connection, ConnectionSecret, ConnectionSecretField, VerificationRun

from .conftest import Home, Ran, sim_post

pytestmark = pytest.mark.slow

CRASH_MARKERS = ("Traceback", "database is locked", "UniqueViolation", "IntegrityError", "OperationalError")


def assert_clean(ran: Ran) -> None:
    for marker in CRASH_MARKERS:
        assert marker not in ran.stderr and marker not in ran.stdout, (ran.args, ran.code, ran.stderr[-2000:])


async def test_eight_processes_start_at_once_on_a_fresh_database(fresh_home: Home) -> None:
    started = await fresh_home.at_once(*((("list", "--json"), None) for _ in range(8)))
    for ran in started:
        assert_clean(ran)
        assert ran.code == 0, (ran.code, ran.stderr[-2000:])
        assert ran.json() == []
    again = await fresh_home.run("db", "upgrade", "--json")
    assert again.code == 0 and again.json() == {"upgraded": False, "up_to_date": True}


def _healthy_key(sim: str) -> dict[str, str]:
    credentials: dict[str, str] = sim_post(sim, "/_sim/scenarios/healthy", {})["credentials"]
    return credentials


def _connect(credentials: dict[str, str]) -> tuple[tuple[str, ...], str]:
    args = ("connect", "bybit", "--environment", "sandbox", "--credentials", "-", "--json")
    return args, json.dumps(credentials)


async def test_connects_checks_and_lists_at_once_never_crash_or_half_write(
    fresh_home: Home, sim_urls: dict[str, str]
) -> None:
    sim = sim_urls["bybit"]
    for _ in range(2):  # connections for `check --all` to work on
        first = await fresh_home.run(*_connect(_healthy_key(sim))[0], stdin=_connect(_healthy_key(sim))[1])
        assert first.code == 0, first.stderr[-2000:]
    a, b, twice = _healthy_key(sim), _healthy_key(sim), _healthy_key(sim)
    sim_post(sim, "/_sim/faults", {"latency_ms": 60})
    try:
        ran = await fresh_home.at_once(
            _connect(a),
            _connect(b),
            _connect(twice),
            _connect(twice),
            (("check", "--all", "--json"), None),
            (("check", "--all", "--json"), None),
            (("list", "--json"), None),
            (("list", "--json"), None),
            (("list", "--json"), None),
        )
    finally:
        sim_post(sim, "/_sim/faults", {})
    for result in ran:
        assert_clean(result)
    connects, checks, lists = ran[:4], ran[4:6], ran[6:]
    assert [r.code for r in connects[:2]] == [0, 0], [r.stderr[-1000:] for r in connects[:2]]
    dup_codes = sorted(r.code for r in connects[2:])
    assert dup_codes == [0, 2], [(r.code, r.stdout[-500:], r.stderr[-500:]) for r in connects[2:]]
    refused = next(r for r in connects[2:] if r.code == 2)
    assert refused.json()["error"]["type"] == "AlreadyConnectedError"
    for check in checks:
        assert check.code == 0, (check.stdout[-1500:], check.stderr[-1500:])
        batch = check.json()
        assert batch["not_checked"] == [] and len(batch["results"]) >= 2
    for listed in lists:
        assert listed.code == 0, listed.stderr[-1000:]
        assert len(listed.json()) >= 2

    final = await fresh_home.run("list", "--json")
    rows = final.json()
    assert len(rows) == 5  # 2 before + a + b + exactly one of the duplicated key
    assert sum(1 for row in rows if row["masked_key"].endswith(twice["api_key"][-4:])) == 1

    checked = sum(len(c.json()["results"]) for c in checks)
    engine = make_engine(fresh_home.database_url)
    try:
        async with engine.connect() as db:
            runs = dict(
                (
                    await db.execute(select(VerificationRun.trigger, func.count()).group_by(VerificationRun.trigger))
                ).all()
            )
            assert runs.get("check", 0) == checked  # every check recorded
            assert runs.get("connect", 0) == 5
            ids = set((await db.execute(select(Connection.id))).scalars())
            with_secrets = set((await db.execute(select(ConnectionSecret.connection_id))).scalars())
            fields = dict(
                (
                    await db.execute(
                        select(ConnectionSecretField.connection_id, func.count()).group_by(
                            ConnectionSecretField.connection_id
                        )
                    )
                ).all()
            )
            audited = set(
                (await db.execute(select(AuditEntry.connection_id).where(AuditEntry.action == "connect"))).scalars()
            )
            refusals = (
                await db.execute(select(func.count()).where(AuditEntry.action == "connect_refused"))
            ).scalar_one()
    finally:
        await engine.dispose()
    assert with_secrets == ids and all(fields.get(i) == 2 for i in ids)  # nothing half-written
    assert audited == ids and refusals == 1
