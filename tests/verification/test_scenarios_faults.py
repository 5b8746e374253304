"""Exchange faults injected through the simulators' control API (DESIGN.md: ``POST /_sim/faults``) on a healthy
key, for every exchange: the status is `unreachable` with the reason named — never `invalid`. (Timeouts need
real loopback HTTP: see test_scenarios_timing.py.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from .conftest import SimExchange
from .scenario_support import assert_unreachable

SimFactory = Callable[[str], Awaitable[SimExchange]]
NAMES = {"bybit": "Bybit", "bitget": "Bitget", "aster": "Aster"}
FAULTS = {
    "http_500": "answered with an error page (an outage or maintenance)",
    "http_503_html": "answered with an error page (an outage or maintenance)",
    "rate_limit": "is rate-limiting this server (too many requests)",
    "geo_block": "blocks requests from this server's location",
}


@pytest.mark.parametrize("exchange", sorted(NAMES))
@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_fault_is_unreachable_never_invalid(sim_exchange: SimFactory, exchange: str, fault: str) -> None:
    sim = await sim_exchange(exchange)
    creds = await sim.scenario("healthy")
    await sim.control.set_faults(error=fault)
    assert_unreachable(await sim.verify(creds), f"{NAMES[exchange]} {FAULTS[fault]}")


#: Path prefixes of every signed read each adapter makes (the public server-time path is not among them).
SIGNED_PATHS = {
    "bybit": ["/v5/user", "/v5/account", "/v5/position", "/v5/asset"],
    "bitget": ["/api/v2/spot/account", "/api/v2/mix", "/api/v3"],
    "aster": [
        "/fapi/v3/agent",
        "/fapi/v3/balance",
        "/fapi/v3/account",
        "/fapi/v3/position",
        "/fapi/v3/multi",
        "/api/v3",
    ],
}


@pytest.mark.parametrize("exchange", sorted(NAMES))
async def test_signed_reads_failing_after_a_good_preflight_is_still_unreachable(
    sim_exchange: SimFactory, exchange: str
) -> None:
    sim = await sim_exchange(exchange)
    creds = await sim.scenario("healthy")
    await sim.control.set_faults(error="http_503_html", paths=SIGNED_PATHS[exchange])
    report = await sim.verify(creds)
    assert report.facts.server_offset_ms is not None  # the public preflight answered
    assert_unreachable(report, f"{NAMES[exchange]} answered with an error page")
