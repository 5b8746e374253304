"""CPU of one warm server-side verification, per exchange, and where it goes (issue 19's 5 ms goal).

The simulators run in their own process (`tradedock-sim serve`, no latency, no handshake charge), so only our side
is measured: `services.verifying.run_verification` on one long-lived `AppContext` whose pooled connections are
open, as in a server or worker. Each exchange gets ``--keys`` healthy keys, used in turn, so a key's per-UID
budgets (Bitget's account info: 1 request/s) never make a verification wait. CPU is the verifying thread's
(`time.thread_time`), median and mean over the verifications of ``--runs`` that read everything (status
``connected``: Aster's per-IP weight budget, 2400/min, refuses reads after ~15 verifications in a row, and a
verification that sent fewer requests would flatter the figure).

    .venv/bin/python -m bench.warm_cpu [--runs 200] [--keys 40] [--profile EXCHANGE] [--top 30]

``--profile bybit`` also runs cProfile (CPU timer) over that exchange's verifications and prints the top functions
by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

from bench.network import TARGET, Sims
from tradedock import eventloop
from tradedock.config import load_settings
from tradedock.domain import Credentials, ExchangeId
from tradedock.exchanges.registry import get_exchange
from tradedock.services.context import open_app
from tradedock.services.verifying import run_verification

WARM_UP = 5


async def _keys(control: httpx.AsyncClient, url: str, exchange: ExchangeId, count: int) -> list[Credentials]:
    spec = get_exchange(exchange).spec
    keys = []
    for index in range(count):
        answer = await control.post(f"{url}/_sim/scenarios/healthy", json={"reset": index == 0})
        keys.append(spec.credentials(answer.json()["credentials"]))
    await control.post(f"{url}/_sim/faults", json={})
    await control.post(f"{url}/_sim/network", json={"handshake": "none"})
    return keys


async def measure(runs: int, key_count: int, profile: str | None, top: int) -> list[dict[str, object]]:
    """Per exchange: median and mean CPU (ms) per warm verification, the statuses seen, and the profile text."""
    sims = Sims()
    try:
        with TemporaryDirectory() as tmp:
            settings = load_settings(
                home=Path(tmp), database_url=None, master_key=None, master_key_file=None, sandbox_urls=sims.urls
            )
            ctx = await open_app(settings)
            rows: list[dict[str, object]] = []
            try:
                async with httpx.AsyncClient(timeout=30) as control:
                    for exchange in ExchangeId:
                        keys = await _keys(control, sims.urls[exchange.value], exchange, key_count)
                        for index in range(WARM_UP):
                            await run_verification(ctx.access, settings, keys[index % len(keys)], TARGET)
                        profiler = cProfile.Profile(time.thread_time) if profile == exchange.value else None
                        cpu: list[float] = []
                        statuses: set[str] = set()
                        for index in range(runs):
                            credentials = keys[index % len(keys)]
                            before = time.thread_time()
                            if profiler is not None:
                                profiler.enable()
                            report = await run_verification(ctx.access, settings, credentials, TARGET)
                            if profiler is not None:
                                profiler.disable()
                            if report.status.value == "connected":
                                cpu.append((time.thread_time() - before) * 1000)
                            statuses.add(report.status.value)
                        text = ""
                        if profiler is not None:
                            out = io.StringIO()
                            stats = pstats.Stats(profiler, stream=out)
                            stats.sort_stats("tottime").print_stats(top)
                            stats.sort_stats("cumulative").print_stats(top)
                            text = out.getvalue()
                        rows.append(
                            {
                                "exchange": exchange.value,
                                "median": statistics.median(cpu),
                                "mean": statistics.fmean(cpu),
                                "counted": len(cpu),
                                "statuses": sorted(statuses),
                                "profile": text,
                            }
                        )
            finally:
                await ctx.aclose()
            return rows
    finally:
        sims.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--keys", type=int, default=40)
    parser.add_argument("--profile", choices=[e.value for e in ExchangeId])
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    rows = eventloop.run(measure(args.runs, args.keys, args.profile, args.top))
    print("| exchange | CPU per warm verification: median | mean | verifications counted | statuses seen |")
    print("|---|---|---|---|---|")
    for row in rows:
        statuses = ", ".join(row["statuses"])  # type: ignore[arg-type]
        print(f"| {row['exchange']} | {row['median']:.1f} ms | {row['mean']:.1f} ms | {row['counted']} | {statuses} |")
    for row in rows:
        if row["profile"]:
            print(row["profile"])


if __name__ == "__main__":
    main()
