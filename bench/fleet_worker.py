"""One monitor worker for `bench.fleet`, in its own process: prints "ready", waits for a line on stdin, runs rounds
of `MonitorService.run_round` until one finds nothing due, then prints one JSON line: wall time, this process's
CPU time (user and system apart) and peak memory, its context switches (voluntary: it waited; involuntary: the
kernel descheduled it), statuses, and its database round counts (rounds, claims, batches recorded, heartbeats).

Settings come from the environment (``TRADEDOCK_HOME``, ``TRADEDOCK_DATABASE_URL``, ``TRADEDOCK_SANDBOX_URLS``,
``TRADEDOCK_MONITOR_BATCH``…), as for ``tradedock worker``. ``--profile FILE`` writes a cProfile of the rounds
(the main thread's CPU time).

    .venv/bin/python -m bench.fleet_worker [--profile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import json
import resource
import sys
import time

from bench.common import peak_rss_mib
from tradedock import eventloop
from tradedock.services.context import open_app
from tradedock.services.monitor import MonitorService


def lift_ip_budgets() -> None:
    """Drop TradeDock's per-IP budgets (as if leaving from enough egress IPs); per-account limits stay."""
    from tradedock.exchanges.aster import endpoints as aster
    from tradedock.exchanges.bitget import endpoints as bitget
    from tradedock.exchanges.bybit import endpoints as bybit

    for module in (aster, bitget, bybit):
        module.RATES = dataclasses.replace(module.RATES, ip=None)


def _count(service: MonitorService, counts: dict[str, int]) -> None:
    """Count the worker's claims (and the empty ones), batches checked (and their items), heartbeats, and the
    connections it scheduled (`schedule_new`, the first round after a bulk import) with the CPU that took."""
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
        return await check_batch(connection_ids)

    async def counted_heartbeat(*, checks: int = 0, deliveries: int = 0) -> None:
        counts["heartbeats"] += 1
        await heartbeat(checks=checks, deliveries=deliveries)

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


async def work(profile: str | None) -> dict[str, object]:
    ctx = await open_app()
    service = MonitorService(ctx)
    counts = dict.fromkeys(
        ("rounds", "claims", "empty_claims", "batches", "batch_items", "heartbeats", "scheduled", "schedule_cpu_ms"), 0
    )
    _count(service, counts)
    eventloop.settle_long_running()  # as `tradedock worker` does once started
    statuses: dict[str, int] = {}
    checked = failed = lost = 0
    print("ready", flush=True)
    sys.stdin.readline()  # start together with the other workers
    # The main thread's CPU, not wall time (an await costs nothing) nor the process's (the SQLite driver's thread
    # would be charged to whatever the main thread is running meanwhile).
    profiler = cProfile.Profile(time.thread_time) if profile else None
    usage_before, started = _usage(), time.perf_counter()
    if profiler:
        profiler.enable()
    try:
        while True:
            result = await service.run_round()
            counts["rounds"] += 1
            checked, failed, lost = checked + result.checked, failed + result.failed, lost + result.lost
            for status, count in result.statuses.items():
                statuses[status] = statuses.get(status, 0) + count
            if not result.claimed:
                break
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
        "checked": checked,
        "failed": failed,
        "lost": lost,
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--profile", default=None)
    parser.add_argument("--unlimited", action="store_true", help="lift the per-IP budgets (see bench.sim_serve)")
    args = parser.parse_args()
    if args.unlimited:
        lift_ip_budgets()
    print(json.dumps(eventloop.run(work(args.profile))), flush=True)


if __name__ == "__main__":
    main()
