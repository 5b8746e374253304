"""Fleet re-check: the monitor re-checks N sandbox connections; simulator and workers each in their own process.

N healthy Bybit keys are created on the simulator (`tradedock-sim serve`, its own process) and stored in bulk
(`services.bulk_store`); then W worker processes (`bench.fleet_worker`: rounds of `MonitorService.run_round`, or
with ``--queue`` PostgreSQL's queue workers; either way batches of 128 claimed with one statement, 16 verifications
at once, one record transaction per batch, as ``tradedock worker`` runs them) start together and re-check every
connection once. Reported: wall time from the
start signal until the last worker is done, TradeDock's CPU time (user + system of the workers) per verification,
the simulator process's CPU time per verification and per request beside it (the simulator shares this machine's
cores: what it needs is part of the physical limit here), the largest worker's peak RSS, the runs recorded, and
the 1-minute load average before the workers start → at the end.

By default the exchanges' per-IP limits are lifted on both sides (``--limits`` keeps them): Bybit allows 600
requests per 5 s per IP, so with them N verifications of ~6 requests cannot take less than N × 6 / 120 seconds
from one egress IP (10,000 → 500 s), whatever TradeDock does; lifted, the figure is TradeDock's own capacity.

    .venv/bin/python -m bench.fleet [--connections 10000] [--workers 1] [--postgres URL] [--limits] [--profile]
        [--cprofile FILE] [--json FILE] [--queue]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import func, select

from bench import fleet_worker
from bench.common import Sims, postgres_database, process_cpu_seconds, sandbox_keys, seed_bybit
from bench.profiles import describe, summarize
from tradedock import eventloop
from tradedock.config import load_settings
from tradedock.db.models import VerificationRun
from tradedock.services.context import open_app

#: Sampling profiler for the first worker (``--profile``): collapsed stacks of the thread holding the GIL.
_PY_SPY = [
    str(Path(sys.executable).with_name("py-spy")),
    "record",
    "--gil",
    "--nonblocking",  # sample without pausing the worker (pausing it inflates its CPU figures)
    "--format",
    "raw",
    "--rate",
    "200",
    "--output",
]
#: The queue workers' tick (``TRADEDOCK_MONITOR_POLL_S``, 5 s by default): how often due connections are queued,
#: up to 2,000 a tick; at 1 s the queue keeps ahead of the workers, so the tick's pace is not what is measured.
QUEUE_TICK_S = 1
#: Bybit's documented per-IP limit, requests per second (600 per 5 s).
BYBIT_IP_PER_S = 120


async def _seed(home: Path, database_url: str | None, sims: Sims, count: int) -> float:
    keys = await sandbox_keys(sims.urls["bybit"], count)
    settings = load_settings(
        home=home, database_url=database_url, master_key=None, master_key_file=None, sandbox_urls=sims.urls
    )
    ctx = await open_app(settings)
    try:
        started = time.perf_counter()
        await seed_bybit(ctx, "fleet", keys)
        return time.perf_counter() - started
    finally:
        await ctx.aclose()


async def _runs(home: Path, database_url: str | None) -> dict[str, int]:
    ctx = await open_app(load_settings(home=home, database_url=database_url, master_key=None, master_key_file=None))
    try:
        async with ctx.reading() as session:
            rows = await session.execute(
                select(VerificationRun.status, func.count())
                .where(VerificationRun.trigger == "schedule")
                .group_by(VerificationRun.status)
            )
            return {status: int(n) for status, n in rows.all()}
    finally:
        await ctx.aclose()


def _workers(
    home: Path,
    database_url: str | None,
    urls: dict[str, str],
    count: int,
    args: list[str],
    profile: bool,
    cprofile: str | None = None,
    queue: bool = False,
) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEDOCK_")}
    env.update(TRADEDOCK_HOME=str(home), TRADEDOCK_SANDBOX_URLS=json.dumps(urls))
    if queue:
        env["TRADEDOCK_MONITOR_POLL_S"] = str(QUEUE_TICK_S)
    if database_url:
        env["TRADEDOCK_DATABASE_URL"] = database_url
    logs = [open(home / f"worker{i}.log", "w") for i in range(count)]  # noqa: SIM115
    procs = [
        subprocess.Popen(
            [
                *([*_PY_SPY, str(home / "w0.stacks"), "--"] if profile and i == 0 else []),
                sys.executable,
                "-m",
                "bench.fleet_worker",
                *args,
                *(["--profile", cprofile] if cprofile and i == 0 else []),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=logs[i],
            env=env,
            text=True,
        )
        for i in range(count)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            while line.startswith("py-spy>") or not line.strip():
                line = proc.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"worker did not start: {line!r}; see {home}/worker*.log")
        started = time.perf_counter()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, _ = proc.communicate(timeout=3600)
            results.append(json.loads(next(x for x in out.splitlines() if x.startswith("{"))))
        wall = time.perf_counter() - started
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for log in logs:
            log.close()
    return {"wall_s": wall, "workers": results}


async def run_one(
    count: int,
    workers: int,
    postgres: str | None,
    *,
    limits: bool,
    profile: bool,
    cprofile: str | None = None,
    queue: bool = False,
) -> dict[str, Any]:
    if queue and not postgres:
        raise SystemExit("--queue needs --postgres (the queue worker is PostgreSQL's)")
    sims = Sims(unlimited=not limits, exchanges="bybit")
    try:
        with TemporaryDirectory() as tmp:
            home = Path(tmp)
            if postgres:
                async with postgres_database(postgres) as url:
                    return await _measure(home, url, sims, count, workers, limits, profile, cprofile, queue)
            return await _measure(home, None, sims, count, workers, limits, profile, cprofile)
    finally:
        sims.stop()


async def _measure(
    home: Path,
    url: str | None,
    sims: Sims,
    count: int,
    workers: int,
    limits: bool,
    profile: bool,
    cprofile: str | None = None,
    queue: bool = False,
) -> dict[str, Any]:
    seed_s = await _seed(home, url, sims, count)
    load_before = os.getloadavg()[0]
    requests_before = await sims.requests_served("bybit")
    sim_cpu_before = process_cpu_seconds(sims.process.pid)
    args = ([] if limits else ["--unlimited"]) + (["--queue", str(count)] if queue else [])
    done = await asyncio.to_thread(_workers, home, url, sims.urls, workers, args, profile, cprofile, queue)
    sim_cpu = process_cpu_seconds(sims.process.pid) - sim_cpu_before
    requests = await sims.requests_served("bybit") - requests_before
    runs = await _runs(home, url)
    cpu = sum(w["cpu_s"] for w in done["workers"])
    per_check = max(count, 1)
    total = {k: sum(w.get(k, 0) for w in done["workers"]) for k in _WORKER_COUNTS}
    return {
        "connections": count,
        "workers": workers,
        "backend": ("PostgreSQL, queue" if queue else "PostgreSQL") if url else "SQLite",
        "queue": queue,
        "limits": limits,
        "seed_s": seed_s,
        "wall_s": done["wall_s"],
        "cpu_ms_per_check": cpu / max(count, 1) * 1000,
        "sim_cpu_ms_per_check": sim_cpu / max(count, 1) * 1000,
        "sim_cpu_ms_per_request": sim_cpu / max(requests, 1) * 1000,
        "loadavg": os.getloadavg()[0],
        "loadavg_before": load_before,
        "peak_rss_mib": max(w["peak_rss_mib"] for w in done["workers"]),
        "runs": runs,
        "checked": sum(w["checked"] for w in done["workers"]),
        "statuses": _merged(w["statuses"] for w in done["workers"]),
        "failed": sum(w["failed"] for w in done["workers"]),
        "lost": sum(w["lost"] for w in done["workers"]),
        "log_tail": (home / "worker0.log").read_text()[-3000:],
        "requests": requests,
        "floor_s": requests / BYBIT_IP_PER_S,
        "profile": summarize(home / "w0.stacks") if profile else None,
        # py-spy's raw stacks, for a closer look than `summarize` gives (``--json``).
        "stacks": (home / "w0.stacks").read_text() if profile and (home / "w0.stacks").exists() else None,
        # How the workers' CPU splits and what they did to the database (see `worker_line`).
        "user_ms_per_check": total["user_s"] / per_check * 1000,
        "sys_ms_per_check": total["sys_s"] / per_check * 1000,
        "nvcsw_per_check": total["nvcsw"] / per_check,
        "nivcsw_per_check": total["nivcsw"] / per_check,
        "migrations_per_check": total["migrations"] / per_check,
        "runqueue_wait_s": total["runqueue_wait_s"],
        **{k: total[k] for k in fleet_worker.COUNTS},
        "mean_batch": total["batch_items"] / max(total["batches"], 1),
    }


#: What each worker reports beside its CPU (`bench.fleet_worker`): rusage, then its database round counts.
_USAGE = ("user_s", "sys_s", "nvcsw", "nivcsw", "migrations", "runqueue_wait_s")
_WORKER_COUNTS = (*_USAGE, *fleet_worker.COUNTS)


def _merged(parts: Any) -> dict[str, int]:
    merged: dict[str, int] = {}
    for part in parts:
        for status, n in part.items():
            merged[status] = merged.get(status, 0) + n
    return merged


def worker_line(r: dict[str, Any]) -> str:
    """The workers' CPU split (user / system), context switches (voluntary / involuntary) and migrations per
    verification, the time they were runnable but waited for a core, and their claims, batches (mean size) and
    heartbeats, all workers together."""
    if "user_ms_per_check" not in r:
        return ""
    return (
        f"workers: user {r['user_ms_per_check']:.3f} + system {r['sys_ms_per_check']:.3f} ms per verification; "
        f"context switches per verification {r['nvcsw_per_check']:.2f} voluntary, {r['nivcsw_per_check']:.2f} "
        f"involuntary, {r['migrations_per_check']:.2f} migrations between cores; runnable but waiting for a core "
        f"{r['runqueue_wait_s']:.2f} s in all; {r['rounds']} rounds, {r['claims']} claims ({r['empty_claims']} empty), "
        f"{r['batches']} batches (mean {r['mean_batch']:.1f}), {r['heartbeats']} heartbeats; scheduled "
        f"{r.get('scheduled', 0)} with {r.get('schedule_cpu_ms', 0)} ms of CPU"
    )


def report(rows: list[dict[str, Any]]) -> str:
    """The table; the simulator's CPU (its own process, serving every request) sits beside TradeDock's: on this
    machine's 2 cores the two together are the physical limit (rows measured before it was recorded show —)."""
    lines = [
        "| connections | backend | workers | exchange per-IP limit | wall | per second | TradeDock CPU per "
        "verification | simulator CPU per verification (per request) | peak RSS (largest worker) | requests "
        "| runs recorded | not checked | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        runs = ", ".join(f"{status} {n:,}" for status, n in sorted(r["runs"].items()))
        limit = f"in force (floor {r['floor_s']:.0f} s)" if r["limits"] else "lifted"
        sim = (
            f"{r['sim_cpu_ms_per_check']:.2f} ms ({r['sim_cpu_ms_per_request']:.2f} ms)"
            if "sim_cpu_ms_per_check" in r
            else "—"
        )
        load = f"{r['loadavg_before']:.1f} → {r['loadavg']:.1f}" if "loadavg_before" in r else "—"
        lines.append(
            f"| {r['connections']:,} | {r['backend']} | {r['workers']} | {limit} | {r['wall_s']:.1f} s "
            f"| {r['connections'] / r['wall_s']:.0f} | {r['cpu_ms_per_check']:.2f} ms | {sim} "
            f"| {r['peak_rss_mib']:.0f} MiB | {r['requests']:,} | {runs} | {r['failed']} failed, {r['lost']} lost "
            f"| {load} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres", default=None, help="postgresql+psycopg://… (a scratch database is used)")
    parser.add_argument("--limits", action="store_true", help="keep the exchanges' per-IP limits")
    parser.add_argument("--profile", action="store_true", help="py-spy the first worker; print what dominates")
    parser.add_argument("--cprofile", default=None, help="also cProfile the first worker's rounds into this file")
    parser.add_argument("--json", default=None, help="also write the row here (`python -m bench --fleet-from`)")
    parser.add_argument(
        "--queue",
        action="store_true",
        help="PostgreSQL's queue workers, as `tradedock worker` runs there",
    )
    args = parser.parse_args()
    row = eventloop.run(
        run_one(
            args.connections,
            args.workers,
            args.postgres,
            limits=args.limits,
            profile=args.profile,
            cprofile=args.cprofile,
            queue=args.queue,
        )
    )
    if args.json:
        Path(args.json).write_text(json.dumps(row))
    print(report([row]))
    print(worker_line(row))
    if row["profile"]:
        print("\nProfile of the first worker: " + describe(row["profile"]))


if __name__ == "__main__":
    main()
