"""Timing scenarios: a hanging exchange (real loopback HTTP, since ASGITransport enforces no timeout) is
`unreachable`, and — the one timed assertion the lead asked for — a full verification under 300 ms of injected
latency per request costs one round: less than two round trips in wall time."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from tradedock.domain import ConnectionStatus, ExchangeId
from tradedock_sim.client import SimControl
from tradedock_sim.server import BackgroundSims

from .conftest import SimExchange
from .scenario_support import assert_unreachable

SimFactory = Callable[[str], Awaitable[SimExchange]]
LATENCY_MS = 300


@pytest.fixture
async def loopback(loopback_sims: BackgroundSims) -> AsyncIterator[Callable[[str], SimExchange]]:
    opened: list[tuple[SimExchange, httpx.AsyncClient]] = []

    def make(exchange: str) -> SimExchange:
        url = loopback_sims.urls[exchange]
        http = httpx.AsyncClient(base_url=url)
        sim = SimExchange(ExchangeId(exchange), url, None, SimControl(http), timeout_s=0.3)
        opened.append((sim, http))
        return sim

    yield make
    for sim, http in opened:
        await sim.control.reset()  # release requests still hanging in the simulator
        await sim.aclose()
        await http.aclose()


@pytest.mark.parametrize("exchange", ["bybit", "bitget", "aster"])
async def test_a_hanging_exchange_is_unreachable(loopback: Callable[[str], SimExchange], exchange: str) -> None:
    sim = loopback(exchange)
    creds = await sim.scenario("healthy")
    await sim.control.set_faults(error="timeout")  # DESIGN control API: every exchange path hangs
    report = await sim.verify(creds)
    assert_unreachable(report, "did not answer in time (timeout or connection refused)")


@pytest.mark.parametrize("exchange", ["bybit", "bitget", "aster"])
async def test_verification_takes_one_round_under_latency(sim_exchange: SimFactory, exchange: str) -> None:
    sim = await sim_exchange(exchange)
    # Warm first, with a key of its own (no latency; a second verification of one key would wait for Bitget's
    # per-account limit): what is timed is the rounds, not this test process's first import of an adapter and its
    # crypto backends (Aster's cffi parses its declarations on first use: 0.4 s under a loaded CI run, which failed
    # this bound once). Cold starts are measured by `bench` (the CLI `check` rows).
    assert (await sim.verify(await sim.scenario("healthy"))).status is ConnectionStatus.CONNECTED
    creds = await sim.scenario("healthy")
    await sim.control.set_faults(latency_ms=LATENCY_MS)
    started = time.perf_counter()
    report = await sim.verify(creds)
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert report.status is ConnectionStatus.CONNECTED, [(c.id, c.message) for c in report.checks]
    assert report.rounds == 1
    assert LATENCY_MS <= elapsed_ms < 2 * LATENCY_MS, elapsed_ms
