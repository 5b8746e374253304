"""The monitor's rules: when each connection is re-checked, who checks it, and the expiry warnings.

What belongs here: the schedule (every ``monitor_interval_s``, jittered; after a failed check sooner, with
exponential backoff), claiming due connections under a lease (one conditional UPDATE; ``FOR UPDATE SKIP LOCKED``
on PostgreSQL) so no two workers ever check one connection at once and a dead worker's lease expires, checking
through the connection service's own three-phase path (no duplicated verification), and the expiry warnings
(``connection.key_expiring`` at 14, 7 and 1 days left, ``connection.key_expired``). The lease is fenced and the
connection rescheduled inside the check's own record transaction, so a check is recorded and rescheduled
together or not at all: a worker killed mid-round loses nothing and doubles nothing. A connection that cannot be
loaded or decrypted becomes an operator alert (the lease row's ``last_error``, the health view), not a crash.
What does not: events of a check (services.notifications), SQL (db.repositories), the loop (tradedock.monitor).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.clock import Clock
from tradedock.config import Settings
from tradedock.db.models import Connection
from tradedock.db.repositories.monitor import MonitorRepository
from tradedock.domain import ConnectionStatus
from tradedock.errors import ConflictError, NotFoundError, TradeDockError
from tradedock.services.connections import ConnectionService
from tradedock.services.context import AppContext
from tradedock.services.notifications import (
    KEY_EXPIRED,
    KEY_EXPIRING,
    DeliveryPolicy,
    DeliveryService,
    Recorded,
    backoff,
    emit,
)

_log = logging.getLogger(__name__)

#: Days before a key's expiry at which `connection.key_expiring` is sent (once each).
EXPIRY_THRESHOLDS = (14, 7, 1)
#: The shortest time a worker's last heartbeat counts it as live (for sharing rate budgets).
LIVE_WINDOW_MIN = timedelta(seconds=10)
#: How many unscheduled connections one round adds to the schedule.
SCHEDULE_BATCH = 500


class LeaseLostError(ConflictError):
    """Our lease expired and another worker took the connection: this check is not recorded."""


@dataclass(frozen=True)
class MonitorPolicy:
    interval: timedelta = timedelta(hours=1)
    jitter: float = 0.1
    backoff_base: timedelta = timedelta(minutes=1)
    lease: timedelta = timedelta(minutes=5)
    batch: int = 16

    @classmethod
    def from_settings(cls, settings: Settings) -> MonitorPolicy:
        return cls(
            interval=timedelta(seconds=settings.monitor_interval_s),
            jitter=settings.monitor_jitter,
            backoff_base=timedelta(seconds=settings.monitor_backoff_s),
            lease=timedelta(seconds=settings.monitor_lease_s),
            batch=settings.monitor_batch,
        )


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        timeout_s=settings.webhook_timeout_s,
        max_attempts=settings.webhook_max_attempts,
        backoff_base=timedelta(seconds=settings.webhook_backoff_s),
        disable_after=settings.webhook_disable_after,
        allow_private=settings.webhook_allow_private,
    )


def next_regular(now: datetime, policy: MonitorPolicy, rng: random.Random) -> datetime:
    """The next check after a completed one: the interval, ± ``jitter`` of it at random."""
    factor = 1 + rng.uniform(-policy.jitter, policy.jitter)
    return now + policy.interval * factor


def next_after_failure(now: datetime, failures: int, policy: MonitorPolicy, rng: random.Random) -> datetime:
    """The next check after ``failures`` failed checks in a row: backoff from ``backoff_base``, doubling, never
    later than the regular interval."""
    return now + backoff(failures, policy.backoff_base, policy.interval, rng)


def expiry_level(now: datetime, expires_at: datetime | None) -> int | None:
    """The most urgent threshold reached: 0 (expired), 1, 7 or 14 days; ``None`` when further off or unknown."""
    if expires_at is None:
        return None
    left = expires_at - now
    if left <= timedelta(0):
        return 0
    reached = [days for days in EXPIRY_THRESHOLDS if left <= timedelta(days=days)]
    return min(reached) if reached else None


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class RoundResult:
    scheduled: int = 0
    claimed: int = 0
    checked: int = 0
    failed: int = 0
    lost: int = 0
    deliveries: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


class MonitorService:
    """One worker's view of the monitor. Any number of them may run at once, in any number of processes."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        worker_id: str | None = None,
        policy: MonitorPolicy | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        deliveries: DeliveryService | None = None,
    ) -> None:
        self.ctx = ctx
        self.worker_id = worker_id or worker_name()
        self.policy = policy or MonitorPolicy.from_settings(ctx.settings)
        self.clock = clock or ctx.clock
        self.rng = rng or random.Random()
        self.deliveries = deliveries or DeliveryService(
            ctx, self.worker_id, delivery_policy(ctx.settings), clock=self.clock, rng=self.rng
        )

    async def aclose(self) -> None:
        await self.deliveries.aclose()

    async def run_round(self) -> RoundResult:
        """Schedule new connections, check every due one this worker can claim, deliver due webhooks, beat."""
        result = RoundResult()
        await self.heartbeat()
        result.scheduled = await self.schedule_new()
        while True:
            ids = await self.claim()
            if not ids:
                break
            result.claimed += len(ids)
            outcomes = await asyncio.gather(*(self.check(cid) for cid in ids))
            for status in outcomes:
                if status is None:
                    result.lost += 1
                elif status == "error":
                    result.failed += 1
                else:
                    result.checked += 1
                    result.statuses[status] = result.statuses.get(status, 0) + 1
            await self.heartbeat(checks=len(ids))
        while True:
            done = await self.deliveries.deliver_due()
            if not done:
                break
            result.deliveries += done
        await self.heartbeat(deliveries=result.deliveries)
        return result

    async def heartbeat(self, *, checks: int = 0, deliveries: int = 0) -> None:
        """Beat, then share the exchanges' per-IP rate budgets with the workers alive now (see `live_window`)."""
        now = self.clock.now()
        async with self.ctx.transaction() as session:
            host, pid = socket.gethostname(), os.getpid()
            repo = MonitorRepository(session)
            await repo.heartbeat(self.worker_id, host, pid, now, checks=checks, deliveries=deliveries)
            live = await repo.live_workers(now - self.live_window)
        self.ctx.access.share_ip_budgets(live)

    @property
    def live_window(self) -> timedelta:
        """A worker that beat within this is counted as sending requests: three ticks, at least 10 s (a worker beats
        every tick and every batch; a dead one keeps its share that long, which only makes the others slower)."""
        return max(timedelta(seconds=3 * self.ctx.settings.monitor_poll_s), LIVE_WINDOW_MIN)

    async def schedule_new(self) -> int:
        """Give every connection without one a schedule row: due now if never checked, else one jittered interval
        after its last check (a connection just connected was just verified)."""
        added = 0
        while True:
            async with self.ctx.reading() as session:
                missing = await MonitorRepository(session).unscheduled(SCHEDULE_BATCH)
            if not missing:
                return added
            now = self.clock.now()
            rows = [
                (
                    cid,
                    now if last is None else min(next_regular(last, self.policy, self.rng), now + self.policy.interval),
                )
                for cid, last in missing
            ]
            async with self.ctx.transaction() as session:
                added += await MonitorRepository(session).schedule(rows)
            if len(missing) < SCHEDULE_BATCH:
                return added

    async def claim(self) -> list[str]:
        now = self.clock.now()
        async with self.ctx.transaction() as session:
            return await MonitorRepository(session).claim_checks(
                self.worker_id, now, now + self.policy.lease, self.policy.batch
            )

    async def check_one(self, connection_id: str) -> str | None:
        """A queued re-check job (PostgreSQL workers): lease this one connection if it is still due and its lease is
        free or expired, then check it like `check`; ``None`` when there was nothing to do (checked meanwhile, or
        another worker holds a live lease: the next tick queues it again once that lease expires)."""
        now = self.clock.now()
        async with self.ctx.transaction() as session:
            claimed = await MonitorRepository(session).claim_one(
                connection_id, self.worker_id, now, now + self.policy.lease
            )
        if not claimed:
            return None
        return await self.check(connection_id)

    async def due_for_queue(self, limit: int, lock_prefix: str) -> list[str]:
        """Due connections with a free or expired lease and no queued or running re-check job (PostgreSQL)."""
        async with self.ctx.reading() as session:
            return await MonitorRepository(session).due_unqueued(self.clock.now(), limit, lock_prefix)

    async def check(self, connection_id: str) -> str | None:
        """Check one claimed connection; its status, ``"error"`` when it could not be checked, ``None`` when the
        lease was lost (another worker has it now) or the connection was removed."""
        try:
            async with self.ctx.reading() as session:
                row = await session.get(Connection, connection_id)
                owner_id = None if row is None else row.owner_id
            if owner_id is None:
                return None  # removed: its schedule row went with it
            service = ConnectionService.for_owner_id(self.ctx, owner_id, after_record=self._on_recorded)
            outcome = await service.check(connection_id, trigger="schedule")
            return outcome.status.value
        except LeaseLostError:
            return None
        except NotFoundError:
            return None
        except TradeDockError as error:
            await self._failed(connection_id, f"{type(error).__name__}: {error.message}")
            return "error"
        except Exception as error:  # batch isolation: a bug in one check never stops the worker
            _log.exception("monitor check of connection %s failed", connection_id)
            await self._failed(connection_id, f"{type(error).__name__}: an unexpected error; see the worker log")
            return "error"

    async def _failed(self, connection_id: str, reason: str) -> None:
        """A connection that could not be checked (not loadable, not decryptable, …): an operator alert on its
        schedule row and a retry with backoff; the connection's own status is left as it was."""
        _log.error("monitor: connection %s could not be checked: %s", connection_id, reason)
        async with self.ctx.transaction() as session:
            repo = MonitorRepository(session)
            lease = await repo.lease(connection_id)
            if lease is None or lease.lease_owner != self.worker_id:
                return
            failures = lease.failures + 1
            await repo.finish(
                connection_id,
                self.worker_id,
                failures=failures,
                next_check_at=next_after_failure(self.clock.now(), failures, self.policy, self.rng),
                last_error=reason[:400],
            )

    async def _on_recorded(self, session: AsyncSession, recorded: Recorded) -> None:
        """Inside the check's record transaction: fence our lease, reschedule, send expiry warnings."""
        repo = MonitorRepository(session)
        lease = await repo.lease(recorded.connection_id)
        if lease is None or lease.lease_owner != self.worker_id:
            raise LeaseLostError(
                f"the lease on connection {recorded.connection_id} expired and another worker took it",
                fix=f"Raise TRADEDOCK_MONITOR_LEASE_S above {self.policy.lease.total_seconds():.0f} s.",
            )
        now = self.clock.now()
        unreachable = recorded.report.status is ConnectionStatus.UNREACHABLE
        failures = lease.failures + 1 if unreachable else 0
        next_at = (
            next_after_failure(now, failures, self.policy, self.rng)
            if unreachable
            else next_regular(now, self.policy, self.rng)
        )
        values: dict[str, object] = {"failures": failures, "next_check_at": next_at, "last_error": None}
        expires_at = recorded.after.get("key_expires_at")
        level = expiry_level(now, expires_at if isinstance(expires_at, datetime) else None)
        already = lease.expiry_notified if lease.expiry_for == expires_at else None
        if level is not None and isinstance(expires_at, datetime) and (already is None or level < already):
            base: dict[str, object] = {
                "connection_id": recorded.connection_id,
                "label": recorded.label,
                "exchange": recorded.exchange,
            }
            if level == 0:
                data: dict[str, object] = {
                    **base,
                    "expires_at": expires_at.isoformat(),
                    "fix": "Create a new key and replace it.",
                }
                await emit(
                    session, self.clock, recorded.owner_id, KEY_EXPIRED, data, connection_id=recorded.connection_id
                )
            else:
                days_left = max((expires_at - now).total_seconds() / 86400, 0)
                data = {
                    **base,
                    "expires_at": expires_at.isoformat(),
                    "threshold_days": level,
                    "days_left": round(days_left, 2),
                    "fix": "Create a new key on the exchange and replace this connection's key before it expires.",
                }
                await emit(
                    session, self.clock, recorded.owner_id, KEY_EXPIRING, data, connection_id=recorded.connection_id
                )
            values["expiry_notified"] = level
            values["expiry_for"] = expires_at
        if not await repo.finish(recorded.connection_id, self.worker_id, **values):
            raise LeaseLostError(
                f"the lease on connection {recorded.connection_id} was lost", fix="Raise TRADEDOCK_MONITOR_LEASE_S."
            )
