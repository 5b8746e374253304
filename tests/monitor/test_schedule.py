"""The schedule with a frozen clock: interval and jitter, backoff after failures, leases, expiry warnings."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, text

from tests.monitor.conftest import monitor_runs, seed_healthy, store_connection
from tests.services.conftest import Harness
from tradedock.clock import FrozenClock
from tradedock.db.models import Connection, Event, MonitorLease, MonitorWorker, VerificationRun
from tradedock.domain import ExchangeId
from tradedock.services.monitor import (
    MonitorPolicy,
    MonitorService,
    expiry_level,
    next_after_failure,
    next_regular,
)

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
POLICY = MonitorPolicy(
    interval=timedelta(hours=1), jitter=0.1, backoff_base=timedelta(minutes=1), lease=timedelta(minutes=5), batch=8
)


def test_regular_checks_are_an_hour_apart_give_or_take_ten_percent() -> None:
    rng = random.Random(7)
    delays = [(next_regular(T0, POLICY, rng) - T0).total_seconds() for _ in range(2000)]
    assert all(3240 <= d <= 3960 for d in delays)
    assert min(delays) < 3300 and max(delays) > 3900  # the jitter spreads over the whole band
    assert len({round(d) for d in delays}) > 500  # not a handful of fixed slots


def test_backoff_doubles_after_each_failure_and_never_exceeds_the_interval() -> None:
    rng = random.Random(3)
    for failures in range(1, 12):
        full = min(60 * 2 ** (failures - 1), 3600)
        delays = [(next_after_failure(T0, failures, POLICY, rng) - T0).total_seconds() for _ in range(200)]
        assert all(full / 2 <= d <= full for d in delays), failures
        assert max(delays) - min(delays) > full / 10  # jittered
    assert (next_after_failure(T0, 1, POLICY, rng) - T0) < timedelta(minutes=1, seconds=1)


def test_expiry_thresholds() -> None:
    assert expiry_level(T0, None) is None
    assert expiry_level(T0, T0 + timedelta(days=15)) is None
    assert expiry_level(T0, T0 + timedelta(days=14)) == 14
    assert expiry_level(T0, T0 + timedelta(days=8)) == 14
    assert expiry_level(T0, T0 + timedelta(days=6, hours=23)) == 7
    assert expiry_level(T0, T0 + timedelta(hours=23)) == 1
    assert expiry_level(T0, T0) == 0
    assert expiry_level(T0, T0 - timedelta(days=3)) == 0


async def _lease(harness: Harness, connection_id: str) -> MonitorLease:
    async with harness.ctx.reading() as session:
        row = await session.get(MonitorLease, connection_id)
        assert row is not None
        return row


async def test_checked_when_due_then_an_interval_later_and_sooner_after_failures(mharness: Harness) -> None:
    clock = FrozenClock(T0)
    monitor = MonitorService(mharness.ctx, worker_id="w1", policy=POLICY, clock=clock, rng=random.Random(1))
    [cid] = await seed_healthy(mharness, 1)

    first = await monitor.run_round()  # never checked: due at once
    assert first.checked == 1 and first.statuses == {"connected": 1}
    lease = await _lease(mharness, cid)
    assert timedelta(minutes=54) <= lease.next_check_at - T0 <= timedelta(minutes=66)
    assert lease.lease_owner is None and lease.failures == 0

    clock.advance(minutes=50)
    assert (await monitor.run_round()).checked == 0  # not due yet
    clock.set(lease.next_check_at)
    assert (await monitor.run_round()).checked == 1
    assert await monitor_runs(mharness) == {cid: 2}

    # The exchange fails every request: unreachable, retried after 30-60 s, then 60-120 s (never invalid). The
    # first failure is not yet the connection's status (a blip?); the retry confirms it.
    await mharness.controls[ExchangeId.BYBIT].set_faults(error="http_503_html")
    clock.set((await _lease(mharness, cid)).next_check_at)
    failed_at = clock.now()
    assert (await monitor.run_round()).statuses == {"unreachable": 1}
    assert await _status(mharness, cid) == "connected"
    lease = await _lease(mharness, cid)
    assert lease.failures == 1 and timedelta(seconds=30) <= lease.next_check_at - failed_at <= timedelta(seconds=60)
    clock.set(lease.next_check_at)
    failed_at = clock.now()
    await monitor.run_round()
    assert await _status(mharness, cid) == "unreachable"
    lease = await _lease(mharness, cid)
    assert lease.failures == 2 and timedelta(seconds=60) <= lease.next_check_at - failed_at <= timedelta(seconds=120)

    await mharness.controls[ExchangeId.BYBIT].set_faults()
    clock.set(lease.next_check_at)
    assert (await monitor.run_round()).statuses == {"connected": 1}
    assert (await _lease(mharness, cid)).failures == 0
    async with mharness.ctx.reading() as session:
        changes = (await session.execute(select(Event).where(Event.type == "connection.status_changed"))).scalars()
        assert [(e.data["from"], e.data["to"]) for e in sorted(changes, key=lambda e: e.created_at)] == [
            ("connected", "unreachable"),
            ("unreachable", "connected"),
        ]


async def test_a_blip_is_one_unreachable_run_in_the_history_and_no_status_change(mharness: Harness) -> None:
    clock = FrozenClock(T0)
    monitor = MonitorService(mharness.ctx, worker_id="w1", policy=POLICY, clock=clock, rng=random.Random(2))
    [cid] = await seed_healthy(mharness, 1)
    assert (await monitor.run_round()).statuses == {"connected": 1}
    await mharness.controls[ExchangeId.BYBIT].set_faults(error="http_503_html")
    clock.set((await _lease(mharness, cid)).next_check_at)
    assert (await monitor.run_round()).statuses == {"unreachable": 1}
    async with mharness.ctx.reading() as session:
        row = await session.get(Connection, cid)
        assert row is not None and (row.status, row.last_checked_at) == ("connected", T0)  # as last found
    await mharness.controls[ExchangeId.BYBIT].set_faults()  # back before the retry
    clock.set((await _lease(mharness, cid)).next_check_at)
    assert (await monitor.run_round()).statuses == {"connected": 1}
    async with mharness.ctx.reading() as session:
        runs = (await session.execute(select(VerificationRun).order_by(VerificationRun.started_at))).scalars().all()
        changes = (await session.execute(select(Event).where(Event.type == "connection.status_changed"))).all()
    assert [run.status for run in runs] == ["connected", "unreachable", "connected"]
    assert changes == []  # no webhook, no dashboard banner for a blip
    assert await _status(mharness, cid) == "connected" and (await _lease(mharness, cid)).failures == 0


async def test_a_re_check_this_server_held_back_is_not_recorded_and_is_due_again_shortly(mharness: Harness) -> None:
    clock = FrozenClock(T0)
    monitor = MonitorService(mharness.ctx, worker_id="w1", policy=POLICY, clock=clock, rng=random.Random(4))
    [cid] = await seed_healthy(mharness, 1)
    assert (await monitor.run_round()).statuses == {"connected": 1}
    due = (await _lease(mharness, cid)).next_check_at
    clock.set(due)
    # A crowded egress IP: a thousand live workers share Bybit's per-IP budget, so each request of this one costs the
    # whole bucket; the next waits past `rate_wait_s` and is held back (never sent).
    async with mharness.ctx.transaction() as session:
        session.add_all(
            MonitorWorker(id=f"other-{n}", hostname="h", pid=n, started_at=due, heartbeat_at=due) for n in range(999)
        )
    mharness.rate_wait(0.2)  # held back after 0.2 s instead of 3
    result = await monitor.run_round()
    mharness.rate_wait(3.0)
    assert (result.checked, result.deferred, result.failed) == (0, 1, 0)
    lease = await _lease(mharness, cid)
    assert (lease.failures, lease.last_error) == (0, None)
    assert due + timedelta(seconds=5) <= lease.next_check_at <= due + timedelta(seconds=10)  # Bybit's 5 s window
    async with mharness.ctx.reading() as session:
        row = await session.get(Connection, cid)
        assert row is not None and (row.status, row.last_checked_at) == ("connected", T0)
        runs = (await session.execute(select(VerificationRun))).scalars().all()
        events = (await session.execute(select(Event).where(Event.type == "connection.status_changed"))).all()
    assert [run.status for run in runs] == ["connected"] and events == []  # nothing learned, nothing recorded
    async with mharness.ctx.transaction() as session:
        await session.execute(delete(MonitorWorker).where(MonitorWorker.id.like("other-%")))
    clock.set(lease.next_check_at)
    assert (await monitor.run_round()).statuses == {"connected": 1}


async def test_with_unreachable_after_1_every_failed_re_check_is_reported_at_once(mharness: Harness) -> None:
    clock = FrozenClock(T0)
    policy = replace(POLICY, unreachable_after=1)
    monitor = MonitorService(mharness.ctx, worker_id="w1", policy=policy, clock=clock, rng=random.Random(3))
    [cid] = await seed_healthy(mharness, 1)
    await monitor.run_round()
    await mharness.controls[ExchangeId.BYBIT].set_faults(error="http_503_html")
    clock.set((await _lease(mharness, cid)).next_check_at)
    await monitor.run_round()
    assert await _status(mharness, cid) == "unreachable"


async def _status(harness: Harness, connection_id: str) -> str:
    async with harness.ctx.reading() as session:
        row = await session.get(Connection, connection_id)
        assert row is not None
        return str(row.status)


async def test_a_leased_connection_is_not_claimed_again_until_the_lease_expires(mharness: Harness) -> None:
    clock = FrozenClock(T0)
    one = MonitorService(mharness.ctx, worker_id="w1", policy=POLICY, clock=clock)
    two = MonitorService(mharness.ctx, worker_id="w2", policy=POLICY, clock=clock)
    ids = await seed_healthy(mharness, 3)
    await one.schedule_new()
    claimed = await one.claim()
    assert sorted(claimed) == sorted(ids)
    assert await two.claim() == []  # w1 holds them
    clock.advance(minutes=6)  # w1 "died": its leases expired
    assert sorted(await two.claim()) == sorted(ids)
    # w1 comes back and tries to record a check: the lease is fenced, nothing is written.
    assert await one.check(ids[0]) is None
    assert await monitor_runs(mharness) == {}


async def test_a_connection_that_cannot_be_decrypted_is_an_operator_alert_not_a_crash(mharness: Harness) -> None:
    clock = FrozenClock(datetime.now(UTC))  # the health view reads heartbeats against the real clock
    monitor = MonitorService(mharness.ctx, worker_id="w1", policy=POLICY, clock=clock)
    good, bad = await seed_healthy(mharness, 2)
    from tradedock.db.models import ConnectionSecretField

    async with mharness.ctx.transaction() as session:
        field = await session.get(ConnectionSecretField, (bad, "secret"))
        assert field is not None
        field.ciphertext = bytes(len(field.ciphertext))  # damaged
    result = await monitor.run_round()
    assert result.checked == 1 and result.failed == 1
    lease = await _lease(mharness, bad)
    assert lease.last_error and lease.failures == 1
    from tradedock.services.health import HealthService

    health = await HealthService(mharness.ctx)._monitor()
    workers, queue = health
    assert queue.connections_with_alerts == 1 and queue.alerts[0].connection_id == bad
    assert [w.id for w in workers] == ["w1"] and workers[0].checks_done == 2
    assert await monitor_runs(mharness) == {good: 1}


async def test_re_checks_falling_behind_make_the_health_view_degraded_and_say_what_to_do(mharness: Harness) -> None:
    from tradedock.services.health import HealthService

    real_now = datetime.now(UTC)  # the health view measures against the real clock; the app's interval is 1 h
    assert mharness.ctx.settings.monitor_interval_s == 3600
    clock = FrozenClock(real_now - timedelta(hours=3))
    monitor = MonitorService(mharness.ctx, worker_id="w1", policy=POLICY, clock=clock)
    stale, _fresh = await seed_healthy(mharness, 2)
    assert (await monitor.run_round()).statuses == {"connected": 2}  # both recorded three hours ago
    clock.set(real_now - timedelta(minutes=30))
    async with mharness.ctx.transaction() as session:  # the fresh one is due first and re-checked half an hour ago
        await session.execute(text("UPDATE monitor_leases SET next_check_at = :t"), {"t": T0})
        await session.execute(
            text("UPDATE monitor_leases SET next_check_at = :t WHERE connection_id = :c"),
            {"t": clock.now() + timedelta(hours=1), "c": stale},
        )
    assert (await monitor.run_round()).statuses == {"connected": 1}

    workers, queue = await HealthService(mharness.ctx)._monitor()
    assert queue.checks_overdue == 1  # two intervals: the three-hour-old check only
    assert queue.oldest_check_at is not None and abs(queue.oldest_check_at - (real_now - timedelta(hours=3))) < (
        timedelta(seconds=1)
    )
    assert not any(w.alive for w in workers)  # w1 beat at its own (frozen) half-an-hour-ago time
    assert queue.overdue_detail is not None and "more than 2 hours" in queue.overdue_detail
    assert "no monitor worker is alive" in queue.overdue_detail and "tradedock worker" in queue.overdue_detail
    view = await HealthService(mharness.ctx).view()
    assert view.status == "degraded" and view.queue_depth.checks_overdue == 1

    # A worker is alive but falling behind (e.g. its re-checks deferred again and again): the detail says so.
    clock.set(real_now)
    await monitor.heartbeat()
    _, queue = await HealthService(mharness.ctx)._monitor()
    assert queue.checks_overdue == 1 and queue.overdue_detail is not None
    assert "falling behind" in queue.overdue_detail and "TRADEDOCK_MONITOR_INTERVAL_S" in queue.overdue_detail
    async with mharness.ctx.transaction() as session:
        await session.execute(
            text("UPDATE monitor_leases SET next_check_at = :t WHERE connection_id = :c"), {"t": T0, "c": stale}
        )
    assert (await monitor.run_round()).statuses == {"connected": 1}  # caught up (the fresh one is not due)
    _, queue = await HealthService(mharness.ctx)._monitor()
    assert (queue.checks_overdue, queue.oldest_check_at, queue.overdue_detail) == (0, None, None)


async def test_beats_of_a_new_worker_at_once_add_up_and_never_collide(mharness: Harness) -> None:
    """Two re-check jobs of one queue worker beat at once; the first beat of a new worker inserts its row: the beats
    must neither both insert it (a unique violation failed a job) nor lose a count."""
    monitors = [
        MonitorService(mharness.ctx, worker_id=f"w-new-{n}", policy=POLICY, clock=FrozenClock(T0)) for n in range(20)
    ]
    await asyncio.gather(*(m.heartbeat(checks=1, deliveries=2) for m in monitors for _ in range(4)))
    await asyncio.gather(*(m.heartbeat(checks=1, deliveries=2) for m in monitors))
    async with mharness.ctx.reading() as session:
        rows = (await session.execute(select(MonitorWorker).where(MonitorWorker.id.like("w-new-%")))).scalars().all()
    assert len(rows) == 20
    assert {(row.checks_done, row.deliveries_done, row.started_at, row.heartbeat_at) for row in rows} == {
        (5, 10, T0, T0)
    }


async def test_key_expiry_warnings_at_14_7_and_1_days_then_expired_each_once(mharness: Harness) -> None:
    real_now = datetime.now(UTC)
    clock = FrozenClock(real_now)
    monitor = MonitorService(mharness.ctx, worker_id="w1", policy=POLICY, clock=clock)
    control = mharness.controls[ExchangeId.BYBIT]
    preset = await mharness.scenario(ExchangeId.BYBIT, "healthy")
    expires = real_now + timedelta(days=20)
    key = await control.create_key(
        preset["uid"],
        {"ContractTrade": ["Order", "Position"]},
        ips=[preset["ips"][0]],
        expires_at=int(expires.timestamp() * 1000),
    )
    await store_connection(mharness, {"api_key": key["api_key"], "secret": key["secret"]})

    async def round_at(days: float) -> list[tuple[str, int | None]]:
        clock.set(real_now + timedelta(days=days))
        async with mharness.ctx.transaction() as session:  # make it due now
            for lease in (await session.execute(select(MonitorLease))).scalars():
                lease.next_check_at = clock.now()
        before = await _events(mharness)
        await monitor.run_round()
        return [(e.type, e.data.get("threshold_days")) for e in (await _events(mharness))[len(before) :]]

    assert await round_at(0) == []
    assert await round_at(5) == []  # 15 days left
    assert await round_at(6.5) == [("connection.key_expiring", 14)]
    assert await round_at(8) == []  # 12 days left: already told
    assert await round_at(14) == [("connection.key_expiring", 7)]
    assert await round_at(19.5) == [("connection.key_expiring", 1)]
    assert await round_at(19.7) == []
    assert await round_at(20.5) == [("connection.key_expired", None)]
    assert await round_at(21) == []


async def _events(harness: Harness) -> list[Event]:
    async with harness.ctx.reading() as session:
        rows = (await session.execute(select(Event).where(Event.type.like("connection.key%")))).scalars()
        return sorted(rows, key=lambda e: (e.created_at, e.id))


async def _poison_runs_of(harness: Harness, connection_id: str) -> None:
    """A database trigger refusing any run of one connection: the batch's record transaction fails for real."""
    async with harness.ctx.transaction() as session:
        if session.bind.dialect.name == "postgresql":
            await session.execute(
                text(
                    "CREATE FUNCTION refuse_run() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'poisoned run'; END;"
                    " $$ LANGUAGE plpgsql"
                )
            )
            await session.execute(
                text(
                    "CREATE TRIGGER refuse_run BEFORE INSERT ON verification_runs FOR EACH ROW"
                    f" WHEN (NEW.connection_id = '{connection_id}') EXECUTE FUNCTION refuse_run()"
                )
            )
        else:
            await session.execute(
                text(
                    "CREATE TRIGGER refuse_run BEFORE INSERT ON verification_runs"
                    f" WHEN NEW.connection_id = '{connection_id}' BEGIN SELECT RAISE(ABORT, 'poisoned run'); END"
                )
            )


async def test_a_batch_whose_record_fails_records_the_others_and_alerts_for_the_bad_one(mharness: Harness) -> None:
    clock = FrozenClock(T0)
    monitor = MonitorService(mharness.ctx, worker_id="w1", policy=POLICY, clock=clock)
    ids = await seed_healthy(mharness, 3)
    bad = ids[1]
    await _poison_runs_of(mharness, bad)
    result = await monitor.run_round()
    assert result.checked == 2 and result.failed == 1 and result.claimed == 3
    assert await monitor_runs(mharness) == {cid: 1 for cid in ids if cid != bad}
    lease = await _lease(mharness, bad)
    assert lease.lease_owner is None and lease.failures == 1
    assert lease.last_error is not None and "could not be recorded" in lease.last_error
    assert timedelta(seconds=30) <= lease.next_check_at - T0 <= timedelta(seconds=60)  # backoff, not a hot loop
    for cid in ids:
        if cid != bad:
            good = await _lease(mharness, cid)
            assert good.failures == 0 and good.last_error is None and good.lease_owner is None
