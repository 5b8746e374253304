"""Fixtures for simulator tests, shared by every exchange folder under tests/sim/.

- `sim_client(exchange, *, client_ip="127.0.0.1", seed=None)` -> httpx.AsyncClient talking in-process
  (ASGITransport) to a fresh app; the app is `client.sim_app` (its state: `client.sim_app.state.sim`).
- `sim_control(client)` -> `SimControl` for that client's control API.
- `sim_servers(*exchanges, seed=None)` -> `BackgroundSims` on real loopback ports (`.urls`, `.apps`); needed by
  clients that do their own HTTP (ccxt). Stopped at teardown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from tradedock_sim.app import create_app
from tradedock_sim.client import SimControl
from tradedock_sim.server import BackgroundSims, start_background

SimClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def sim_client() -> AsyncIterator[SimClientFactory]:
    clients: list[httpx.AsyncClient] = []

    async def make(exchange: str, *, client_ip: str = "127.0.0.1", seed: int | None = None) -> httpx.AsyncClient:
        app = create_app(exchange, seed=seed)
        transport = httpx.ASGITransport(app=app, client=(client_ip, 40123))
        client = httpx.AsyncClient(transport=transport, base_url=f"http://{exchange}.sim")
        client.sim_app = app  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def sim_control() -> Callable[[httpx.AsyncClient], SimControl]:
    return SimControl


@pytest.fixture
def sim_servers() -> Iterator[Callable[..., BackgroundSims]]:
    started: list[BackgroundSims] = []

    def start(*exchanges: str, **options: Any) -> BackgroundSims:
        sims = start_background(list(exchanges) or None, **options)
        started.append(sims)
        return sims

    yield start
    for sims in started:
        sims.stop()
