"""The monitor's batch check: many claimed connections loaded, verified and recorded with shared database work.

What belongs here: the three phases of a batch — **load** (one read transaction, one query for the whole batch:
rows and sealed secrets, `ConnectionRepository.checkable_many`), **verify** (every item concurrently, decrypted
for the length of its own verification, no session open: no transaction spans an exchange round trip; one
exchange server-time reading per host shared by the batch) and
**record** (one write transaction for the whole batch). The record locks what it fences, in one query
(`MonitorRepository.held`): the lease rows still held by this worker and the connections' current rows; then it
writes with executemany — the facts at each row's version, the runs and their results, the audit entries, the leases
released and rescheduled — and the events (status, modes, low balance, expiry warnings) with their webhook outbox
rows. An item whose lease was lost (expired and taken by another worker) or whose connection was removed is
skipped and counted; one whose key was replaced while it was verified is not recorded and is due again at once;
one whose check this server held back (its own share of the exchange's rate limit used up, `Report.held_back_s`)
is not recorded either and is due again once the budget has room (`DEFERRED`); the others commit. Items isolate
each other: one that cannot be loaded, decrypted or verified becomes an operator alert (its lease row's
``last_error`` and a backoff retry), written in the same transaction; if the batch
transaction itself fails, each item is recorded alone, so one bad item never costs the others their record (and
one that cannot be recorded at all becomes an alert too).
What does not: claims, the loop and heartbeats (services.monitor), SQL (db.repositories), event rules
(services.notifications), schedule rules (services.monitor_rules).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.clock import Clock
from tradedock.db.repositories import AuditRepository, ConnectionRepository, NewCheckResult, VerificationRunRepository
from tradedock.db.repositories.connections import CheckableRow, FactsUpdate
from tradedock.db.repositories.monitor import HeldLease, MonitorRepository
from tradedock.db.repositories.verification_runs import NewRun
from tradedock.domain import (
    ConnectionStatus,
    ContractType,
    Environment,
    ExchangeId,
    MarginMode,
    PositionMode,
    Scope,
)
from tradedock.errors import TradeDockError
from tradedock.services.context import AppContext
from tradedock.services.monitor_rules import MonitorPolicy, expiry_level, next_after_failure, next_regular
from tradedock.services.notifications import (
    KEY_EXPIRED,
    KEY_EXPIRING,
    MODE_FIELDS,
    Recorded,
    emit,
    record_check_events,
)
from tradedock.services.phases import Loaded, open_credentials
from tradedock.services.records import report_facts
from tradedock.services.verifying import Target, run_verification
from tradedock.verification import Report, SharedServerTime

_log = logging.getLogger(__name__)

#: The audit action and run trigger of a monitor check.
TRIGGER = "schedule"
#: A connection's outcome when this server held its requests back (`Report.held_back_s`): not recorded, due again
#: shortly.
DEFERRED = "deferred"
#: The previous-run check the events compare (`connection.balance_low` fires when it turns bad).
BALANCE_CHECK = "balance.minimum"


@dataclass(frozen=True)
class Verified:
    """A verified item, ready to record."""

    loaded: Loaded
    owner_id: str
    report: Report


@dataclass(frozen=True)
class Unchecked:
    """An item that could not be checked (not loadable, not decryptable, its check raised): an operator alert."""

    connection_id: str
    reason: str


Item = Verified | Unchecked


@dataclass(frozen=True)
class _PriorResult:
    check_id: str
    outcome: str


@dataclass(frozen=True)
class _PriorRun:
    """The previous run as far as the events need it: the outcome of `BALANCE_CHECK`."""

    results: tuple[_PriorResult, ...]


# --- load -----------------------------------------------------------------------------------------------------


def _loaded(row: CheckableRow) -> Loaded:
    target = Target(
        Environment(row.environment),
        Scope(row.scope),
        ContractType(row.contract_type) if row.contract_type else None,
        PositionMode(row.position_mode_choice) if row.position_mode_choice else None,
        MarginMode(row.margin_mode_choice) if row.margin_mode_choice else None,
    )
    return Loaded(
        row.id, ExchangeId(row.exchange), target, row.version, row.key_fingerprint, row.account_uid, row.sealed
    )


async def load(ctx: AppContext, connection_ids: Sequence[str]) -> tuple[list[tuple[Loaded, str]], list[Unchecked]]:
    """Phase 1 for the batch: one read transaction, one query. Each loadable row with its owner id; a row that
    cannot be read (an unknown exchange or environment) is its own `Unchecked`. Removed ids are absent (their lease
    row went with them)."""
    async with ctx.reading() as session:
        rows = await ConnectionRepository(session, ctx.clock).checkable_many(connection_ids)
    loaded: list[tuple[Loaded, str]] = []
    bad: list[Unchecked] = []
    for row in rows:
        try:
            loaded.append((_loaded(row), row.owner_id))
        except ValueError as error:
            bad.append(Unchecked(row.id, f"{type(error).__name__}: the stored connection cannot be read: {error}"))
    return loaded, bad


# --- verify ---------------------------------------------------------------------------------------------------


async def verify_one(
    ctx: AppContext, loaded: Loaded, owner_id: str, server_time: SharedServerTime | None = None
) -> Item:
    """Phase 2 of one item (no session open); anything it raises becomes this item's `Unchecked`. ``server_time``:
    the batch's shared exchange server-time readings (see `verify_all`)."""
    try:
        credentials = open_credentials(ctx.vault, owner_id, loaded)
        report = await run_verification(ctx.access, ctx.settings, credentials, loaded.target, server_time=server_time)
        return Verified(loaded, owner_id, report)
    except TradeDockError as error:
        return Unchecked(loaded.connection_id, f"{type(error).__name__}: {error.message}")
    except Exception as error:  # batch isolation: a bug in one check never stops the others
        _log.exception("monitor check of connection %s failed", loaded.connection_id)
        return Unchecked(loaded.connection_id, f"{type(error).__name__}: an unexpected error; see the worker log")


async def verify_all(
    ctx: AppContext, loaded: Sequence[tuple[Loaded, str]], gate: asyncio.Semaphore | None = None
) -> list[Item]:
    """Phase 2 for the batch: every item concurrently, at most ``gate``'s count at once (shared by the batches a
    worker has in flight: the HTTP pool's cost grows with the requests in flight, and past a few dozen
    verifications at once they time out on a loaded machine). The batch's verifications share one server-time
    reading per exchange host (`SharedServerTime`: one public time request per host for the batch, not one per
    connection); the clock check judges it as a reading of its own."""
    server_time = SharedServerTime(ctx.access.clock)

    async def one(item: Loaded, owner_id: str) -> Item:
        if gate is None:
            return await verify_one(ctx, item, owner_id, server_time)
        async with gate:
            return await verify_one(ctx, item, owner_id, server_time)

    return list(await asyncio.gather(*(one(item, owner_id) for item, owner_id in loaded)))


# --- record ---------------------------------------------------------------------------------------------------


@dataclass
class _Writes:
    updates: list[FactsUpdate] = field(default_factory=list)
    runs: list[NewRun] = field(default_factory=list)
    audits: list[tuple[str, str | None, str, Mapping[str, Any]]] = field(default_factory=list)
    recorded: list[tuple[Recorded, HeldLease, dict[str, Any]]] = field(default_factory=list)
    finishes: list[dict[str, Any]] = field(default_factory=list)


class BatchRecorder:
    """Phase 3: one write transaction for a batch of items (see the module docstring)."""

    def __init__(
        self, ctx: AppContext, worker_id: str, policy: MonitorPolicy, clock: Clock, rng: random.Random
    ) -> None:
        self.ctx = ctx
        self.worker_id = worker_id
        self.policy = policy
        self.clock = clock
        self.rng = rng

    async def record(self, items: Sequence[Item]) -> dict[str, str | None]:
        """Per connection id: the status recorded, ``"error"`` (an operator alert was written, or the item could
        not be recorded at all), `DEFERRED` (this server held its requests back: not recorded, due again shortly),
        or ``None`` (not recorded: lease lost, connection removed, key replaced meanwhile).

        Record the batch in one transaction; if that transaction fails, each item alone; an item that still fails
        becomes an operator alert (``the check could not be recorded``: backoff, not a hot loop); if even that fails
        (the database is gone) it is logged and left to its lease, which expires: it is checked again."""
        if not items:
            return {}
        try:
            return await self._record(items)
        except Exception:
            _log.exception("monitor: recording a batch of %d failed; recording each alone", len(items))
        outcomes: dict[str, str | None] = {}
        for item in items:
            cid = _id(item)
            if len(items) > 1:  # (a batch of one has just failed as a whole)
                try:
                    outcomes.update(await self._record([item]))
                    continue
                except Exception:
                    _log.exception("monitor: recording connection %s failed", cid)
            try:
                reason = "RecordError: the check could not be recorded; see the worker log"
                outcomes.update(await self._record([Unchecked(cid, reason)]))
            except Exception:
                _log.exception("monitor: connection %s: not even its alert could be recorded", cid)
                outcomes[cid] = "error"
        return outcomes

    async def _record(self, items: Sequence[Item]) -> dict[str, str | None]:
        ids = sorted({_id(item) for item in items})
        now = self.clock.now()
        outcomes: dict[str, str | None] = {}
        async with self.ctx.transaction() as session:
            monitor = MonitorRepository(session)
            held = await monitor.held(ids, self.worker_id, BALANCE_CHECK)
            writes = _Writes()
            for item in items:
                cid = _id(item)
                lease = held.get(cid)
                if lease is None:
                    outcomes[cid] = None  # lost to another worker, or removed with its connection
                elif isinstance(item, Unchecked):
                    outcomes[cid] = "error"
                    self._alert(writes, item, lease, now)
                else:
                    outcomes[cid] = self._plan(writes, item, lease, now)
            written = await ConnectionRepository(session, self.clock).apply_many(writes.updates)
            if written != len(writes.updates):  # cannot happen under the row locks; never record half a batch
                raise RuntimeError(f"{len(writes.updates) - written} connection row(s) moved under the batch lock")
            await VerificationRunRepository(session).add_many(writes.runs)
            await AuditRepository(session, self.clock).append_many(writes.audits)
            for recorded, lease, values in writes.recorded:
                await record_check_events(session, self.clock, recorded)
                await self._expiry(session, recorded, lease, values, now)
            finished = await monitor.finish_many(self.worker_id, writes.finishes)
            if finished != len(writes.finishes):
                raise RuntimeError(f"{len(writes.finishes) - finished} lease(s) moved under the batch lock")
        for cid, status in outcomes.items():
            if status == "error":
                _log.error("monitor: connection %s could not be checked (operator alert written)", cid)
        deferred = sum(status == DEFERRED for status in outcomes.values())
        if deferred:
            _log.info(
                "monitor: %d re-check(s) deferred: this server's share of an exchange's rate limit was used up "
                "(more workers share the egress IP than its limit serves at this pace)",
                deferred,
            )
        return outcomes

    def _alert(self, writes: _Writes, item: Unchecked, lease: HeldLease, now: datetime) -> None:
        """A connection that could not be checked: an operator alert and a retry with backoff; the connection's own
        status is left as it was."""
        failures = lease.failures + 1
        next_check_at = next_after_failure(now, failures, self.policy, self.rng)
        writes.finishes.append(_finish(item.connection_id, lease, failures, next_check_at, item.reason[:400]))

    def _plan(self, writes: _Writes, item: Verified, lease: HeldLease, now: datetime) -> str | None:
        cid = item.loaded.connection_id
        row = lease.current
        if row["key_fingerprint"] != item.loaded.fingerprint:
            # The key was replaced while we verified: this report is about a gone key. Due again now.
            writes.finishes.append(_finish(cid, lease, lease.failures, now))
            return None
        report = item.report
        held_back_s = report.held_back_s()
        if held_back_s is not None:
            # This server held requests back (its share of the exchange's rate limit was used up): the check learned
            # nothing about the key or the exchange, so nothing is recorded; due again once the budget has room.
            later = now + timedelta(seconds=held_back_s * self.rng.uniform(1.0, 2.0))
            writes.finishes.append(_finish(cid, lease, lease.failures, later))
            return DEFERRED
        facts = report_facts(report, now)
        unreachable = report.status is ConnectionStatus.UNREACHABLE
        failures = lease.failures + 1 if unreachable else 0
        if unreachable and failures < self.policy.unreachable_after and row["status"] in _HEALTHY:
            # Not confirmed yet: a healthy connection stays as it was (status, and when it was last found so) until
            # the retry one backoff later fails too; a blip of the exchange is one unreachable run in the history,
            # not two status changes and webhooks. (An unreachable report learns no other fact.)
            facts = {}
        # The report is recorded at the row's current version (read under the lock): a concurrent check's facts
        # are no fresher than ours.
        writes.updates.append(FactsUpdate(cid, item.owner_id, int(row["version"]), facts))
        writes.runs.append(
            NewRun(
                cid,
                TRIGGER,
                report.status.value,
                report.started_at,
                report.duration_ms,
                [NewCheckResult(c.id, c.outcome.value, c.message, c.fix, c.evidence) for c in report.checks],
            )
        )
        writes.audits.append((item.owner_id, cid, TRIGGER, {"status": report.status.value}))
        before = {name: row[name] for name in _WATCHED}
        previous = lease.prior_outcome
        prior = None if previous is None else _PriorRun((_PriorResult(BALANCE_CHECK, previous),))
        recorded = Recorded(
            item.owner_id, cid, row["label"], row["exchange"], before, {**before, **facts}, report, prior
        )
        next_check_at = (
            next_after_failure(now, failures, self.policy, self.rng)
            if unreachable
            else next_regular(now, self.policy, self.rng)
        )
        values = _finish(cid, lease, failures, next_check_at)
        writes.finishes.append(values)
        writes.recorded.append((recorded, lease, values))
        return report.status.value

    async def _expiry(
        self, session: AsyncSession, recorded: Recorded, lease: HeldLease, values: dict[str, Any], now: datetime
    ) -> None:
        """The expiry warnings (each threshold once per expiry date); ``values`` (the lease row's finish) remembers
        the one sent."""
        expires_at = recorded.after.get("key_expires_at")
        if not isinstance(expires_at, datetime):
            return
        level = expiry_level(now, expires_at)
        already = lease.expiry_notified if lease.expiry_for == expires_at else None
        if level is None or (already is not None and level >= already):
            return
        base: dict[str, object] = {
            "connection_id": recorded.connection_id,
            "label": recorded.label,
            "exchange": recorded.exchange,
            "expires_at": expires_at.isoformat(),
        }
        if level == 0:
            data: dict[str, object] = {**base, "fix": "Create a new key and replace it."}
            await emit(session, self.clock, recorded.owner_id, KEY_EXPIRED, data, connection_id=recorded.connection_id)
        else:
            days_left = max((expires_at - now).total_seconds() / 86400, 0)
            data = {
                **base,
                "threshold_days": level,
                "days_left": round(days_left, 2),
                "fix": "Create a new key on the exchange and replace this connection's key before it expires.",
            }
            await emit(session, self.clock, recorded.owner_id, KEY_EXPIRING, data, connection_id=recorded.connection_id)
        values["expiry_notified"] = level
        values["expiry_for"] = expires_at


#: Columns whose before/after values a recorded check hands to the events (as `services.connections` does).
_WATCHED = ("status", *MODE_FIELDS, "key_expires_at", "last_balance_usd")
#: Statuses a first unreachable re-check does not replace (`MonitorPolicy.unreachable_after`).
_HEALTHY = frozenset({ConnectionStatus.CONNECTED.value, ConnectionStatus.CONNECTED_WITH_WARNINGS.value})


def _finish(
    connection_id: str, lease: HeldLease, failures: int, next_check_at: datetime, last_error: str | None = None
) -> dict[str, Any]:
    """A lease row's release (`MonitorRepository.finish_many`): when the connection is due next, the failures in a
    row and the operator alert; the expiry warning already sent is kept."""
    return {
        "connection_id": connection_id,
        "failures": failures,
        "next_check_at": next_check_at,
        "last_error": last_error,
        "expiry_notified": lease.expiry_notified,
        "expiry_for": lease.expiry_for,
    }


def _id(item: Item) -> str:
    return item.loaded.connection_id if isinstance(item, Verified) else item.connection_id
