"""Helpers shared by the benchmarks: the machine's description, scratch PostgreSQL databases, simulators in their
own process, bulk-seeded sandbox connections, and peak memory. Nothing here measures anything by itself."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tradedock.domain import ExchangeId
from tradedock.services.bulk_store import KeyToStore, store_many
from tradedock.services.context import AppContext

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BIN = Path(sys.executable).parent


class Sims:
    """The simulators in their own process (`tradedock-sim serve`), so their CPU never shares our GIL."""

    def __init__(self, *, unlimited: bool = False, exchanges: str = "") -> None:
        """``unlimited``: the simulators' per-IP budgets lifted (`bench.sim_serve`)."""
        command = [sys.executable, "-m", "bench.sim_serve", *(["--unlimited"] if unlimited else [])]
        if exchanges:
            command += ["--exchanges", exchanges]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.urls: dict[str, str] = json.loads(self.process.stdout.readline())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    async def requests_served(self, exchange: str) -> int:
        """Exchange requests this simulator port has served since start (`GET /_sim/requests`)."""
        async with httpx.AsyncClient(timeout=10) as client:
            return int((await client.get(f"{self.urls[exchange]}/_sim/requests")).json()["count"])


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, OS, Python, SQLite — what a reader needs to compare figures."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        ram = f"{mem_kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        ram = "unknown"
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


async def postgres_version(url: str) -> str | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return str((await connection.execute(text("SHOW server_version"))).scalar_one()).split()[0]
    except Exception:
        return None
    finally:
        await engine.dispose()


@asynccontextmanager
async def postgres_database(url: str) -> AsyncIterator[str]:
    """A URL of a fresh, empty PostgreSQL database (dropped afterwards)."""
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    name = f"td_bench_{uuid.uuid4().hex[:10]}"
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def sandbox_keys(url: str, count: int, *, concurrency: int = 32) -> list[dict[str, str]]:
    """``count`` healthy Bybit keys created on the simulator at ``url`` (`POST /_sim/scenarios/healthy`)."""
    keys: list[dict[str, str]] = []
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60) as client:

        async def one() -> None:
            async with gate:
                answer = await client.post(f"{url}/_sim/scenarios/healthy", json={"ip": "127.0.0.1"})
                answer.raise_for_status()
                keys.append(answer.json()["credentials"])

        await asyncio.gather(*(one() for _ in range(count)))
    return keys


async def seed_bybit(ctx: AppContext, owner: str, keys: list[dict[str, Any]]) -> list[str]:
    """Store the keys as sandbox Bybit futures connections in bulk (`services.bulk_store`, never verified)."""
    stored = await store_many(
        ctx,
        owner,
        [
            KeyToStore(ExchangeId.BYBIT, "sandbox", f"bot {i}", "futures", fields, contract_type="usdt_m")
            for i, fields in enumerate(keys)
        ],
    )
    assert not stored.refused, stored.refused
    return [cid for cid in stored.connection_ids if cid is not None]


def peak_rss_mib() -> float:
    """This process's peak resident memory since it was started. Linux's ``ru_maxrss`` would also count the memory
    of the process that started it (the kernel carries the high-water mark across fork and exec: a worker started
    by a 200 MB benchmark process read ~200 MB whatever it used), so the kernel's own ``VmHWM`` is read there."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of another process so far (Linux ``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())
