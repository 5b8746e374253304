"""How verification uses the network: rate budgets that wait their turn, and warm shared connections.

Issue 19: a Bitget check right after another (``spot/account/info`` allows 1 request/s per UID) must give the same
complete report, not skip checks; a second verification reuses the first one's connections (counted by the
simulator's network model over real loopback sockets).
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.services.conftest import Harness
from tradedock.config import load_settings
from tradedock.domain import ContractType, Environment, ExchangeId, Scope
from tradedock.exchanges.registry import get_exchange
from tradedock.services.context import open_app
from tradedock.services.verifying import Target, run_verification
from tradedock.verification.report import Outcome, Report
from tradedock_sim.server import start_background

TARGET = Target(Environment.SANDBOX, Scope.FUTURES, ContractType.USDT_M)


def _outcomes(report: Report) -> dict[str, Outcome]:
    return {check.id: check.outcome for check in report.checks}


async def test_a_bitget_key_checked_twice_within_a_second_gets_two_complete_identical_reports(
    harness: Harness,
) -> None:
    preset = await harness.scenario(ExchangeId.BITGET, "healthy")
    credentials = get_exchange(ExchangeId.BITGET).spec.credentials(preset["credentials"])
    ctx = harness.ctx
    first = await run_verification(ctx.access, ctx.settings, credentials, TARGET)
    second = await run_verification(ctx.access, ctx.settings, credentials, TARGET)
    assert first.status == second.status
    assert first.status.value == "connected", [c.to_dict() for c in first.checks]
    assert _outcomes(first) == _outcomes(second)
    for report in (first, second):
        assert not [c.id for c in report.checks if "rate" in c.message.lower()]


async def test_a_second_verification_reuses_the_first_ones_connections(tmp_path: Path) -> None:
    with start_background(["bybit", "bitget"]) as sims:
        settings = load_settings(
            home=tmp_path / "home",
            database_url=None,
            master_key=None,
            master_key_file=None,
            sandbox_urls=sims.urls,
            egress_ips=("127.0.0.1",),
        )
        ctx = await open_app(settings)
        try:
            async with httpx.AsyncClient(timeout=10) as control:
                for exchange in (ExchangeId.BYBIT, ExchangeId.BITGET):
                    url = sims.urls[exchange.value]
                    preset = (await control.post(f"{url}/_sim/scenarios/healthy", json={"reset": True})).json()
                    await control.post(f"{url}/_sim/network", json={"handshake": "tls1.3", "round_trip_ms": 1})
                    credentials = get_exchange(exchange).spec.credentials(preset["credentials"])
                    await run_verification(ctx.access, settings, credentials, TARGET)
                    opened = (await control.get(f"{url}/_sim/network")).json()["connections"]
                    assert opened >= 1
                    report = await run_verification(ctx.access, settings, credentials, TARGET)
                    assert report.status.value == "connected"
                    assert (await control.get(f"{url}/_sim/network")).json()["connections"] == opened
        finally:
            await ctx.aclose()
