"""The batch record against real racing processes, on SQLite and PostgreSQL: two monitor worker processes
(`tests.monitor.batch_worker`, driven phase by phase) and the simulator in its own process.

- A worker whose lease expired on part of its batch while it was verifying (another worker claimed, checked and
  recorded those connections meanwhile) records only the rows it still holds: the others fail the fence and are
  skipped and counted, never written twice, and the rest of its batch commits.
- A writer racing the record (the key replaced, or another check recorded, between a worker's load and its
  record): the replaced key's report is not recorded and the connection is due again at once; the other row is
  recorded at its current version, with the status change measured against what that writer stored.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.monitor.conftest import schedule_runs, seed_bulk
from tradedock.config import load_settings
from tradedock.db.models import Connection, Event, MonitorLease
from tradedock.services.context import AppContext, open_app
from tradedock.services.monitor import MonitorService

pytestmark = pytest.mark.slow

HEALTHY = {"connected", "connected_with_warnings"}


class Driven:
    """One `tests.monitor.batch_worker` process."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def ask(self, **command: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write((json.dumps(command) + "\n").encode())
        await self.proc.stdin.drain()
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        assert line, (await self.proc.stderr.read()).decode()[-3000:] if self.proc.stderr else "worker died"
        return dict(json.loads(line))


@pytest.fixture
async def race(
    tmp_path: Path, monitor_db: str | None, sim_process: dict[str, str]
) -> AsyncIterator[tuple[AppContext, dict[str, str]]]:
    home = tmp_path / "home"
    settings = load_settings(
        home=home, database_url=monitor_db, master_key=None, master_key_file=None, sandbox_urls=sim_process,
        egress_ips=("127.0.0.1",),
    )  # fmt: skip
    ctx = await open_app(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEDOCK_")}
    env.update(
        TRADEDOCK_HOME=str(home),
        TRADEDOCK_SANDBOX_URLS=json.dumps(sim_process),
        TRADEDOCK_EGRESS_IPS="127.0.0.1",
        TRADEDOCK_MONITOR_BATCH="4",
    )
    if monitor_db:
        env["TRADEDOCK_DATABASE_URL"] = monitor_db
    try:
        yield ctx, env
    finally:
        await ctx.aclose()


async def _start(name: str, env: dict[str, str]) -> Driven:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.monitor.batch_worker", name,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    assert line, (await proc.stderr.read()).decode()[-3000:] if proc.stderr else "worker died"
    return Driven(proc)


async def _stop(workers: list[Driven]) -> None:
    for worker in workers:
        if worker.proc.returncode is None:
            assert worker.proc.stdin is not None
            worker.proc.stdin.write(b'{"op": "quit"}\n')
            await worker.proc.stdin.drain()
    for worker in workers:
        await asyncio.wait_for(worker.proc.wait(), 30)


async def _leases(ctx: AppContext) -> dict[str, MonitorLease]:
    async with ctx.reading() as session:
        return {row.connection_id: row for row in (await session.execute(select(MonitorLease))).scalars()}


async def _versions(ctx: AppContext) -> dict[str, int]:
    async with ctx.reading() as session:
        return {cid: int(v) for cid, v in (await session.execute(select(Connection.id, Connection.version))).all()}


async def test_a_worker_whose_lease_expired_records_only_the_rows_it_still_holds(
    race: tuple[AppContext, dict[str, str]], sim_process: dict[str, str]
) -> None:
    ctx, env = race
    ids, _ = await seed_bulk(ctx, sim_process, {"bybit": 4})
    service = MonitorService(ctx)
    await service.schedule_new()
    await service.aclose()
    workers: list[Driven] = []
    try:
        a = await _start("worker-a", env)
        workers.append(a)
        claimed = (await a.ask(op="claim"))["ids"]
        assert claimed == sorted(ids)
        assert (await a.ask(op="verify", ids=claimed))["verified"] == 4

        # While A verifies, its lease on two of them runs out and B claims, checks and records those two.
        taken, kept = claimed[:2], claimed[2:]
        async with ctx.transaction() as session:
            await session.execute(
                update(MonitorLease)
                .where(MonitorLease.connection_id.in_(taken))
                .values(lease_expires_at=ctx.clock.now() - timedelta(seconds=1))
            )
        b = await _start("worker-b", env)
        workers.append(b)
        assert (await b.ask(op="claim"))["ids"] == taken
        await b.ask(op="verify", ids=taken)
        by_b = (await b.ask(op="record"))["outcomes"]
        assert set(by_b) == set(taken) and set(by_b.values()) <= HEALTHY

        # A comes back: the two it lost fail the fence and are skipped; the two it still holds commit.
        by_a = (await a.ask(op="record"))["outcomes"]
        assert {cid: by_a[cid] for cid in taken} == dict.fromkeys(taken)
        assert set(by_a) == set(claimed) and {by_a[cid] for cid in kept} <= HEALTHY
    finally:
        await _stop(workers)
    assert await schedule_runs(ctx) == dict.fromkeys(ids, 1)  # each recorded once, by whoever held its lease
    assert await _versions(ctx) == dict.fromkeys(ids, 2)  # one write each on top of the seeded row
    leases = await _leases(ctx)
    now = ctx.clock.now()
    assert all(lease.lease_owner is None for lease in leases.values())
    assert all(lease.next_check_at > now + timedelta(minutes=30) for lease in leases.values())


async def test_a_writer_racing_the_record_is_never_overwritten(
    race: tuple[AppContext, dict[str, str]], sim_process: dict[str, str]
) -> None:
    ctx, env = race
    ids, _ = await seed_bulk(ctx, sim_process, {"bybit": 3})
    service = MonitorService(ctx)
    await service.schedule_new()
    await service.aclose()
    replaced, rechecked, plain = sorted(ids)
    workers: list[Driven] = []
    try:
        a = await _start("worker-a", env)
        workers.append(a)
        claimed = (await a.ask(op="claim"))["ids"]
        assert claimed == sorted(ids)
        await a.ask(op="verify", ids=claimed)
        # Between A's load and its record: one key is replaced, and another check records 'action_required'.
        async with ctx.transaction() as session:
            await session.execute(
                update(Connection)
                .where(Connection.id == replaced)
                .values(key_fingerprint="f" * 64, version=Connection.version + 1)
            )
            await session.execute(
                update(Connection)
                .where(Connection.id == rechecked)
                .values(status="action_required", version=Connection.version + 1)
            )
        outcomes = (await a.ask(op="record"))["outcomes"]
    finally:
        await _stop(workers)
    assert outcomes[replaced] is None  # a report about a key that is gone is not recorded …
    assert outcomes[rechecked] in HEALTHY and outcomes[plain] in HEALTHY
    assert await schedule_runs(ctx) == {rechecked: 1, plain: 1}
    versions = await _versions(ctx)
    assert versions == {replaced: 2, rechecked: 3, plain: 2}  # recorded on top of the racing write, not over it
    leases = await _leases(ctx)
    now = ctx.clock.now()
    assert leases[replaced].lease_owner is None and leases[replaced].next_check_at <= now  # … it is due again now
    async with ctx.reading() as session:
        changes = (await session.execute(select(Event).where(Event.type == "connection.status_changed"))).scalars()
        moves = {(e.connection_id, e.data["from"]) for e in changes}
    assert moves == {(rechecked, "action_required")}  # measured against what the racing writer stored
