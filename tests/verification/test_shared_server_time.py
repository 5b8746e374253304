"""A server-time reading shared by the verifications of a monitor batch (`SharedServerTime`): one time request per
exchange host, and every report exactly as with a reading of its own — the clock check, its evidence, the
timestamp retry with the measured offset, a failed reading judged as today."""

from __future__ import annotations

import asyncio

from tradedock.clock import FrozenClock
from tradedock.domain import Environment, ExchangeId, Scope
from tradedock.errors import ExchangeTimeoutError, TimestampRejectedError
from tradedock.verification import Outcome, Policy, Report, SharedServerTime, VerificationRequest, verify
from tradedock.verification.server_time import REUSE_MS

from .exchange_double import ScriptedExchange, Wire, healthy_script, refuse_unless_offset
from .factories import EGRESS, NOW, credentials, make_spec, server_time

SIGNED = ("key_info", "account_info", "balances", "position_settings")


async def run_verify(
    exchange: ScriptedExchange,
    shared: SharedServerTime | None,
    *,
    environment: Environment = Environment.LIVE,
    flavor: Environment = Environment.LIVE,
) -> Report:
    request = VerificationRequest(
        exchange=ExchangeId.BYBIT,
        environment=environment,
        scope=Scope.FUTURES,
        contract=None,
        credentials=credentials(),
    )
    return await verify(
        request,
        spec=exchange.spec,
        adapter_for=exchange,
        flavor=flavor,
        alternative_flavors=(),
        policy=Policy(egress_ips=(EGRESS,)),
        clock=FrozenClock(NOW),
        server_time=shared,
    )


def keys(count: int, wire: Wire, **changes: object) -> list[ScriptedExchange]:
    """``count`` keys on one exchange host; their calls cross the same wire."""
    exchanges = []
    for _ in range(count):
        exchange = ScriptedExchange(make_spec(), {Environment.LIVE: {**healthy_script(), **changes}})
        exchange.wire = wire
        exchanges.append(exchange)
    return exchanges


def clock_lines(report: Report) -> list[tuple[str, Outcome, str, dict[str, object]]]:
    return [
        (c.id, c.outcome, c.message, dict(c.evidence))
        for c in report.checks
        if c.id in ("clock.skew", "exchange.reachable", "auth.signature")
    ]


async def test_a_batch_sends_one_time_request_and_every_report_is_as_with_its_own_reading() -> None:
    fresh = await run_verify(keys(1, Wire())[0], None)
    wire = Wire()
    shared = SharedServerTime(FrozenClock(NOW))
    reports = await asyncio.gather(*(run_verify(exchange, shared) for exchange in keys(8, wire)))
    later = await run_verify(keys(1, wire)[0], shared)  # after the batch's first wave: the reading is reused
    assert wire.names().count("server_time") == 1
    assert sorted(wire.names()) == sorted(["server_time", *SIGNED * 9])
    for report in (*reports, later):
        assert report.to_dict() | {"duration_ms": 0} == fresh.to_dict() | {"duration_ms": 0}
        assert report.facts.server_offset_ms == 40


async def test_the_timestamp_retry_uses_the_shared_reading_s_offset() -> None:
    error = TimestampRejectedError("timestamp outside recv_window", code="10002")
    script = healthy_script()
    refusing = {name: refuse_unless_offset(20_000, script[name], error) for name in SIGNED}
    own = keys(1, Wire(), server_time=server_time(offset_ms=20_000), **refusing)[0]
    fresh = await run_verify(own, None)
    wire = Wire()
    shared = SharedServerTime(FrozenClock(NOW))
    batch = keys(3, wire, server_time=server_time(offset_ms=20_000), **refusing)
    reports = await asyncio.gather(*(run_verify(exchange, shared) for exchange in batch))
    assert wire.names().count("server_time") == 1
    for exchange, report in zip(batch, reports, strict=True):
        assert exchange.built[Environment.LIVE].time_offset_ms == 20_000
        assert report.rounds == 2
        assert clock_lines(report) == clock_lines(fresh)
        assert report.check("clock.skew").outcome is Outcome.FAIL


async def test_a_failed_reading_is_judged_as_today_by_those_that_waited_and_not_kept() -> None:
    wire = Wire()
    shared = SharedServerTime(FrozenClock(NOW))
    failing = keys(3, wire, server_time=ExchangeTimeoutError("Bybit did not answer within 1 s", exchange="Bybit"))
    fresh = await run_verify(keys(1, Wire(), server_time=ExchangeTimeoutError("t"))[0], None)
    reports = await asyncio.gather(*(run_verify(exchange, shared) for exchange in failing))
    assert wire.names().count("server_time") == 1
    for report in reports:
        skew = report.check("clock.skew")
        assert (skew.outcome, skew.message) == (fresh.check("clock.skew").outcome, fresh.check("clock.skew").message)
        assert skew.outcome is Outcome.SKIP
    healthy = await run_verify(keys(1, wire)[0], shared)  # the failure was not kept: asked again
    assert wire.names().count("server_time") == 2
    assert healthy.check("clock.skew").outcome is Outcome.PASS


async def test_a_reading_is_reused_for_a_few_seconds_and_per_host_only() -> None:
    wire = Wire()
    clock = FrozenClock(NOW)
    shared = SharedServerTime(clock)
    await run_verify(keys(1, wire)[0], shared)
    clock.advance(milliseconds=REUSE_MS)
    await run_verify(keys(1, wire)[0], shared)
    assert wire.names().count("server_time") == 1
    clock.advance(milliseconds=1)
    await run_verify(keys(1, wire)[0], shared)
    assert wire.names().count("server_time") == 2
    await run_verify(keys(1, wire)[0], shared, environment=Environment.SANDBOX)  # another host
    assert wire.names().count("server_time") == 3


async def test_without_a_shared_reading_every_verification_measures_its_own() -> None:
    wire = Wire()
    await asyncio.gather(*(run_verify(exchange, None) for exchange in keys(3, wire)))
    assert wire.names().count("server_time") == 3
