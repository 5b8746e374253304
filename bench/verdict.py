"""Time to verdict: TradeDock's verification against one round trip and against ccxt's cold ``fetch_balance()``.

The timings are `bench.network`'s (issue 19: the simulators in their own process charging each request one round
trip and each new connection its TLS 1.3 handshake; warm in-process verification, cold connections, the CLI, and
a fresh ccxt instance's ``fetch_balance()``). This module adds what each sends: the exchange requests one
verification and one cold ccxt ``fetch_balance()`` cost, counted by the simulator (`GET /_sim/requests`).

    .venv/bin/python -m bench.verdict [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench import network
from bench.common import Sims
from tradedock import eventloop
from tradedock.config import load_settings
from tradedock.domain import ExchangeId
from tradedock.exchanges.registry import get_exchange
from tradedock.services.context import open_app
from tradedock.services.verifying import run_verification

CCXT_EXCHANGES = (ExchangeId.BYBIT, ExchangeId.BITGET)


async def request_counts() -> dict[str, dict[str, int | None]]:
    """Exchange requests per warm verification and per cold ccxt ``fetch_balance()``, per exchange."""
    sims = Sims()
    counts: dict[str, dict[str, int | None]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(
                home=Path(tmp), database_url=None, master_key=None, master_key_file=None, sandbox_urls=sims.urls
            )
            ctx = await open_app(settings)
            try:
                async with httpx.AsyncClient(timeout=30) as control:
                    for exchange in ExchangeId:
                        url = sims.urls[exchange.value]
                        preset = (await control.post(f"{url}/_sim/scenarios/healthy", json={"reset": True})).json()
                        credentials = get_exchange(exchange).spec.credentials(preset["credentials"])
                        await run_verification(ctx.access, settings, credentials, network.TARGET)
                        await asyncio.sleep(network.SPACING_S)
                        before = await sims.requests_served(exchange.value)
                        await run_verification(ctx.access, settings, credentials, network.TARGET)
                        ours = await sims.requests_served(exchange.value) - before
                        theirs = None
                        if exchange in CCXT_EXCHANGES:
                            await asyncio.sleep(network.SPACING_S)
                            before = await sims.requests_served(exchange.value)
                            instance = network._ccxt(exchange, url, preset["credentials"])
                            try:
                                await instance.fetch_balance()
                            finally:
                                await instance.close()
                            theirs = await sims.requests_served(exchange.value) - before
                        counts[exchange.value] = {"tradedock": ours, "ccxt": theirs}
            finally:
                await ctx.aclose()
    finally:
        sims.stop()
    return counts


async def run(runs: int) -> dict[str, Any]:
    return {"timings": await network.measure(runs), "requests": await request_counts()}


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per exchange at 200 ms: warm rounds (≤ 1.3) and ccxt cold ÷ warm (≥ 5)."""
    ccxt = {(r["exchange"], r["latency"]): r["wall"] for r in results["timings"]["ccxt"]}
    rows = []
    for row in results["timings"]["warm"]:
        key = (row["exchange"], row["latency"])
        rows.append(
            {
                "exchange": row["exchange"],
                "latency": row["latency"],
                "rounds": row["wall"] / row["latency"],
                "vs_ccxt": ccxt[key] / row["wall"] if key in ccxt else None,
            }
        )
    return rows


def report(results: dict[str, Any]) -> str:
    counts = results["requests"]
    lines = [network.report(results["timings"]), "", "| exchange | requests per verification | requests per ccxt "
             "cold `fetch_balance()` |", "|---|---|---|"]  # fmt: skip
    for exchange, row in counts.items():
        theirs = "—" if row["ccxt"] is None else str(row["ccxt"])
        lines.append(f"| {exchange} | {row['tradedock']} | {theirs} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(report(eventloop.run(run(args.runs))))


if __name__ == "__main__":
    main()
