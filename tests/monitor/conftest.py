"""Fixtures for monitor tests: the service harness (real AppContext, real vault, simulators in-process over
``httpx.ASGITransport``) with short HTTP timeouts, on SQLite and on PostgreSQL; helpers to seed connections.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.services.conftest import EGRESS_IP, CountingTransport, Harness
from tradedock.config import load_settings
from tradedock.db.models import VerificationRun
from tradedock.domain import ExchangeId
from tradedock.services.context import AppContext, open_app
from tradedock.services.records import Store
from tradedock.vault import SealContext
from tradedock_sim.app import create_app
from tradedock_sim.client import SimControl


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def monitor_db(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    from tests.pg import postgres_schema

    if request.param == "sqlite":
        yield None
        return
    async with postgres_schema() as url:
        yield url


@pytest.fixture
async def mharness(tmp_path: Path, monitor_db: str | None) -> AsyncIterator[Harness]:
    """Like tests/services' harness, with a 1 s HTTP timeout (the `timeout` fault hangs) and the apps kept."""
    transports: dict[ExchangeId, CountingTransport] = {}
    controls: dict[ExchangeId, SimControl] = {}
    clients: list[httpx.AsyncClient] = []
    apps = {}
    for exchange in ExchangeId:
        app = create_app(exchange.value)
        apps[exchange] = app
        transport = httpx.ASGITransport(app=app, client=(EGRESS_IP, 40123))
        transports[exchange] = CountingTransport(transport)
        client = httpx.AsyncClient(transport=transport, base_url=f"http://{exchange.value}.sim")
        clients.append(client)
        controls[exchange] = SimControl(client)
    settings = load_settings(
        home=tmp_path / "home",
        database_url=monitor_db,
        master_key=None,
        master_key_file=None,
        sandbox_urls={e.value: f"http://127.0.0.1:{18400 + i}" for i, e in enumerate(ExchangeId)},
        egress_ips=(EGRESS_IP,),
        http_timeout_s=1.0,
        http_connect_timeout_s=1.0,
        webhook_allow_private=True,  # the tests' webhook receivers listen on loopback
    )
    ctx = await open_app(settings, transports=dict(transports))
    harness = Harness(ctx, controls, tmp_path / "home", transports)
    harness.apps = apps  # type: ignore[attr-defined]
    try:
        yield harness
    finally:
        await ctx.aclose()
        for client in clients:
            await client.aclose()


async def store_connection(
    harness: Harness, fields: dict[str, str], owner: str = "local", exchange: ExchangeId = ExchangeId.BYBIT
) -> str:
    """Store a healthy key (Bybit by default) as a connection directly (fast; sealed by the real vault; never
    checked)."""
    async with harness.ctx.transaction() as session:
        store = Store(session, harness.ctx.clock)
        owner_id = await store.owner_id(owner)
        connection_id = str(uuid.uuid4())
        await store.connections.add(
            connection_id=connection_id,
            owner_id=owner_id,
            exchange=exchange.value,
            environment="sandbox",
            label=f"bot {connection_id[:4]}",
            scope="futures",
            status="connected",
            key_fingerprint=harness.ctx.vault.fingerprint(exchange.value, fields["api_key"]),
            masked_key="…" + fields["api_key"][-4:],
            sealed=harness.ctx.vault.seal(fields, SealContext(owner_id, connection_id, exchange.value)),
            contract_type="usdt_m",
        )
    return connection_id


async def seed_healthy(harness: Harness, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        preset = await harness.scenario(ExchangeId.BYBIT, "healthy")
        ids.append(await store_connection(harness, preset["credentials"]))
    return ids


async def monitor_runs(harness: Harness) -> dict[str, int]:
    """Runs recorded by the monitor, per connection id."""
    async with harness.ctx.reading() as session:
        rows = await session.execute(
            select(VerificationRun.connection_id, func.count())
            .where(VerificationRun.trigger == "schedule")
            .group_by(VerificationRun.connection_id)
        )
        return {cid: int(n) for cid, n in rows.all()}


#: The scale tests spread their connections over two simulated exchanges: each has its own per-IP rate limit
#: (Bybit 600 / 5 s, Bitget 6000 / min), which the workers keep to, so one exchange alone would make them wait.
SCALE_EXCHANGES = ("bybit", "bitget")


@pytest.fixture(scope="module")
def sim_process() -> Iterator[dict[str, str]]:
    """`tradedock-sim serve --exchanges bybit,bitget` in its own process; its URLs from the JSON line it prints."""
    command = [
        str(Path(sys.executable).with_name("tradedock-sim")), "serve", "--exchanges", ",".join(SCALE_EXCHANGES)
    ]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "tradedock-sim printed nothing"
        yield dict(json.loads(line))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def seed_bulk(ctx: AppContext, urls: dict[str, str], per_exchange: dict[str, int]) -> tuple[list[str], list[str]]:
    """Healthy sandbox keys minted by the simulator process, stored as connections in one transaction (sealed by
    the real vault; never checked); their ids and their secrets (for leak checks)."""
    ids, secrets = [], []
    async with httpx.AsyncClient(timeout=10) as http:
        presets = []
        for exchange, count in per_exchange.items():
            for _ in range(count):
                response = await http.post(f"{urls[exchange]}/_sim/scenarios/healthy", json={"ip": "127.0.0.1"})
                response.raise_for_status()
                presets.append((exchange, response.json()["credentials"]))
    async with ctx.transaction() as session:
        store = Store(session, ctx.clock)
        owner_id = await store.owner_id("local")
        for exchange, fields in presets:
            cid = str(uuid.uuid4())
            await store.connections.add(
                connection_id=cid,
                owner_id=owner_id,
                exchange=exchange,
                environment="sandbox",
                label=f"bot {cid[:4]}",
                scope="futures",
                status="connected",
                key_fingerprint=ctx.vault.fingerprint(exchange, fields["api_key"]),
                masked_key="…" + fields["api_key"][-4:],
                sealed=ctx.vault.seal(fields, SealContext(owner_id, cid, exchange)),
                contract_type="usdt_m",
            )
            ids.append(cid)
            secrets.extend(v for k, v in fields.items() if k != "api_key")
    return ids, secrets


async def schedule_runs(ctx: AppContext) -> dict[str, int]:
    """Runs recorded by the monitor (trigger ``schedule``), per connection id."""
    async with ctx.reading() as session:
        rows = await session.execute(
            select(VerificationRun.connection_id, func.count())
            .where(VerificationRun.trigger == "schedule")
            .group_by(VerificationRun.connection_id)
        )
        return {cid: int(n) for cid, n in rows.all()}


async def wait_for_round(ctx: AppContext, ids: list[str], n: int, deadline: float) -> dict[str, int]:
    """Poll until every connection has ``n`` monitor runs (or the monotonic ``deadline`` passes)."""
    while time.monotonic() < deadline:
        runs = await schedule_runs(ctx)
        if all(runs.get(cid, 0) >= n for cid in ids):
            return runs
        await asyncio.sleep(0.3)
    return await schedule_runs(ctx)


def worker_env(home: Path, database_url: str, sim_urls: dict[str, str], **settings: str) -> dict[str, str]:
    """The environment of a `tradedock worker` process: no outer TRADEDOCK_* variable, these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEDOCK_")}
    env.update(
        TRADEDOCK_HOME=str(home),
        TRADEDOCK_DATABASE_URL=database_url,
        TRADEDOCK_SANDBOX_URLS=json.dumps(sim_urls),
        TRADEDOCK_EGRESS_IPS="127.0.0.1",
        **{f"TRADEDOCK_{name.upper()}": value for name, value in settings.items()},
    )
    return env


async def start_workers(count: int, env: dict[str, str]) -> tuple[list[asyncio.subprocess.Process], list[str]]:
    """``count`` `tradedock worker --json` processes, each past its ready line (procrastinate on PostgreSQL)."""
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tradedock", "worker", "--json",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )
        for _ in range(count)
    ]  # fmt: skip
    names = []
    for proc in procs:
        assert proc.stdout is not None
        ready = json.loads(await asyncio.wait_for(proc.stdout.readline(), 60))
        assert ready["database"] == "postgresql" and ready["queue"] == "procrastinate"
        names.append(str(ready["worker"]))
    return procs, names


async def stop_workers(procs: list[asyncio.subprocess.Process]) -> list[str]:
    """SIGTERM every live worker; each must exit 0 (jobs finished); their output (stdout + stderr)."""
    for proc in procs:
        if proc.returncode is None:
            proc.terminate()
    outputs = []
    for proc in procs:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        outputs.append(out.decode() + err.decode())
        assert proc.returncode == 0, err.decode()[-2000:]
    return outputs
