"""One monitor worker for `bench.fleet`, in its own process: prints "ready", waits for a line on stdin, runs rounds
of `MonitorService.run_round` until one finds nothing due, then prints one JSON line: wall time, this process's
CPU time and peak memory, statuses.

Settings come from the environment (``TRADEDOCK_HOME``, ``TRADEDOCK_DATABASE_URL``, ``TRADEDOCK_SANDBOX_URLS``,
``TRADEDOCK_MONITOR_BATCH``…), as for ``tradedock worker``. ``--profile FILE`` writes a cProfile of the rounds.

    .venv/bin/python -m bench.fleet_worker [--profile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import json
import sys
import time

from bench.common import cpu_seconds, peak_rss_mib
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


async def work(profile: str | None) -> dict[str, object]:
    ctx = await open_app()
    service = MonitorService(ctx)
    eventloop.settle_long_running()  # as `tradedock worker` does once started
    statuses: dict[str, int] = {}
    checked = failed = lost = 0
    print("ready", flush=True)
    sys.stdin.readline()  # start together with the other workers
    profiler = cProfile.Profile() if profile else None
    cpu_before, started = cpu_seconds(), time.perf_counter()
    if profiler:
        profiler.enable()
    try:
        while True:
            result = await service.run_round()
            checked, failed, lost = checked + result.checked, failed + result.failed, lost + result.lost
            for status, count in result.statuses.items():
                statuses[status] = statuses.get(status, 0) + count
            if not result.claimed:
                break
    finally:
        if profiler:
            profiler.disable()
            profiler.dump_stats(str(profile))
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
        await service.aclose()
        await ctx.aclose()
    return {
        "wall_s": wall,
        "cpu_s": cpu,
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
