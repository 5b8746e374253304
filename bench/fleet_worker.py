"""One monitor worker for `bench.fleet`, in its own process: prints "ready", waits for a line on stdin, re-checks
until every connection has been, then prints one JSON line: wall time, this process's CPU time (user and system
apart) and peak memory, its context switches (voluntary: it waited; involuntary: the kernel descheduled it),
statuses, and its database round counts (rounds, claims, batches recorded, heartbeats).

Two ways to work, as ``tradedock worker`` has: rounds of `MonitorService.run_round` until one finds nothing due
(SQLite's worker, and ``serve``'s built-in monitor), or ``--queue N``: PostgreSQL's worker,
`monitor.queue.QueueWorker` (procrastinate: a tick queues the due connections in re-check jobs of up to 128, each
checked as one batch), until the database holds N scheduled runs and operator alerts together (every connection
re-checked).

Settings come from the environment (``TRADEDOCK_HOME``, ``TRADEDOCK_DATABASE_URL``, ``TRADEDOCK_SANDBOX_URLS``,
``TRADEDOCK_MONITOR_BATCH``…), as for ``tradedock worker``. ``--profile FILE`` writes a cProfile of the work
(the main thread's CPU time).

    .venv/bin/python -m bench.fleet_worker [--queue N] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import json
import resource
import sys
import time

from sqlalchemy import func, select

from bench.common import peak_rss_mib
from tradedock import eventloop
from tradedock.db.models import MonitorLease, VerificationRun
from tradedock.services.context import AppContext, open_app
from tradedock.services.monitor import MonitorService

#: What a worker counts of its database rounds (`_count`), summed over the workers by `bench.fleet`.
COUNTS = ("rounds", "claims", "empty_claims", "batches", "batch_items", "heartbeats", "scheduled", "schedule_cpu_ms")
#: The outcomes of the batches it checked (``statuses`` holds the checked ones per status).
OUTCOMES = ("checked", "failed", "lost")


def lift_ip_budgets() -> None:
    """Drop TradeDock's per-IP budgets (as if leaving from enough egress IPs); per-account limits stay."""
    from tradedock.exchanges.aster import endpoints as aster
    from tradedock.exchanges.bitget import endpoints as bitget
    from tradedock.exchanges.bybit import endpoints as bybit

    for module in (aster, bitget, bybit):
        module.RATES = dataclasses.replace(module.RATES, ip=None)


def _count(service: MonitorService, counts: dict[str, int], statuses: dict[str, int]) -> None:
    """Count the worker's claims (and the empty ones), batches checked (and their items, and their outcomes:
    ``checked`` with ``statuses``, ``failed``, ``lost``), heartbeats, and the connections it scheduled
    (`schedule_new`, the first round after a bulk import) with the CPU that took."""
    claim, check_batch, heartbeat = service.claim, service.check_batch, service.heartbeat
    schedule_new = service.schedule_new

    async def counted_schedule_new() -> int:
        cpu = time.process_time()  # nothing else runs yet: a round schedules before it claims
        added = await schedule_new()
        counts["schedule_cpu_ms"] += round((time.process_time() - cpu) * 1000)
        counts["scheduled"] += added
        return added

    async def counted_claim() -> list[str]:
        ids = await claim()
        counts["claims"] += 1
        counts["empty_claims"] += not ids
        return ids

    async def counted_check_batch(connection_ids: list[str]) -> dict[str, str | None]:
        counts["batches"] += 1
        counts["batch_items"] += len(connection_ids)
        outcomes = await check_batch(connection_ids)
        for status in outcomes.values():
            if status is None:
                counts["lost"] += 1
            elif status == "error":
                counts["failed"] += 1
            elif status != "deferred":
                counts["checked"] += 1
                statuses[status] = statuses.get(status, 0) + 1
        return outcomes

    async def counted_heartbeat(*, checks: int = 0, deliveries: int = 0) -> int:
        counts["heartbeats"] += 1
        return await heartbeat(checks=checks, deliveries=deliveries)

    service.claim = counted_claim  # type: ignore[method-assign]
    service.check_batch = counted_check_batch  # type: ignore[method-assign]
    service.heartbeat = counted_heartbeat  # type: ignore[method-assign]
    service.schedule_new = counted_schedule_new  # type: ignore[method-assign]


def _usage() -> dict[str, float]:
    """rusage of the process, and of its main thread (Linux's scheduler statistics): migrations between cores and
    the time it was runnable but waited for a core."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    sched: dict[str, float] = {"migrations": 0, "runqueue_wait_s": 0.0}
    try:
        with open("/proc/thread-self/sched") as file:
            for line in file:
                if line.startswith("se.nr_migrations"):
                    sched["migrations"] = int(line.split(":")[1])
        with open("/proc/thread-self/schedstat") as file:
            sched["runqueue_wait_s"] = int(file.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        pass
    return {
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "nvcsw": usage.ru_nvcsw,
        "nivcsw": usage.ru_nivcsw,
        **sched,
    }


async def rounds(ctx: AppContext, service: MonitorService, counts: dict[str, int]) -> None:
    """Rounds until one finds nothing due."""
    while True:
        result = await service.run_round()
        counts["rounds"] += 1
        if not result.claimed:
            return


async def queue(ctx: AppContext, service: MonitorService, total: int) -> None:
    """`QueueWorker` (as ``tradedock worker`` on PostgreSQL) until ``total`` connections are re-checked: scheduled
    runs and operator alerts in the database, polled every 0.2 s."""
    from tradedock.monitor.queue import QueueWorker

    stopping = asyncio.Event()

    async def watch() -> None:
        while not stopping.is_set():
            async with ctx.reading() as session:
                runs = await session.scalar(
                    select(func.count()).select_from(VerificationRun).where(VerificationRun.trigger == "schedule")
                )
                alerts = await session.scalar(
                    select(func.count()).select_from(MonitorLease).where(MonitorLease.last_error.is_not(None))
                )
            if (runs or 0) + (alerts or 0) >= total:
                stopping.set()
                return
            await asyncio.sleep(0.2)

    watcher = asyncio.create_task(watch())
    try:
        await QueueWorker(ctx, service=service).run(stopping)
    finally:
        stopping.set()
        watcher.cancel()


async def work(profile: str | None, queue_total: int | None) -> dict[str, object]:
    ctx = await open_app()
    service = MonitorService(ctx)
    counts = dict.fromkeys((*COUNTS, *OUTCOMES), 0)
    statuses: dict[str, int] = {}
    _count(service, counts, statuses)
    if queue_total is not None:
        await service.meet(asyncio.Event())  # as `tradedock worker` does before its ready line
    eventloop.settle_long_running()  # as `tradedock worker` does once started
    print("ready", flush=True)
    sys.stdin.readline()  # start together with the other workers
    # The main thread's CPU, not wall time (an await costs nothing) nor the process's (the SQLite driver's thread
    # would be charged to whatever the main thread is running meanwhile).
    profiler = cProfile.Profile(time.thread_time) if profile else None
    usage_before, started = _usage(), time.perf_counter()
    if profiler:
        profiler.enable()
    try:
        if queue_total is None:
            await rounds(ctx, service, counts)
        else:
            await queue(ctx, service, queue_total)
    finally:
        if profiler:
            profiler.disable()
            profiler.dump_stats(str(profile))
        wall, usage = time.perf_counter() - started, {k: v - usage_before[k] for k, v in _usage().items()}
        await service.aclose()
        await ctx.aclose()
    return {
        "wall_s": wall,
        "cpu_s": usage["user_s"] + usage["sys_s"],
        **usage,
        **counts,
        "peak_rss_mib": peak_rss_mib(),
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--profile", default=None)
    parser.add_argument("--unlimited", action="store_true", help="lift the per-IP budgets (see bench.sim_serve)")
    parser.add_argument("--queue", type=int, default=None, help="PostgreSQL's queue worker until N are re-checked")
    args = parser.parse_args()
    if args.unlimited:
        lift_ip_budgets()
    print(json.dumps(eventloop.run(work(args.profile, args.queue))), flush=True)


if __name__ == "__main__":
    main()
