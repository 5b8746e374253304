"""The monitor's worker: when each connection is re-checked, who checks it, in batches that share database work.

What belongs here: the schedule (every ``monitor_interval_s``, jittered; after a failed check sooner, with
exponential backoff; the rules in services.monitor_rules), claiming due connections under a lease in batches of
``monitor_batch`` (one conditional UPDATE; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL) so no two workers ever check
one connection at once and a dead worker's lease expires, and the round: claim a batch, load it in one query,
verify its items concurrently, record the whole batch in one transaction (services.monitor_batch), with the next
batch claimed and verified while one is being recorded. The lease is fenced and each connection rescheduled in
the batch's record transaction, so a check is recorded and rescheduled together or not at all: a worker killed
mid-round loses nothing and doubles nothing. A connection that cannot be loaded or decrypted becomes an operator
alert (the lease row's ``last_error``, the health view), not a crash.
What does not: a batch's load/verify/record (services.monitor_batch), events of a check (services.notifications),
SQL (db.repositories), the loop (tradedock.monitor).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tradedock.clock import Clock
from tradedock.config import Settings
from tradedock.db.repositories.monitor import MonitorRepository
from tradedock.eventloop import rest
from tradedock.services import monitor_batch
from tradedock.services.context import AppContext
from tradedock.services.monitor_rules import (
    EXPIRY_THRESHOLDS,
    MonitorPolicy,
    expiry_level,
    next_after_failure,
    next_regular,
)
from tradedock.services.notifications import DeliveryPolicy, DeliveryService

__all__ = [
    "EXPIRY_THRESHOLDS",
    "MonitorPolicy",
    "MonitorService",
    "RoundResult",
    "delivery_policy",
    "expiry_level",
    "next_after_failure",
    "next_regular",
    "worker_name",
]

_log = logging.getLogger(__name__)

#: The shortest time a worker's last heartbeat counts it as live (for sharing rate budgets).
LIVE_WINDOW_MIN = timedelta(seconds=10)
#: How long a starting worker waits for workers started with it to beat before its first re-check (`meet`).
MEET_S = 2.0
#: How often `MonitorService.meet` looks whether the workers already running have counted this one.
MEET_POLL_S = 0.2
#: How many unscheduled connections one round adds to the schedule.
SCHEDULE_BATCH = 500
#: Batches a round keeps in flight: the next one is claimed, loaded and verified while one is being recorded.
PIPELINE = 2


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        timeout_s=settings.webhook_timeout_s,
        max_attempts=settings.webhook_max_attempts,
        backoff_base=timedelta(seconds=settings.webhook_backoff_s),
        disable_after=settings.webhook_disable_after,
        allow_private=settings.webhook_allow_private,
    )


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class RoundResult:
    scheduled: int = 0
    claimed: int = 0
    checked: int = 0
    failed: int = 0
    lost: int = 0
    #: Held back by this server's own rate budgets: not recorded, due again shortly (`monitor_batch.DEFERRED`).
    deferred: int = 0
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
        self._verifying = asyncio.Semaphore(self.policy.concurrency)
        self.deliveries = deliveries or DeliveryService(
            ctx, self.worker_id, delivery_policy(ctx.settings), clock=self.clock, rng=self.rng
        )

    async def aclose(self) -> None:
        """Stop: close the webhook deliveries' client and leave (`leave`)."""
        await self.deliveries.aclose()
        await self.leave()

    async def leave(self) -> None:
        """Remove this worker's heartbeat row: it stops taking a share of the per-IP budgets at once (the others
        take its share at their next beat), and a worker started in its place does not wait for it in `meet`. A
        worker that dies without leaving is counted until its last beat is a `live_window` old."""
        try:
            async with self.ctx.transaction() as session:
                await MonitorRepository(session).forget_worker(self.worker_id)
        except Exception:  # stopping anyway (the database may be gone): its beat ages out instead
            _log.warning("monitor: worker %s could not remove its heartbeat", self.worker_id, exc_info=True)

    async def run_round(self) -> RoundResult:
        """Schedule new connections, check every due one this worker can claim (batch by batch, `PIPELINE` batches
        in flight), deliver due webhooks, beat."""
        result = RoundResult()
        await self.heartbeat()
        result.scheduled = await self.schedule_new()
        in_flight: set[asyncio.Task[dict[str, str | None]]] = set()
        try:
            while True:
                ids = await self.claim() if len(in_flight) < PIPELINE else []
                if ids:
                    result.claimed += len(ids)
                    in_flight.add(asyncio.create_task(self.check_batch(ids)))
                    if len(in_flight) < PIPELINE:
                        continue
                if not in_flight:
                    break
                done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    outcomes = task.result()
                    _tally(result, outcomes)
                    await self.heartbeat(checks=len(outcomes))
        finally:
            for task in in_flight:
                task.cancel()
        while True:
            done_deliveries = await self.deliveries.deliver_due()
            if not done_deliveries:
                break
            result.deliveries += done_deliveries
        await self.heartbeat(deliveries=result.deliveries)
        return result

    async def heartbeat(self, *, checks: int = 0, deliveries: int = 0) -> int:
        """Beat, then share the exchanges' per-IP rate budgets with the workers alive now (see `live_window`); how
        many that is, this one included."""
        now = self.clock.now()
        async with self.ctx.transaction() as session:
            host, pid = socket.gethostname(), os.getpid()
            repo = MonitorRepository(session)
            await repo.heartbeat(self.worker_id, host, pid, now, checks=checks, deliveries=deliveries)
            live = await repo.live_workers(now - self.live_window)
        self.ctx.access.share_ip_budgets(live)
        return live

    async def meet(self, stopping: asyncio.Event) -> int:
        """Beat; wait `MEET_S` for workers started at the same time to beat too, and then until every live worker
        has beaten since this one's first beat (each has then counted it and lowered its own share), at most one
        `live_window`; beat again. How many workers are live, this one included.

        Without the first wait the first worker up counts itself alone until its next beat and takes the whole
        per-IP budget while the next ones take theirs: together more than the exchange's limit (Bybit bans the IP
        for ten minutes). Without the second, a worker joining a busy fleet sends at its share while the others
        still send at theirs without it, until their next beat. A worker that died keeps its last beat for a
        `live_window` and never beats again: the wait ends there."""
        await self.heartbeat()
        first = self.clock.now()  # a beat stamped later began after ours was committed: it counted this worker
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.live_window.total_seconds()
        await rest(stopping, MEET_S)
        while not stopping.is_set() and loop.time() < deadline and await self._unaware(first):
            await rest(stopping, MEET_POLL_S)
        return await self.heartbeat()

    async def _unaware(self, since: datetime) -> int:
        """Live workers, other than this one, that have not beaten since ``since``: they do not count this one yet."""
        async with self.ctx.reading() as session:
            return await MonitorRepository(session).live_workers(
                self.clock.now() - self.live_window, beaten_before=since, other_than=self.worker_id
            )

    @property
    def live_window(self) -> timedelta:
        """A worker that beat within this is counted as sending requests: three ticks, at least 10 s (a worker beats
        every tick and every batch; a dead one keeps its share that long, which only makes the others slower)."""
        return max(timedelta(seconds=3 * self.ctx.settings.monitor_poll_s), LIVE_WINDOW_MIN)

    async def schedule_new(self) -> int:
        """Give every connection without one a schedule row: due now if never checked (in SQL alone: a bulk import
        adds thousands), else one jittered interval after its last check (a connection just connected was just
        verified)."""
        added = 0
        while True:
            async with self.ctx.transaction() as session:
                never, more = await MonitorRepository(session).schedule_never_checked(self.clock.now(), SCHEDULE_BATCH)
            added += never
            if not more:
                break
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

    async def check_queued(self, connection_ids: Sequence[str]) -> dict[str, str | None]:
        """A queued re-check job (PostgreSQL workers: one job per batch of due connections): lease those still due
        whose lease is free or expired, in one statement, and check them as one batch (`check_batch`). Per id, as
        `check_batch`; ``None`` also for one there was nothing to do for (checked meanwhile, or another worker holds
        a live lease: the next tick queues it again once that lease expires)."""
        await self.heartbeat()  # every batch, as in `run_round`: the per-IP share counts workers started since
        now = self.clock.now()
        async with self.ctx.transaction() as session:
            claimed = await MonitorRepository(session).claim_these(
                list(connection_ids), self.worker_id, now, now + self.policy.lease
            )
        outcomes = await self.check_batch(claimed) if claimed else {}
        return {cid: outcomes.get(cid) for cid in connection_ids}

    async def due_for_queue(self, limit: int, batch_task: str, single_task: str) -> list[str]:
        """Due connections with a free or expired lease and in no queued or running re-check job (PostgreSQL; the
        jobs of task ``batch_task`` carry ``connection_ids``, those of ``single_task`` one ``connection_id``)."""
        async with self.ctx.reading() as session:
            return await MonitorRepository(session).due_unqueued(self.clock.now(), limit, batch_task, single_task)

    async def check(self, connection_id: str) -> str | None:
        """Check one claimed connection (a batch of one); its status, ``"error"`` when it could not be checked,
        ``"deferred"`` when this server held its requests back (due again shortly), ``None`` when the lease was lost
        (another worker has it now) or the connection was removed."""
        return (await self.check_batch([connection_id])).get(connection_id)

    async def check_batch(self, connection_ids: list[str]) -> dict[str, str | None]:
        """Check claimed connections together: load them in one query, verify them concurrently (no session open),
        record them in one transaction (services.monitor_batch). Per id: its status, ``"error"`` (an operator alert
        was written), ``"deferred"`` (held back by our own rate budgets: not recorded), or ``None`` (lease lost,
        removed, or its key replaced meanwhile: not recorded)."""
        loaded, unreadable = await monitor_batch.load(self.ctx, connection_ids)
        items: list[monitor_batch.Item] = [
            *unreadable,
            *await monitor_batch.verify_all(self.ctx, loaded, self._verifying),
        ]
        recorder = monitor_batch.BatchRecorder(self.ctx, self.worker_id, self.policy, self.clock, self.rng)
        outcomes = await recorder.record(items)
        for cid in connection_ids:
            outcomes.setdefault(cid, None)  # removed before it was loaded
        return outcomes


def _tally(result: RoundResult, outcomes: dict[str, str | None]) -> None:
    for status in outcomes.values():
        if status is None:
            result.lost += 1
        elif status == monitor_batch.DEFERRED:
            result.deferred += 1
        elif status == "error":
            result.failed += 1
        else:
            result.checked += 1
            result.statuses[status] = result.statuses.get(status, 0) + 1
