"""The platform's clock trouble is never the trader's fault (DESIGN: an exchange fault is `unreachable`, never
`invalid`/`action_required`): a server-time answer held back past the trusted round trip gives no offset, and a
timestamp refusal while our clock is measured in step with the exchange is blamed on the delay, not the clock.

A test transport in front of the in-process Bybit simulator holds back the server-time answer and/or answers the
first key-info read with Bybit's documented 10002 ("request time outside the receive window",
https://bybit-exchange.github.io/docs/v5/error) as a request delayed on the way would get.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import httpx

from tradedock.domain import ConnectionStatus
from tradedock.verification.report import Outcome
from tradedock.verification.request import Policy

from .conftest import EGRESS_IP, SimExchange

SimFactory = Callable[[str], Awaitable[SimExchange]]


class Faulty(httpx.AsyncBaseTransport):
    """Holds the server-time answer back ``time_delay_s``; refuses the first key-info read with retCode 10002."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, time_delay_s: float, refuse_first_key_info: bool) -> None:
        self._inner = inner
        self._delay = time_delay_s
        self._refuse = refuse_first_key_info
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._refuse and request.url.path == "/v5/user/query-api" and not self.refused:
            self.refused += 1
            message = "invalid request, please check your server timestamp or recv_window param"
            body = {"retCode": 10002, "retMsg": message}
            return httpx.Response(200, json={**body, "result": {}, "retExtInfo": {}, "time": 0})
        response = await self._inner.handle_async_request(request)
        if request.url.path == "/v5/market/time" and self._delay:
            await response.aread()
            await asyncio.sleep(self._delay)  # the exchange read its clock, then the answer was held back
        return response


async def _bybit(sim_exchange: SimFactory) -> tuple[SimExchange, dict[str, str]]:
    sim = await sim_exchange("bybit")
    creds = await sim.scenario("healthy")
    return sim, creds


async def test_a_slow_server_time_answer_is_no_reading_and_blames_no_one(sim_exchange: SimFactory) -> None:
    sim, creds = await _bybit(sim_exchange)
    assert sim.transport is not None
    faulty = Faulty(sim.transport, time_delay_s=0.6, refuse_first_key_info=True)
    slow = dataclasses.replace(sim, transport=faulty)
    report = await slow.verify(creds, policy=Policy(egress_ips=(EGRESS_IP,), clock_max_round_trip_ms=300))
    checks = {c.id: c for c in report.checks}
    assert faulty.refused == 1
    assert report.status not in (ConnectionStatus.INVALID, ConnectionStatus.ACTION_REQUIRED), [
        (c.id, c.outcome, c.message) for c in report.checks
    ]
    assert checks["clock.skew"].outcome is Outcome.SKIP, checks["clock.skew"].message
    assert "Bybit did not answer in time" in checks["clock.skew"].message
    assert report.facts.server_offset_ms is None  # no offset was taken from the slow answer


async def test_a_refused_timestamp_with_our_clock_in_step_is_not_the_traders_clock(sim_exchange: SimFactory) -> None:
    sim, creds = await _bybit(sim_exchange)
    assert sim.transport is not None
    faulty = Faulty(sim.transport, time_delay_s=0, refuse_first_key_info=True)
    report = await dataclasses.replace(sim, transport=faulty).verify(creds)
    checks = {c.id: c for c in report.checks}
    assert faulty.refused == 1
    assert checks["clock.skew"].outcome is Outcome.WARN, checks["clock.skew"].message
    assert "delayed on the way" in checks["clock.skew"].message
    assert report.status is ConnectionStatus.CONNECTED_WITH_WARNINGS, [
        (c.id, c.outcome, c.message) for c in report.checks
    ]
