"""How long one full verification takes as the exchange's latency grows: about one round trip, not the sum.

Runs the real connection path (`services.verifying.run_verification`: adapters, one concurrent round, checks)
against the simulators on real loopback ports, with the simulator's `latency_ms` fault injected on every
request. Prints a Markdown table: exchange, injected latency, signed reads per verification, median and p95 wall
time, and the time the same reads would take one after another. Runs are 1.1 s apart, as real re-checks are,
so per-key rate limits (e.g. Bybit query-api 10/s per UID) are not what is measured.

    .venv/bin/python -m bench.verify_latency [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

from tradedock import eventloop
from tradedock.config import load_settings
from tradedock.domain import Environment, ExchangeId, Scope
from tradedock.exchanges.registry import get_exchange
from tradedock.services.context import open_app
from tradedock.services.verifying import Target, run_verification
from tradedock_sim.server import start_background

LATENCIES_MS = (0, 100, 300)


async def measure(runs: int) -> list[tuple[str, int, int, float, float, int]]:
    rows = []
    with start_background() as sims, TemporaryDirectory() as tmp:
        settings = load_settings(
            home=Path(tmp),
            database_url=None,
            master_key=None,
            master_key_file=None,
            sandbox_urls=sims.urls,
            egress_ips=("127.0.0.1",),
        )
        ctx = await open_app(settings)
        try:
            async with httpx.AsyncClient(timeout=30) as control:
                for exchange in ExchangeId:
                    url = sims.urls[exchange.value]
                    preset = (await control.post(f"{url}/_sim/scenarios/healthy", json={"reset": True})).json()
                    credentials = get_exchange(exchange).spec.credentials(preset["credentials"])
                    for latency in LATENCIES_MS:
                        await control.post(f"{url}/_sim/faults", json={"latency_ms": latency})
                        times, requests = [], 0
                        for _ in range(runs):
                            await asyncio.sleep(1.1)  # stay inside per-key limits (Bybit query-api: 10/s per UID)
                            before = len(sims.apps[exchange.value].state.sim.requests)
                            started = time.perf_counter()
                            report = await run_verification(
                                ctx.access, settings, credentials, Target(Environment.SANDBOX, Scope.FUTURES, None)
                            )
                            times.append((time.perf_counter() - started) * 1000)
                            requests = len(sims.apps[exchange.value].state.sim.requests) - before
                            assert report.status.value == "connected", report.to_dict()
                        times.sort()
                        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                        rows.append(
                            (exchange.value, latency, requests, statistics.median(times), p95, requests * latency)
                        )
                    await control.post(f"{url}/_sim/faults", json={})
        finally:
            await ctx.aclose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    rows = eventloop.run(measure(args.runs))
    print("| exchange | injected latency | requests | median | p95 | same requests one after another |")
    print("|---|---|---|---|---|---|")
    for exchange, latency, requests, median, p95, serial in rows:
        print(f"| {exchange} | {latency} ms | {requests} | {median:.0f} ms | {p95:.0f} ms | ≥ {serial} ms |")


if __name__ == "__main__":
    main()
