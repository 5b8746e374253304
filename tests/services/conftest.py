"""Fixtures for service tests: a real AppContext (real vault) whose adapters talk to the real simulators
in-process over ``httpx.ASGITransport``. Nothing of our own is mocked.

Every test using ``harness`` runs twice: on SQLite in a temp HOME and on PostgreSQL in a fresh schema (a URL
whose ``options`` set the search_path). PostgreSQL unreachable: fails under CI=true, skipped otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.pg import postgres_schema
from tradedock.config import load_settings
from tradedock.domain import ContractType, Environment, ExchangeId, Scope
from tradedock.services.connections import ConnectionService, ConnectRequest, Outcome
from tradedock.services.context import AppContext, open_app
from tradedock_sim.app import create_app
from tradedock_sim.client import SimControl

#: The IP the simulators see for TradeDock's requests, and the operator's configured egress IP.
EGRESS_IP = "203.0.113.7"


class CountingTransport(httpx.AsyncBaseTransport):
    """Passes requests to the simulator and records how many were in flight at once (the exchange's view)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.in_flight = 0
        self.max_in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1


@dataclass
class Harness:
    ctx: AppContext
    controls: dict[ExchangeId, SimControl]
    home: Path
    transports: dict[ExchangeId, CountingTransport]

    async def scenario(self, exchange: ExchangeId, name: str) -> dict[str, Any]:
        return await self.controls[exchange].apply_scenario(name)

    async def connect(
        self,
        exchange: ExchangeId,
        credentials: dict[str, str],
        *,
        owner: str = "local",
        scope: Scope = Scope.FUTURES,
        contract: ContractType | None = None,
        label: str | None = None,
    ) -> Outcome:
        request = ConnectRequest(exchange, Environment.SANDBOX, scope, contract, label, credentials)
        return await ConnectionService(self.ctx, owner).connect(request)

    def service(self, owner: str = "local") -> ConnectionService:
        return ConnectionService(self.ctx, owner)

    def crowd_the_ip(self, processes: int = 1000, wait_s: float = 0.2) -> None:
        """As if ``processes`` workers shared the egress IP: each request costs the exchanges' whole per-IP bucket,
        and one that waits more than ``wait_s`` for its turn is held back (`TRADEDOCK_HTTP_RATE_WAIT_S`).
        `uncrowd` undoes it."""
        self.rate_wait(wait_s)
        self.ctx.access.share_ip_budgets(processes)

    def uncrowd(self) -> None:
        self.ctx.access.share_ip_budgets(1)
        self.rate_wait(3.0)

    def rate_wait(self, wait_s: float) -> None:
        """Requests wait at most ``wait_s`` for their turn under the rate budgets (`TRADEDOCK_HTTP_RATE_WAIT_S`)."""
        settings = self.ctx.settings.model_copy(update={"http_rate_wait_s": wait_s})
        self.ctx.settings = settings
        self.ctx.access = replace(self.ctx.access, settings=settings)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    """``None`` (SQLite in HOME) or a PostgreSQL URL confined to a fresh schema, dropped afterwards."""
    if request.param == "sqlite":
        yield None
        return
    async with postgres_schema() as url:
        yield url


@pytest.fixture
async def harness(tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    transports: dict[ExchangeId, CountingTransport] = {}
    controls: dict[ExchangeId, SimControl] = {}
    clients: list[httpx.AsyncClient] = []
    for exchange in ExchangeId:
        transport = httpx.ASGITransport(app=create_app(exchange.value), client=(EGRESS_IP, 40123))
        transports[exchange] = CountingTransport(transport)
        client = httpx.AsyncClient(transport=transport, base_url=f"http://{exchange.value}.sim")
        clients.append(client)
        controls[exchange] = SimControl(client)
    home = tmp_path / "home"
    settings = load_settings(
        home=home,
        database_url=database_url,
        master_key=None,
        master_key_file=None,
        # In-process transports: the host is never resolved, but sandbox URLs must name loopback.
        sandbox_urls={e.value: f"http://127.0.0.1:{18400 + i}" for i, e in enumerate(ExchangeId)},
        egress_ips=(EGRESS_IP,),
    )
    ctx = await open_app(settings, transports=dict(transports))
    try:
        yield Harness(ctx, controls, home, transports)
    finally:
        await ctx.aclose()
        for client in clients:
            await client.aclose()
