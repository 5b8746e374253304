"""`QueueWorker`: the monitor of `tradedock worker` on PostgreSQL, as a procrastinate worker (psycopg 3).

What belongs here: the procrastinate app (``PsycopgConnector`` on TradeDock's own database and schema), its tasks and
their locks, the periodic tick, stalled-job recovery, and the process's own heartbeat. What does not: the rules
(services.monitor: what is due, the lease that fences each record; services.notifications: deliveries).

Tasks, all on the ``tradedock-monitor`` queue:

- ``tradedock.monitor.tick`` (periodic, every ``TRADEDOCK_MONITOR_POLL_S`` rounded to whole seconds): procrastinate
  defers one job per tick for all workers together (its periodic-defer table), the queueing lock keeps at most one
  waiting and the lock lets one run at a time. It schedules new connections, queues the due connections that are in
  no waiting or running re-check job as ``rechecks`` jobs of up to ``TRADEDOCK_MONITOR_BATCH`` (128) each, and a
  ``deliver`` job when webhook deliveries are due.
- ``tradedock.monitor.rechecks(connection_ids)``: leases those of its connections still due whose lease is free or
  expired, with one statement, and checks them as one batch (`MonitorService.check_queued`: one load query, one
  record transaction). The lease is fenced in the record transaction, so a job that runs twice (a worker presumed
  dead that was only slow) records once, and a connection is never checked twice at once. A worker runs
  `JOBS_AT_ONCE` of them at a time (one is recorded while the next is verified). One job per connection, as this
  worker first queued them, cost procrastinate a fetch and a finish per connection — ~1 ms of the worker's CPU and,
  with procrastinate's per-job lock, ~55 ms on the database per fetch once 2,000 waited — and checked them in
  batches of 2–10.
- The tick, the recovery and the deliveries have priority `AHEAD`, so they are fetched before waiting re-check
  batches.
- ``tradedock.monitor.recheck(connection_id)``: the per-connection job of earlier versions, still run (one
  connection, `MonitorService.check_queued`) so the jobs queued before an upgrade are done.
- ``tradedock.monitor.deliver``: claims and attempts due webhook deliveries (their own leases).
- ``tradedock.monitor.recover`` (periodic, same pace): jobs left ``doing`` by a worker whose procrastinate heartbeat
  is older than ``TRADEDOCK_MONITOR_LEASE_S`` (at least 10 s; killed, host lost) are put back to ``todo``
  (procrastinate's retry), so another worker runs them; the connection's own lease has expired by then. A
  stalled tick or recover job whose successor already waits (same queueing lock) ends ``aborted`` instead: the
  successor does its work.

Besides the tasks, every worker runs its ``worker_hooks`` once per tick on its own (not under the tick's lock): work
that claims its rows under leases, so the workers share it — the bots' execution engine (each worker claims a batch
of bots with work), where under the tick's lock one worker at a time would run every bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException, UniqueViolation
from procrastinate.jobs import Job, Status
from procrastinate.types import JSONValue

from tradedock.eventloop import rest
from tradedock.services.context import AppContext
from tradedock.services.monitor import PIPELINE, MonitorService

_log = logging.getLogger(__name__)

QUEUE = "tradedock-monitor"
TICK = "tradedock.monitor.tick"
RECHECKS = "tradedock.monitor.rechecks"
#: The per-connection re-check job of earlier versions (its jobs, queued before an upgrade, still run).
RECHECK = "tradedock.monitor.recheck"
DELIVER = "tradedock.monitor.deliver"
RECOVER = "tradedock.monitor.recover"
#: The shortest stalled-worker timeout: a live worker on a loaded host must never look dead.
STALLED_MIN_S = 10.0
#: The process's own heartbeat (monitor_workers) is written every tick, at most once a second.
BEAT_MIN_S = 1.0
#: The priority of the tick, the recovery and the deliveries: fetched before the waiting re-check batches (priority
#: 0), so a wave of re-checks (a restart, a bulk import) never holds back webhooks or the tick's hooks (the built-in
#: strategies' signals).
AHEAD = 1
#: How many due connections one tick queues at most (the rest on the next tick).
TICK_LIMIT = 2000

#: Jobs one worker runs at once: re-check batches (one recorded while the next is verified, as a round keeps
#: `services.monitor.PIPELINE` in flight; their verifications share the worker's limit, 16 at once) and room
#: beside them for a tick, a recovery or deliveries.
JOBS_AT_ONCE = PIPELINE + 2

#: Called once per tick after the monitor's own work (e.g. the bots' executor); errors are logged, never fatal.
TickHook = Callable[[AppContext], Awaitable[None]]


def tick_cron(seconds: float) -> str:
    """A cron line (procrastinate's 6-field form, seconds last) firing about every ``seconds``: a divisor of 60
    below a minute, whole minutes (dividing 60) up to an hour."""
    whole = max(1, round(seconds))
    if whole < 60:
        step = max(d for d in range(1, 61) if 60 % d == 0 and d <= whole)
        return f"* * * * * */{step}"
    minutes = min(60, whole // 60)
    step = max(d for d in range(1, 61) if 60 % d == 0 and d <= minutes)
    return f"*/{step} * * * *" if step < 60 else "0 * * * *"


def conninfo(ctx: AppContext) -> str:
    """The libpq URL of TradeDock's own database (same host, credentials and options such as ``search_path``)."""
    return ctx.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class QueueWorker:
    """One `tradedock worker` process on PostgreSQL. Any number may run at once, on any number of hosts."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        service: MonitorService | None = None,
        tick_hooks: tuple[TickHook, ...] = (),
        worker_hooks: tuple[TickHook, ...] = (),
    ) -> None:
        self.ctx = ctx
        self.service = service or MonitorService(ctx)
        #: Run by the one worker that runs a tick (under its lock): work done once per tick for everyone.
        self.tick_hooks = tick_hooks
        #: Run by every worker every tick: work each worker claims a share of under leases.
        self.worker_hooks = worker_hooks
        settings = ctx.settings
        self.tick_s = settings.monitor_poll_s
        #: A worker whose procrastinate heartbeat is older than this is presumed dead and its jobs are requeued.
        self.stalled_s = max(settings.monitor_lease_s, STALLED_MIN_S)
        #: procrastinate's worker heartbeat: eight per stalled-worker window (a busy loop may beat late).
        self.heartbeat_s = max(0.5, min(10.0, self.stalled_s / 8))
        self.concurrency = JOBS_AT_ONCE
        #: Connections per re-check job: the batch a round claims (``TRADEDOCK_MONITOR_BATCH``).
        self.job_size = settings.monitor_batch
        self.checks = 0
        self.deliveries = 0
        self.app = self._build_app()

    @property
    def worker_id(self) -> str:
        return self.service.worker_id

    def _build_app(self) -> App:
        connector = PsycopgConnector(conninfo=conninfo(self.ctx), min_size=1, max_size=4)
        app = App(connector=connector)
        tick = app.task(name=TICK, queue=QUEUE, lock=TICK, queueing_lock=TICK, priority=AHEAD)(self._tick)
        app.periodic(cron=tick_cron(self.tick_s), periodic_id="tick", lock=TICK, queueing_lock=TICK)(tick)
        recover = app.task(name=RECOVER, queue=QUEUE, queueing_lock=RECOVER, priority=AHEAD)(self._recover)
        app.periodic(cron=tick_cron(self.tick_s), periodic_id="recover", queueing_lock=RECOVER)(recover)
        app.task(name=RECHECKS, queue=QUEUE)(self._rechecks)
        app.task(name=RECHECK, queue=QUEUE)(self._recheck)
        app.task(name=DELIVER, queue=QUEUE, queueing_lock=DELIVER, priority=AHEAD)(self._deliver)
        return app

    # --- tasks ---------------------------------------------------------------------------------------------

    async def _tick(self, timestamp: int) -> None:
        await self.service.schedule_new()
        ids = await self.service.due_for_queue(TICK_LIMIT, RECHECKS, RECHECK)
        await self.defer_checks(ids)
        if await self.service.deliveries.any_due():
            with contextlib.suppress(AlreadyEnqueued):
                await self.app.configure_task(DELIVER, queue=QUEUE, queueing_lock=DELIVER).defer_async()
        await self._run_hooks(self.tick_hooks)

    async def _run_hooks(self, hooks: tuple[TickHook, ...]) -> None:
        for hook in hooks:
            try:
                await hook(self.ctx)
            except Exception:
                _log.exception("monitor tick: %s failed", getattr(hook, "__name__", hook))

    async def defer_checks(self, connection_ids: list[str]) -> int:
        """Queue ``connection_ids`` as re-check jobs of up to `job_size` each (one batch insert); how many jobs. The
        tick runs one at a time (its lock) and queues only connections in no waiting or running job, so none is
        queued twice."""
        chunks: list[list[JSONValue]] = [
            list(connection_ids[start : start + self.job_size])
            for start in range(0, len(connection_ids), self.job_size)
        ]
        jobs = [
            Job(queue=QUEUE, task_name=RECHECKS, lock=None, queueing_lock=None, task_kwargs={"connection_ids": chunk})
            for chunk in chunks
        ]
        if jobs:
            await self.app.job_manager.batch_defer_jobs_async(jobs)
        return len(jobs)

    async def _rechecks(self, connection_ids: list[str]) -> dict[str, str | None]:
        outcomes = await self.service.check_queued(connection_ids)
        self.checks += sum(status is not None for status in outcomes.values())
        return outcomes

    async def _recheck(self, connection_id: str) -> str | None:
        return (await self._rechecks([connection_id]))[connection_id]

    async def _deliver(self) -> int:
        done = 0
        while attempted := await self.service.deliveries.deliver_due():
            done += attempted
        self.deliveries += done
        return done

    async def _recover(self, timestamp: int) -> int:
        """Put the jobs of workers without a heartbeat for ``stalled_s`` back in the queue (procrastinate retry)."""
        manager = self.app.job_manager
        recovered = 0
        for job in await manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=self.stalled_s):
            try:
                await manager.retry_job(job)
                recovered += 1
            except UniqueViolation:
                # A newer job with its queueing lock already waits (the next tick): that one runs; this one (still
                # 'doing', holding its lock) ends as aborted (superseded), not failed.
                with contextlib.suppress(ConnectorException):
                    await manager.finish_job(job, status=Status.ABORTED, delete_job=False)
            except ConnectorException:
                pass  # no longer 'doing': another recover job (they may overlap) or its worker got there first
        if recovered:
            _log.warning("monitor: %d job(s) of a stalled worker put back in the queue", recovered)
        return recovered

    # --- the process -------------------------------------------------------------------------------------------

    async def _beat(self, stopping: asyncio.Event) -> None:
        """This process's row in ``monitor_workers`` (the health view, shared rate budgets), every tick (≥ 1 s)."""
        while not stopping.is_set():
            checks, deliveries, self.checks, self.deliveries = self.checks, self.deliveries, 0, 0
            try:
                await self.service.heartbeat(checks=checks, deliveries=deliveries)
            except Exception:
                _log.exception("monitor heartbeat failed")
            await rest(stopping, max(self.tick_s, BEAT_MIN_S))

    async def _every_tick(self, stopping: asyncio.Event) -> None:
        """This worker's own share of the leased work (`worker_hooks`), every tick until stopping."""
        while not stopping.is_set():
            await self._run_hooks(self.worker_hooks)
            await rest(stopping, self.tick_s)

    async def run(self, stopping: asyncio.Event) -> None:
        """Work until ``stopping`` is set, then finish the running jobs and leave."""
        await self.service.heartbeat()
        try:
            async with self.app.open_async():
                beat = asyncio.create_task(self._beat(stopping), name="tradedock-heartbeat")
                shared = asyncio.create_task(self._every_tick(stopping), name="tradedock-worker-hooks")
                work = asyncio.create_task(
                    self.app.run_worker_async(
                        queues=[QUEUE],
                        name=self.worker_id,
                        concurrency=self.concurrency,
                        install_signal_handlers=False,
                        delete_jobs="successful",
                        fetch_job_polling_interval=self.tick_s,
                        update_heartbeat_interval=self.heartbeat_s,
                        stalled_worker_timeout=self.stalled_s,
                        shutdown_graceful_timeout=max(30.0, self.ctx.settings.http_timeout_s * 2),
                    ),
                    name="tradedock-queue-worker",
                )
                stop = asyncio.create_task(stopping.wait())
                await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
                ended_alone = work.done()
                stopping.set()
                stop.cancel()
                if not ended_alone:
                    work.cancel()  # procrastinate stops fetching and waits for the running jobs
                with contextlib.suppress(asyncio.CancelledError):
                    await work  # re-raises what stopped the worker on its own (e.g. the database went away)
                await beat
                await shared  # the round in progress finishes (its bots' leases are released)
        finally:
            await self.service.aclose()  # leaves: its heartbeat row goes


__all__ = ["QUEUE", "RECHECK", "RECHECKS", "QueueWorker", "conninfo", "tick_cron"]
