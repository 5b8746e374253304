"""Verification over an honest network: the simulators charge each new TCP connection its TLS 1.3 handshake.

Issue 19's benchmark, in one run, at 50 and 200 ms per round trip with the simulators' network model on
(`POST /_sim/network {"handshake": "tls1.3"}`: a new connection pays 2 round trips before its first request):

* **warm** — server-side verification in a long-lived process (`services.verifying.run_verification` on one
  `AppContext`): the pooled connections are already open, as in a server or worker. Wall time in rounds
  (wall / round trip) and CPU of the verifying thread per verification (`time.thread_time`).
* **cold connections** — the same, with the process's pooled connections closed first: every verification opens
  new connections and pays their handshakes, which is the network part of a cold CLI command.
* **CLI `check`** — `tradedock check ID --json` as a new process: "verification" is the report's `duration_ms`
  (the verification inside the command: first-use imports of the adapter, new connections, handshakes, every read
  and check); its rounds are what the network adds: (duration − duration at 0 ms without handshakes) / round
  trip. "Whole command" adds Python start-up, database and vault.
* **ccxt cold** — a fresh `ccxt.async_support` instance doing `fetch_balance()` (which loads markets first), the
  usual script; same handshake charge. Bybit and Bitget (ccxt's Aster needs the main wallet as signer).

The simulators run in their own process (`tradedock-sim serve`), so their CPU does not share our GIL. Runs of one
key are 1.1 s apart (Bitget's account info allows 1 request/s per UID). Medians of ``--runs``.

    .venv/bin/python -m bench.network [--runs 5]

**Stable entry points** (the bench runner, ``bench/run_all.py`` and ``bench/verdict.py``, call them; keep their
signatures): ``await measure(runs) -> {"warm": [...], "cold": [...], "ccxt": [...]}`` (rows as built below; starts
and stops its own simulators), ``report(results) -> str`` (the markdown table and its footnote for
docs/benchmarks.md), ``TARGET``, ``SPACING_S`` and ``_ccxt(exchange, url, credentials)`` (a ccxt instance pointed
at a simulator).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import ccxt.async_support as ccxt_async
import httpx

from tradedock import eventloop
from tradedock.config import load_settings
from tradedock.domain import ContractType, Environment, ExchangeId, Scope
from tradedock.exchanges.pool import aclose_clients
from tradedock.exchanges.registry import get_exchange
from tradedock.services.context import open_app
from tradedock.services.verifying import Target, run_verification

LATENCIES_MS = (50, 200)
HANDSHAKE = "tls1.3"
SPACING_S = 1.1
TARGET = Target(Environment.SANDBOX, Scope.FUTURES, ContractType.USDT_M)
TRADEDOCK = str(Path(sys.executable).with_name("tradedock"))


async def _network(control: httpx.AsyncClient, url: str, latency_ms: int, handshake: str) -> None:
    await control.post(f"{url}/_sim/faults", json={"latency_ms": latency_ms})
    await control.post(f"{url}/_sim/network", json={"handshake": handshake})


async def _timed(runs: int, once: Callable[[], Awaitable[Any]]) -> list[float]:
    times = []
    for _ in range(runs):
        await asyncio.sleep(SPACING_S)
        started = time.perf_counter()
        await once()
        times.append((time.perf_counter() - started) * 1000)
    return times


class Sims:
    """The simulators in their own process (`tradedock-sim serve`), so their CPU never shares our GIL."""

    def __init__(self) -> None:
        command = [str(Path(sys.executable).with_name("tradedock-sim")), "serve"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.urls: dict[str, str] = json.loads(self.process.stdout.readline())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


async def in_process(sims: Sims, home: Path, presets: dict[ExchangeId, dict[str, Any]], runs: int) -> list[dict]:
    """Warm (pooled connections already open) and cold (pool closed first, so new connections) verifications."""
    settings = load_settings(
        home=home, database_url=None, master_key=None, master_key_file=None, sandbox_urls=sims.urls
    )
    ctx = await open_app(settings)
    rows = []
    try:
        async with httpx.AsyncClient(timeout=30) as control:
            for exchange, preset in presets.items():
                url = sims.urls[exchange.value]
                credentials = get_exchange(exchange).spec.credentials(preset["credentials"])
                for latency in LATENCIES_MS:
                    await _network(control, url, latency, HANDSHAKE)
                    await run_verification(ctx.access, settings, credentials, TARGET)  # opens the connections
                    cpu: list[float] = []
                    statuses: set[str] = set()

                    async def once() -> None:
                        before = time.thread_time()
                        report = await run_verification(ctx.access, settings, credentials, TARGET)  # noqa: B023
                        cpu.append((time.thread_time() - before) * 1000)  # noqa: B023
                        statuses.add(report.status.value)  # noqa: B023

                    times = await _timed(runs, once)
                    warm_cpu = statistics.median(cpu)

                    async def cold_once() -> None:
                        await aclose_clients()
                        await once()

                    cold_times = await _timed(runs, cold_once)
                    rows.append(
                        {
                            "exchange": exchange.value,
                            "latency": latency,
                            "wall": statistics.median(times),
                            "cpu": warm_cpu,
                            "cold": statistics.median(cold_times),
                            "statuses": sorted(statuses),  # warm and cold runs
                        }
                    )
        return rows
    finally:
        await ctx.aclose()


def _cli(home: Path, urls: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRADEDOCK_HOME": str(home), "TRADEDOCK_SANDBOX_URLS": json.dumps(urls)}
    return subprocess.run([TRADEDOCK, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def connect_all(home: Path, urls: dict[str, str], presets: dict[ExchangeId, dict[str, Any]]) -> dict[ExchangeId, str]:
    ids = {}
    for exchange, preset in presets.items():
        creds = home.parent / f"{exchange.value}.json"
        creds.write_text(json.dumps(preset["credentials"]))
        args = ("connect", exchange.value, "--environment", "sandbox", "--credentials", str(creds), "--json")
        done = _cli(home, urls, *args)
        creds.unlink()
        if done.returncode not in (0, 1):
            raise RuntimeError(f"connect {exchange.value} failed: {done.stdout[-500:]} {done.stderr[-500:]}")
        ids[exchange] = json.loads(done.stdout)["connection_id"]
    return ids


async def cold_cli(sims: Sims, home: Path, ids: dict[ExchangeId, str], runs: int) -> list[dict]:
    rows = []
    async with httpx.AsyncClient(timeout=30) as control:
        for exchange, connection_id in ids.items():
            url = sims.urls[exchange.value]
            walls: dict[int, float] = {}
            inner: dict[int, float] = {}
            for latency, handshake in ((0, "none"), *((lat, HANDSHAKE) for lat in LATENCIES_MS)):
                await _network(control, url, latency, handshake)

                verifications: list[float] = []

                async def once() -> None:
                    args = ("check", connection_id, "--json")  # noqa: B023
                    done = await asyncio.to_thread(_cli, home, sims.urls, *args)
                    if done.returncode != 0:
                        raise RuntimeError(f"check {exchange.value}: {done.stdout[-400:]} {done.stderr[-400:]}")  # noqa: B023
                    verifications.append(json.loads(done.stdout)["duration_ms"])  # noqa: B023

                walls[latency] = statistics.median(await _timed(runs, once))
                inner[latency] = statistics.median(verifications)
            for latency in LATENCIES_MS:
                rows.append(
                    {
                        "exchange": exchange.value,
                        "latency": latency,
                        "wall": walls[latency],
                        "base": walls[0],
                        "verification": inner[latency],
                        "verification_base": inner[0],
                    }
                )
    return rows


def _ccxt(exchange: ExchangeId, url: str, credentials: dict[str, str]) -> Any:
    options: dict[str, Any] = {"apiKey": credentials["api_key"], "secret": credentials["secret"], "timeout": 30_000}
    if exchange is ExchangeId.BITGET:
        options["password"] = credentials["passphrase"]
    instance = getattr(ccxt_async, exchange.value)({**options, "enableRateLimit": False})
    instance.urls["api"] = dict.fromkeys(instance.urls["api"], url)
    return instance


async def ccxt_cold(sims: Sims, presets: dict[ExchangeId, dict[str, Any]], runs: int) -> list[dict]:
    rows = []
    async with httpx.AsyncClient(timeout=30) as control:
        for exchange in (ExchangeId.BYBIT, ExchangeId.BITGET):
            url = sims.urls[exchange.value]
            for latency in LATENCIES_MS:
                await _network(control, url, latency, HANDSHAKE)

                async def once() -> None:
                    instance = _ccxt(exchange, url, presets[exchange]["credentials"])  # noqa: B023
                    try:
                        await instance.fetch_balance()
                    finally:
                        await instance.close()

                rows.append(
                    {
                        "exchange": exchange.value,
                        "latency": latency,
                        "wall": statistics.median(await _timed(runs, once)),
                    }
                )
    return rows


async def measure(runs: int) -> dict[str, list[dict]]:
    sims = Sims()
    try:
        return await _measure(sims, runs)
    finally:
        sims.stop()


async def _measure(sims: Sims, runs: int) -> dict[str, list[dict]]:
    with TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        async with httpx.AsyncClient(timeout=30) as control:
            presets = {}
            for exchange in ExchangeId:
                answer = await control.post(f"{sims.urls[exchange.value]}/_sim/scenarios/healthy", json={"reset": True})
                presets[exchange] = answer.json()
        ids = await asyncio.to_thread(connect_all, home, sims.urls, presets)
        return {
            "warm": await in_process(sims, home, presets, runs),
            "cold": await cold_cli(sims, home, ids, runs),
            "ccxt": await ccxt_cold(sims, presets, runs),
        }


def report(results: dict[str, list[dict]]) -> str:
    ccxt = {(r["exchange"], r["latency"]): r["wall"] for r in results["ccxt"]}
    cli = {(r["exchange"], r["latency"]): r for r in results["cold"]}
    lines = [
        "| exchange | round trip | warm: wall (rounds) | warm: CPU | cold connections: wall (rounds) "
        "| CLI `check`: verification (rounds) | CLI `check`: whole command | ccxt cold: wall (rounds) "
        "| ccxt ÷ warm | ccxt ÷ CLI verification | statuses |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["warm"]:
        key = (row["exchange"], row["latency"])
        latency = row["latency"]
        c = cli[key]
        theirs = ccxt.get(key)
        ccxt_cells = (
            (
                f"{theirs:.0f} ms ({theirs / latency:.1f})",
                f"{theirs / row['wall']:.1f}×",
                f"{theirs / row['cold']:.1f}×",
            )
            if theirs is not None
            else ("—", "—", "—")
        )
        lines.append(
            f"| {row['exchange']} | {latency} ms | {row['wall']:.0f} ms ({row['wall'] / latency:.2f}) "
            f"| {row['cpu']:.1f} ms | {row['cold']:.0f} ms ({row['cold'] / latency:.2f}) "
            f"| {c['verification']:.0f} ms ({(c['verification'] - c['verification_base']) / latency:.2f}) "
            f"| {c['wall'] / 1000:.1f} s | " + " | ".join(ccxt_cells) + f" | {', '.join(row['statuses'])} |"
        )
    at_zero = [r for r in results["cold"] if r["latency"] == LATENCIES_MS[0]]
    base = ", ".join(f"{r['exchange']} {r['base'] / 1000:.1f} s" for r in at_zero)
    inner = ", ".join(f"{r['exchange']} {r['verification_base']:.0f} ms" for r in at_zero)
    lines += [
        "",
        f"At 0 ms without handshakes, the whole CLI `check`: {base}; the verification inside it: {inner}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(report(eventloop.run(measure(args.runs))))


if __name__ == "__main__":
    main()
