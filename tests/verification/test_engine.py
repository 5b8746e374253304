"""The engine over hand-written exchange doubles: one concurrent round, the timestamp retry, the environment
probe, unreachable never invalid, a crashing check becomes ``error``, a bad format sends nothing."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import pytest

from tradedock.clock import FrozenClock
from tradedock.domain import ConnectionStatus, Environment, ExchangeId, Scope
from tradedock.errors import (
    ExchangeTimeoutError,
    ExchangeUnavailableError,
    GeoBlockedError,
    RateLimitedError,
    TimestampRejectedError,
    UnknownKeyError,
)
from tradedock.verification import CHECK_IDS, Outcome, Policy, Report, VerificationRequest, verify

from .exchange_double import ScriptedExchange, healthy_script, refuse_unless_offset
from .factories import BYBIT_SECRET, EGRESS, NOW, credentials, key_info, make_spec, server_time

SIGNED = ("key_info", "account_info", "balances", "position_settings")
ALTERNATIVES = (Environment.DEMO, Environment.TESTNET)


async def run_verify(
    exchange: ScriptedExchange,
    *,
    scope: Scope = Scope.FUTURES,
    creds: object = None,
    trimmed: tuple[str, ...] = (),
) -> Report:
    request = VerificationRequest(
        exchange=ExchangeId.BYBIT,
        environment=Environment.LIVE,
        scope=scope,
        contract=None,
        credentials=creds or credentials(),  # type: ignore[arg-type]
        trimmed_fields=trimmed,
    )
    return await verify(
        request,
        spec=exchange.spec,
        adapter_for=exchange,
        flavor=Environment.LIVE,
        alternative_flavors=ALTERNATIVES,
        policy=Policy(egress_ips=(EGRESS,)),
        clock=FrozenClock(NOW),
    )


def live_only(**changes: object) -> ScriptedExchange:
    return ScriptedExchange(make_spec(), {Environment.LIVE: {**healthy_script(), **changes}})


class TestOneRound:
    async def test_healthy_key_is_connected_in_one_concurrent_round(self) -> None:
        exchange = live_only()
        report = await run_verify(exchange)
        assert report.status is ConnectionStatus.CONNECTED
        assert [c.id for c in report.checks] == list(CHECK_IDS)
        assert all(c.outcome is Outcome.PASS for c in report.checks), [c for c in report.checks if c.outcome]
        assert report.rounds == 1
        assert sorted(exchange.wire.names()) == sorted(["server_time", *SIGNED])  # each read exactly once
        assert exchange.wire.waves == [5]  # all five in flight together, in one wave

    async def test_spot_scope_does_not_read_positions(self) -> None:
        exchange = live_only(key_info=key_info(ips=(EGRESS,)))
        report = await run_verify(exchange, scope=Scope.SPOT)
        assert "position_settings" not in exchange.wire.names()
        assert exchange.wire.waves == [4]
        assert report.check("position.mode").outcome is Outcome.SKIP

    async def test_facts_are_collected_and_report_is_json_without_secrets(self) -> None:
        report = await run_verify(live_only())
        facts = report.facts
        assert (facts.uid, facts.account_mode, facts.is_subaccount) == ("100200", "unified", False)
        assert facts.position_mode == "one_way" and facts.margin_mode == "cross"
        assert facts.server_offset_ms == 40
        text = json.dumps(report.to_dict())
        assert BYBIT_SECRET not in text
        assert report.started_at == NOW


class TestTimestampRetry:
    async def test_refused_timestamps_are_retried_once_with_the_measured_offset(self) -> None:
        error = TimestampRejectedError("timestamp outside recv_window", code="10002")
        script = healthy_script()
        signed = {name: refuse_unless_offset(20_000, script[name], error) for name in SIGNED}
        exchange = live_only(server_time=server_time(offset_ms=20_000), **signed)
        report = await run_verify(exchange)
        assert report.rounds == 2
        assert exchange.built[Environment.LIVE].time_offset_ms == 20_000
        assert sorted(exchange.wire.names()) == sorted(["server_time", *SIGNED, *SIGNED])
        assert exchange.wire.waves == [5, 4]
        assert report.check("auth.signature").outcome is Outcome.PASS
        clock = report.check("clock.skew")
        assert clock.outcome is Outcome.FAIL
        assert clock.message.startswith("Your clock is 20.0 s behind Bybit, so Bybit refused our signed requests.")
        assert report.status is ConnectionStatus.ACTION_REQUIRED

    async def test_no_retry_without_a_server_time(self) -> None:
        exchange = live_only(
            server_time=ExchangeTimeoutError("t"), **{n: TimestampRejectedError("10002") for n in SIGNED}
        )
        report = await run_verify(exchange)
        assert report.rounds == 1
        assert report.check("auth.signature").outcome is Outcome.SKIP
        assert report.status is not ConnectionStatus.INVALID


class TestEnvironmentProbe:
    async def test_unknown_key_found_in_demo(self) -> None:
        unknown = UnknownKeyError("API key is invalid.", code="10003")
        exchange = ScriptedExchange(
            make_spec(),
            {
                Environment.LIVE: {**healthy_script(), **{n: unknown for n in SIGNED}},
                Environment.DEMO: healthy_script(),
                Environment.TESTNET: {**healthy_script(), "key_info": unknown},
            },
        )
        report = await run_verify(exchange)
        assert report.rounds == 2
        assert exchange.wire.names(Environment.DEMO) == ["key_info"]
        assert exchange.wire.names(Environment.TESTNET) == ["key_info"]
        assert exchange.wire.waves == [5, 2]  # both probes at once
        env = report.check("environment.match")
        assert (env.outcome, env.message) == (Outcome.FAIL, "This key belongs to Bybit demo trading, not Bybit (live).")
        assert report.check("auth.signature").outcome is Outcome.SKIP  # auth not blamed
        assert report.facts.key_environment is Environment.DEMO
        assert report.status is ConnectionStatus.INVALID

    async def test_unknown_everywhere_blames_the_key(self) -> None:
        unknown = UnknownKeyError("API key is invalid.", code="10003")
        exchange = ScriptedExchange(
            make_spec(),
            {Environment.LIVE: {**healthy_script(), **{n: unknown for n in SIGNED}}},  # no demo/testnet offered
        )
        report = await run_verify(exchange)
        auth = report.check("auth.signature")
        assert auth.outcome is Outcome.FAIL
        assert auth.message.startswith("Bybit does not know this API key.")
        assert report.status is ConnectionStatus.INVALID


class TestUnreachable:
    @pytest.mark.parametrize(
        "fault",
        [ExchangeTimeoutError("t"), GeoBlockedError("cf"), RateLimitedError("429"), ExchangeUnavailableError("503")],
    )
    async def test_whole_exchange_down_is_unreachable_never_invalid(self, fault: Exception) -> None:
        exchange = live_only(server_time=fault, **{n: fault for n in SIGNED})
        report = await run_verify(exchange)
        assert report.status is ConnectionStatus.UNREACHABLE
        assert report.check("exchange.reachable").outcome is Outcome.FAIL
        for check_id in ("auth.signature", "permissions.required", "ip.whitelist", "balance.minimum"):
            result = report.check(check_id)
            assert (result.outcome, result.message) == (
                Outcome.SKIP,
                "Could not be checked: the exchange did not answer.",
            ), check_id

    async def test_signed_reads_failing_after_preflight_is_unreachable(self) -> None:
        exchange = live_only(**{n: ExchangeUnavailableError("502") for n in SIGNED})
        assert (await run_verify(exchange)).status is ConnectionStatus.UNREACHABLE


class TestCrashes:
    async def test_a_crashing_check_is_error_and_logged_without_secrets(self, caplog: pytest.LogCaptureFixture) -> None:
        # An adapter bug handing over a naive datetime makes key.expiry's arithmetic raise TypeError.
        naive = datetime(2026, 12, 1) + timedelta(days=1)
        exchange = live_only(key_info=key_info(expires_at=naive))
        with caplog.at_level(logging.ERROR, logger="tradedock.verification"):
            report = await run_verify(exchange)
        expiry = report.check("key.expiry")
        assert expiry.outcome is Outcome.ERROR
        assert expiry.message.startswith("This check failed on our side")
        assert "Traceback" not in expiry.message and expiry.evidence == {"error": "TypeError"}
        assert report.check("permissions.required").outcome is Outcome.PASS
        assert report.status is ConnectionStatus.CONNECTED_WITH_WARNINGS
        assert "key.expiry crashed" in caplog.text
        assert BYBIT_SECRET not in caplog.text

    async def test_an_adapter_raising_a_stray_exception_is_error(self) -> None:
        report = await run_verify(live_only(balances=KeyError("coin")))
        assert report.check("balance.minimum").outcome is Outcome.ERROR
        assert report.check("auth.signature").outcome is Outcome.PASS
        assert report.status is ConnectionStatus.CONNECTED_WITH_WARNINGS


class TestLocalFirst:
    async def test_format_fail_sends_nothing(self) -> None:
        exchange = live_only()
        report = await run_verify(exchange, creds=credentials(secret="not a secret"))
        assert exchange.built == {} and exchange.wire.calls == []
        assert report.rounds == 0
        assert report.status is ConnectionStatus.INVALID
        assert report.check("credentials.format").outcome is Outcome.FAIL
        for result in report.checks[1:]:
            assert (result.outcome, result.message) == (Outcome.SKIP, "Not run: fix the credentials first.")

    async def test_trimmed_fields_warn_but_still_verify(self) -> None:
        report = await run_verify(live_only(), trimmed=("secret",))
        assert report.check("credentials.format").outcome is Outcome.WARN
        assert report.rounds == 1
        assert report.status is ConnectionStatus.CONNECTED_WITH_WARNINGS
