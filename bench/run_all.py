"""Every benchmark in one run, written to docs/benchmarks.md: machine, date, method, figures and the goals.

Runs, each against simulators in their own process (`tradedock-sim serve`) where an exchange is involved:

* ``verdict`` — time to verdict vs one round trip vs ccxt's cold ``fetch_balance()`` (`bench.verdict`,
  `bench.network`), with request counts;
* ``fleet``   — the monitor re-checking N sandbox connections: one worker on SQLite, 3 on PostgreSQL
  (`bench.fleet`, profiled with py-spy);
* ``vault``   — bulk sealing, opens per second, the canary, ``vault rotate`` over 100,000 (`bench.vault_scale`);
* ``cli``     — CLI start-up against ``python -c pass`` (`bench.cli_startup`);
* ``api``     — list and get with 1,000 connections at 200 requests/s and at capacity, SQLite and PostgreSQL
  (`bench.api_load`, load from another process).

The full run takes about half an hour on a 2-core machine and writes docs/benchmarks.md. ``--quick`` runs every
benchmark at a small size in a few minutes (its goal column says "quick" where the size is not the goal's);
``--only NAME`` (repeatable) runs some. Both print the page instead of writing it unless ``--out`` is given.

    .venv/bin/python -m bench [--quick] [--only NAME]... [--out docs/benchmarks.md] [--postgres URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import api_load, cli_startup, fleet, vault_scale, verdict
from bench.common import DEFAULT_POSTGRES, load_average, machine, postgres_version
from bench.profiles import describe
from tradedock import eventloop

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
NAMES = ("verdict", "fleet", "vault", "cli", "api")


@dataclass(frozen=True)
class Sizes:
    verdict_runs: int
    fleet: int
    seal: int
    rotate: int
    cli_runs: int
    cli_connections: int
    api_connections: int
    api_seconds: float


FULL = Sizes(
    verdict_runs=5,
    fleet=10_000,
    seal=10_000,
    rotate=100_000,
    cli_runs=10,
    cli_connections=1000,
    api_connections=1000,
    api_seconds=10,
)
QUICK = Sizes(
    verdict_runs=1, fleet=200, seal=2000, rotate=5000, cli_runs=2, cli_connections=100, api_connections=1000,
    api_seconds=3,
)  # fmt: skip


@dataclass
class Goal:
    item: str
    measure: str
    goal: str
    result: str
    met: bool | None  # None: not comparable (a quick run's size is not the goal's)


@dataclass
class Section:
    title: str
    method: str
    command: str
    body: str
    seconds: float = 0.0
    goals: list[Goal] = field(default_factory=list)


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "**no**")


# --- the benchmarks ----------------------------------------------------------------------------------------


def run_verdict(sizes: Sizes, postgres: str | None) -> Section:
    results = eventloop.run(verdict.run(sizes.verdict_runs))
    goals = []
    for row in verdict.goals(results):
        if row["latency"] != 200:
            continue
        goals.append(
            Goal("1", f"{row['exchange']}: warm verification at 200 ms, in round trips", "≤ 1.3",
                 f"{row['rounds']:.2f}", row["rounds"] <= 1.3)
        )  # fmt: skip
        if row["vs_ccxt"] is not None:
            goals.append(
                Goal("1", f"{row['exchange']}: ccxt cold `fetch_balance()` ÷ warm verification at 200 ms", "≥ 5×",
                     f"{row['vs_ccxt']:.1f}×", row["vs_ccxt"] >= 5)
            )  # fmt: skip
    return Section(
        "Time to verdict vs one round trip vs ccxt (`bench/verdict.py`, `bench/network.py`)",
        "The simulators run in their own process with the network model on: every request costs one round trip "
        "(`POST /_sim/faults {latency_ms}`) and every new TCP connection two more (TLS 1.3 handshake). A healthy "
        "futures key per exchange; medians of the runs, 1.1 s apart. **Warm**: `run_verification` in a long-lived "
        "process (a server or worker) whose pooled connections are open; **cold connections**: the same after "
        "closing the pool; **CLI `check`**: `tradedock check ID --json` as a new process; **ccxt cold**: a fresh "
        "`ccxt.async_support` instance's `fetch_balance()` (it loads markets first), Bybit and Bitget (ccxt's "
        "Aster needs the main wallet). Rounds = wall ÷ round trip. Requests are counted by the simulator "
        "(`GET /_sim/requests`), at 0 ms.",
        f".venv/bin/python -m bench.verdict --runs {sizes.verdict_runs}",
        verdict.report(results),
        goals=goals,
    )


#: Connections in the fleet run py-spy samples (a run of its own, after the measured ones).
PROFILED_FLEET = 3_000

#: Rows measured by separate `python -m bench.fleet --json FILE` runs (``--fleet-from``), used instead of running.
FLEET_FROM: list[Path] = []


#: How long `run_fleet` waits for the ``--fleet-from`` files to appear (``--fleet-wait`` minutes).
FLEET_WAIT_S = [0.0]


def run_fleet(sizes: Sizes, postgres: str | None) -> Section:
    if FLEET_FROM:
        deadline = time.monotonic() + FLEET_WAIT_S[0]
        while not all(path.exists() for path in FLEET_FROM) and time.monotonic() < deadline:
            time.sleep(10)
        rows = [json.loads(path.read_text()) for path in FLEET_FROM if path.exists()]
        if not rows:
            raise SystemExit(f"none of the --fleet-from files appeared: {', '.join(map(str, FLEET_FROM))}")
    else:
        rows = [eventloop.run(fleet.run_one(sizes.fleet, 1, None, limits=False, profile=False))]
        if postgres:
            # One worker in rounds as on SQLite (the backends side by side), then three `tradedock worker`s sharing
            # the work as they do on PostgreSQL: procrastinate's queue.
            rows.append(eventloop.run(fleet.run_one(sizes.fleet, 1, postgres, limits=False, profile=False)))
            rows.append(eventloop.run(fleet.run_one(sizes.fleet, 3, postgres, limits=False, profile=False, queue=True)))
    quick = min(row["connections"] for row in rows) < FULL.fleet
    goals = []
    for row in rows:
        where = f"{row['backend']}, {row['workers']} worker{'s' if row['workers'] > 1 else ''}"
        goals += [
            Goal("2", f"fleet re-check of {row['connections']:,} connections ({where}): wall", "< 60 s",
                 f"{row['wall_s']:.1f} s", None if quick else row["wall_s"] < 60),
            Goal("2", f"TradeDock CPU per verification ({where})", "< 1 ms",
                 f"{row['cpu_ms_per_check']:.2f} ms", row["cpu_ms_per_check"] < 1),
            Goal("2", f"peak memory of a worker ({where})", "< 300 MB",
                 f"{row['peak_rss_mib'] * 1.048576:.0f} MB", None if quick else row["peak_rss_mib"] * 1.048576 < 300),
        ]  # fmt: skip
    first = rows[0]
    # The profile comes from a run of its own: a sampled worker spends CPU on being sampled, which would inflate the
    # figures the goals are read from (measured: 1.3 → 2.8 ms per verification with py-spy pausing it to sample).
    profiled = first if first.get("profile") else None
    if profiled is None and not FLEET_FROM:
        size = min(sizes.fleet, PROFILED_FLEET)
        profiled = eventloop.run(fleet.run_one(size, 1, None, limits=False, profile=True))
    body = fleet.report(rows)
    floor = first["requests"] / fleet.BYBIT_IP_PER_S
    body += (
        f"\n\nWith Bybit's per-IP limit in force (600 requests per 5 s), the {first['requests']:,} requests of "
        f"this re-check cannot leave one egress IP in less than {floor:.0f} s, whatever TradeDock does; the rows "
        "above lift that limit on both sides to measure TradeDock itself.\n\n"
        + (
            f"Profile of the worker in a separate run of {profiled['connections']:,} connections (SQLite, py-spy "
            "sampling while it holds the GIL; its CPU figures, inflated by the sampling, are not the ones above): "
            + describe(profiled["profile"])
            if profiled
            else "Profile: not taken."
        )
    )
    return Section(
        "Fleet re-check by the monitor (`bench/fleet.py`)",
        "N healthy Bybit sandbox keys are created on the simulator (its own process) and stored in bulk "
        "(`services.bulk_store`); then worker processes (`bench/fleet_worker.py`) start together and re-check every "
        "connection once, as `tradedock worker` does: on SQLite (and in `serve`) in rounds of "
        '`MonitorService.run_round`, on PostgreSQL ("queue") as procrastinate workers (`monitor.queue.QueueWorker`, '
        "its tick every second: `TRADEDOCK_MONITOR_POLL_S=1`) running re-check jobs of 128 connections each. Either "
        "way in batches of 128: one lease statement claims a batch, one query loads it, 16 "
        "verifications run at once (5 requests each on Bybit: the batch shares one server-time reading per exchange "
        "host), one transaction records the batch (version check and lease "
        "fence per row). Wall time from the start signal until the last worker is done; CPU = user + system time "
        "of the worker processes ÷ connections, and the simulator process's beside it (it shares the 2 cores); "
        "peak RSS of the largest worker. No injected latency (loopback).",
        "\n".join(
            f".venv/bin/python -m bench.fleet --connections {row['connections']} --workers {row['workers']}"
            + (" --postgres URL" if row["backend"].startswith("PostgreSQL") else "")
            + (" --queue" if row.get("queue") else "")
            + (" --profile" if row.get("profile") else "")
            for row in rows
        ),
        body,
        goals=goals,
    )


def run_vault(sizes: Sizes, postgres: str | None) -> Section:
    quick = sizes.rotate < FULL.rotate
    results = eventloop.run(vault_scale.run(sizes.seal, sizes.rotate, postgres))
    seal = results["seal"]
    goals = [
        Goal("3", "vault opens per second", "≥ 20,000/s", f"{seal['opens_per_s']:,.0f}/s",
             seal["opens_per_s"] >= 20_000),
        Goal("3", f"bulk sealing + insert ({seal['connections']:,} connections)", "≥ 2,000/s",
             f"{seal['seal_per_s']:,.0f}/s", seal["seal_per_s"] >= 2000),
    ]  # fmt: skip
    for backend, row in results["rotate"].items():
        goals.append(
            Goal("3", f"`vault rotate` over {row['connections']:,} connections ({backend})", "100k < 30 s",
                 f"{row['rotate_s']:.1f} s", None if quick else row["rotate_s"] < 30)
        )  # fmt: skip
    return Section(
        "Vault: bulk sealing, opens, rotation (`bench/vault_scale.py`)",
        "Bulk sealing: `services.bulk_store.store_many` validates, seals (a fresh data key per connection, 3 "
        "Bitget fields) and inserts N connections, 1,000 per transaction (one duplicate-key query and three "
        "executemany INSERTs per batch), SQLite file. Opens: `Vault.open_connection` (unwrap, open every field, "
        "whole-set and fingerprint checks) on every stored connection, one core. Canary: `check_vault` as every "
        "start runs it. Rotate: what `tradedock vault rotate` runs (`rotate_in_batches`: batches of 500 read and "
        "written in their own transactions, 50 ms pause between batches) from an old to a new primary master key.",
        f".venv/bin/python -m bench.vault_scale --connections {sizes.seal} --rotate {sizes.rotate}"
        + (" --postgres URL" if postgres else ""),
        vault_scale.report(results),
        goals=goals,
    )


def run_cli(sizes: Sizes, postgres: str | None) -> Section:
    rows = cli_startup.run(sizes.cli_runs, sizes.cli_connections)
    base = next(median for name, _, median, _, _ in rows if name == "python -c pass")
    lines = [
        "| command | best wall | median wall | best CPU (user+sys) | median CPU | median wall ÷ `python -c pass` |",
        "|---|---|---|---|---|---|",
    ]
    goals = []
    for name, best, median, best_cpu, cpu in rows:
        figures = " | ".join(f"{seconds * 1000:.0f} ms" for seconds in (best, median, best_cpu, cpu))
        lines.append(f"| `{name}` | {figures} | {median / base:.1f}× |")
        if name != "python -c pass":
            goals.append(Goal("4", f"`{name}` start-up (median wall)", "< 0.3 s", f"{median:.2f} s", median < 0.3))
    return Section(
        "CLI start-up (`bench/cli_startup.py`)",
        "The installed `tradedock` console script in fresh processes, as a user types it, against `python -c "
        "pass`; `list` on a home with 0 and with N connections, `show` one of them. Commands interleaved, one "
        "warm-up each (bytecode compiled first); wall time and the child's CPU time (best, median).",
        f".venv/bin/python -m bench.cli_startup --runs {sizes.cli_runs} --connections {sizes.cli_connections}",
        "\n".join(lines),
        goals=goals,
    )


def run_api(sizes: Sizes, postgres: str | None) -> Section:
    rows = eventloop.run(api_load.run(sizes.api_connections, sizes.api_seconds, postgres, profile=True))
    goals = [
        Goal("5", f"API {r['request']} ({r['backend']}): p99 at {api_load.RATE} requests/s", "< 50 ms",
             f"{r['paced']['p99_ms']:.0f} ms", r["paced"]["p99_ms"] < 50 and not r["paced"]["errors"])
        for r in rows
    ]  # fmt: skip
    worst = max(rows, key=lambda r: r["paced"]["p99_ms"])
    body = api_load.report(rows, sizes.api_connections)
    body += "\n\nProfiles of the server at capacity (py-spy, samples while it holds the GIL):\n\n" + "\n".join(
        f"- {r['backend']} {r['request']}: {describe(r['profile'])}" for r in rows if r["profile"]
    )
    body += f"\n\nWorst at {api_load.RATE}/s: {worst['backend']} {worst['request']}."
    return Section(
        "API under load (`bench/api_load.py`)",
        "`tradedock serve` in its own process (monitor off), one user with N connections stored in bulk, calling "
        "with a personal API token; load from another process (`bench/api_client.py`). At 200 requests/s: open "
        "loop, requests sent on schedule whatever the answers, latency from the scheduled time (queueing shows; a "
        'request unanswered after 10 s is an error). Capacity: 16 clients in a closed loop. "list" is `GET '
        '/api/v1/connections` (first page of 50), "get" `GET /api/v1/connections/{id}` over every id in turn. '
        "Server CPU per request: the server process's user + system time during the paced run ÷ requests.",
        f".venv/bin/python -m bench.api_load --connections {sizes.api_connections} --duration {sizes.api_seconds:g}"
        + (" --postgres URL" if postgres else ""),
        body,
        goals=goals,
    )


RUNNERS: dict[str, Callable[[Sizes, str | None], Section]] = {
    "verdict": run_verdict,
    "fleet": run_fleet,
    "vault": run_vault,
    "cli": run_cli,
    "api": run_api,
}


# --- the page ----------------------------------------------------------------------------------------------


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def page(sections: list[Section], facts: dict[str, Any], quick: bool) -> str:
    m = facts["machine"]
    out = [
        "# Benchmarks",
        "",
        "Generated by `.venv/bin/python -m bench` (`bench/run_all.py`); do not edit by hand — change the benchmark "
        "and run it again. Speed and memory goals are checked here, never by timed assertions in tests. The "
        "machine is shared and noisy (see the load average): ratios against the physical limit and against what a "
        "user would use instead, measured side by side in one run, mean more than absolute times.",
        "",
        f"**Machine:** {m['cpu']}, {m['cores']} cores, {m['ram']} RAM, {m['os']}, Python {m['python']}, "
        f"SQLite {m['sqlite']}, PostgreSQL {facts['postgres'] or 'not used'}.  ",
        f"**Run:** {facts['started']} UTC, commit {facts['commit']}, {'`--quick`' if quick else 'full'}, "
        f"{facts['minutes']:.0f} min; load average (1, 5, 15 min) {facts['load_before']} before, "
        f"{facts['load_after']} after.",
        "",
        "## Goals",
        "",
        "| # | measure | goal | result | met? |",
        "|---|---|---|---|---|",
    ]
    for section in sections:
        for goal in section.goals:
            out.append(f"| {goal.item} | {goal.measure} | {goal.goal} | {goal.result} | {_met(goal.met)} |")
    if quick:
        out += ["", "A `--quick` run: sizes are smaller than the goals' where marked —."]
    for section in sections:
        out += [
            "",
            f"## {section.title}",
            "",
            section.method,
            "",
            "```",
            section.command,
            "```",
            "",
            section.body,
            "",
            f"_({section.seconds:.0f} s)_",
        ]
    for extra in ("NOTES.md", "EARLIER.md"):  # hand-written reading, then the lanes' earlier sections
        path = ROOT / "bench" / extra
        if path.exists():
            out += ["", path.read_text().strip()]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every benchmark at a small size (a few minutes)")
    parser.add_argument("--only", action="append", choices=NAMES, help="run only this benchmark (repeatable)")
    parser.add_argument("--out", default=None, help=f"write the page here ('-': print); default {DOC} for a full run")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server for the PostgreSQL runs")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--fleet-from", action="append", help="use a `bench.fleet --json FILE` row instead of running (repeatable)"
    )
    parser.add_argument("--fleet-wait", type=float, default=0, help="minutes to wait for the --fleet-from files")
    parser.add_argument("--verdict-runs", type=int, default=None, help="runs per time-to-verdict row")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.verdict_runs:
        sizes = dataclasses.replace(sizes, verdict_runs=args.verdict_runs)
    FLEET_WAIT_S[0] = args.fleet_wait * 60
    names = list(dict.fromkeys(args.only or NAMES))  # in the order given
    postgres = None if args.no_postgres else args.postgres
    pg_version = eventloop.run(postgres_version(postgres)) if postgres else None
    if postgres and pg_version is None:
        print(f"PostgreSQL unreachable at {postgres}: SQLite only", file=sys.stderr)
        postgres = None
    started, load_before = datetime.now(UTC), load_average()
    clock = time.perf_counter()
    out = args.out or ("-" if args.quick or set(names) != set(NAMES) else str(DOC))
    FLEET_FROM.extend(Path(path) for path in args.fleet_from or [])
    sections: list[Section] = []
    text = ""
    for name in names:
        print(f"bench: {name}…", file=sys.stderr, flush=True)
        began = time.perf_counter()
        section = RUNNERS[name](sizes, postgres)
        section.seconds = time.perf_counter() - began
        sections.append(section)
        facts = {
            "machine": machine(),
            "postgres": pg_version if postgres else None,
            "started": started.strftime("%Y-%m-%d %H:%M"),
            "commit": _commit(),
            "minutes": (time.perf_counter() - clock) / 60,
            "load_before": load_before,
            "load_after": load_average(),
        }
        text = page(sections, facts, args.quick)
        if out != "-":  # after every benchmark, so a long run stopped early keeps what it measured
            Path(out).write_text(text)
    if out == "-":
        print(text)
    else:
        print(f"bench: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
