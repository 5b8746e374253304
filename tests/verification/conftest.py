"""Fixtures running the REAL adapters (tradedock.exchanges.registry) against the REAL simulators
(tradedock_sim) in-process over ``httpx.ASGITransport``, driven only through the simulators' control API.

- `sim_exchange(exchange)` → `SimExchange`: `.scenario(name)` applies a simulator preset and returns its
  credentials; `.verify(credentials, ...)` runs `tradedock.verification.verify` exactly as the connection
  service does (environment ``sandbox``, flavour ``live``, the other sandbox flavours as alternatives).
- `loopback_sims` → simulators on real loopback ports, for timeouts (ASGITransport enforces none).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tradedock.clock import SystemClock
from tradedock.domain import ContractType, Credentials, Environment, ExchangeId, Scope
from tradedock.exchanges.base import ExchangeAdapter, HttpOptions
from tradedock.exchanges.registry import get_exchange
from tradedock.verification import Policy, Report, VerificationRequest, verify
from tradedock_sim.app import create_app
from tradedock_sim.client import SimControl
from tradedock_sim.server import BackgroundSims, start_background

#: The address the simulators see for our requests; scenario keys bound to "$caller" are bound to it, and it is
#: the operator's configured egress IP, as in production.
EGRESS_IP = "203.0.113.7"


@dataclass
class SimExchange:
    exchange: ExchangeId
    root: str
    transport: httpx.AsyncBaseTransport | None  # None: real loopback HTTP
    control: SimControl
    timeout_s: float = 2.0
    adapters: list[ExchangeAdapter] = field(default_factory=list)

    @property
    def spec(self) -> Any:
        return get_exchange(self.exchange).spec

    async def scenario(self, name: str) -> dict[str, str]:
        """Apply a simulator preset; returns its credentials under DESIGN field names."""
        applied = await self.control.apply_scenario(name, reset=True)
        creds: dict[str, str] = applied["credentials"]
        return creds

    def provider(self, credentials: Credentials) -> Callable[[Environment], ExchangeAdapter]:
        registered = get_exchange(self.exchange)
        built: dict[Environment, ExchangeAdapter] = {}

        def adapter_for(flavor: Environment) -> ExchangeAdapter:
            if flavor not in built:
                built[flavor] = registered.create_adapter(
                    credentials,
                    flavor=flavor,
                    base_url=self.root + registered.spec.sandbox_paths.get(flavor, ""),
                    http=HttpOptions(transport=self.transport, timeout_s=self.timeout_s),
                )
                self.adapters.append(built[flavor])
            return built[flavor]

        return adapter_for

    async def verify(
        self,
        fields: dict[str, str],
        *,
        scope: Scope = Scope.FUTURES,
        contract: ContractType | None = None,
        policy: Policy | None = None,
    ) -> Report:
        raw = Credentials(self.exchange, fields)
        credentials, trimmed = raw.trimmed()  # as the connection service does before verifying
        spec = self.spec
        flavors = tuple(spec.sandbox_paths)
        request = VerificationRequest(
            exchange=self.exchange,
            environment=Environment.SANDBOX,
            scope=scope,
            contract=contract,
            credentials=credentials,
            trimmed_fields=trimmed,
        )
        return await verify(
            request,
            spec=spec,
            adapter_for=self.provider(credentials),
            flavor=Environment.LIVE,
            alternative_flavors=tuple(f for f in flavors if f is not Environment.LIVE),
            policy=policy or Policy(egress_ips=(EGRESS_IP,)),
            clock=SystemClock(),
        )

    async def aclose(self) -> None:
        for adapter in self.adapters:
            await adapter.aclose()


@pytest.fixture
async def sim_exchange() -> AsyncIterator[Callable[[str], Awaitable[SimExchange]]]:
    opened: list[tuple[SimExchange, httpx.AsyncClient]] = []

    async def make(exchange: str) -> SimExchange:
        root = f"http://{exchange}.sim"
        transport = httpx.ASGITransport(app=create_app(exchange), client=(EGRESS_IP, 40123))
        http = httpx.AsyncClient(transport=transport, base_url=root)
        sim = SimExchange(ExchangeId(exchange), root, transport, SimControl(http))
        opened.append((sim, http))
        return sim

    yield make
    for sim, http in opened:
        await sim.aclose()
        await http.aclose()


@pytest.fixture(scope="module")
def loopback_sims() -> Iterator[BackgroundSims]:
    with start_background(["bybit", "bitget", "aster"], host="127.0.0.1", port=0, seed=5) as running:
        yield running
