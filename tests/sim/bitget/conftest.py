"""Fixtures for the Bitget simulator tests, built on the shared ones in tests/sim/conftest.py."""

from __future__ import annotations

import httpx
import pytest

from tests.sim.conftest import SimClientFactory


@pytest.fixture
async def client(sim_client: SimClientFactory) -> httpx.AsyncClient:
    """A fresh Bitget simulator in-process (ASGITransport); the exchange sees the caller as 127.0.0.1."""
    return await sim_client("bitget", seed=7)
