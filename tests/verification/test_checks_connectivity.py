"""exchange.reachable, auth.signature, clock.skew and environment.match over constructed gathered facts."""

from __future__ import annotations

import pytest

from tradedock.domain import Environment, ExchangeId
from tradedock.errors import (
    HELD_BACK,
    AgentNotApprovedError,
    BadSignatureError,
    ExchangeTimeoutError,
    ExchangeUnavailableError,
    GeoBlockedError,
    IpNotAllowedError,
    KeyExpiredError,
    PermissionDeniedError,
    RateLimitedError,
    TimestampRejectedError,
    UnexpectedResponseError,
    UnknownKeyError,
    WrongEnvironmentError,
    WrongPassphraseError,
)
from tradedock.verification import Outcome, Policy

from .factories import EGRESS, context, err, gathered, key_info, ok, run, server_time

ALL_SIGNED_FAIL = ("key", "account", "balances", "position")


def all_signed(error: Exception, **extra: object) -> dict[str, object]:
    return {name: err(error) for name in ALL_SIGNED_FAIL} | extra


class TestExchangeReachable:
    def test_answering_exchange_passes_with_round_trip(self) -> None:
        result = run("exchange.reachable", context())
        assert result.outcome is Outcome.PASS
        assert result.message == "Bybit answered (80 ms round trip)."

    @pytest.mark.parametrize(
        ("error", "words"),
        [
            (GeoBlockedError("403 cloudfront"), "Bybit blocks requests from this server's location"),
            (ExchangeUnavailableError("503"), "Bybit answered with an error page (an outage or maintenance)"),
            (ExchangeTimeoutError("timeout"), "Bybit did not answer in time"),
            (RateLimitedError("429", retry_after_s=3), "Bybit is rate-limiting this server (too many requests); try"),
            (
                RateLimitedError("budget", retry_after_s=5, code=HELD_BACK),
                "Bybit was not asked (this server's share of Bybit's rate limit was used up); try again in 5 s",
            ),
        ],
    )
    def test_fault_everywhere_fails_with_the_reason_never_the_key(self, error: Exception, words: str) -> None:
        facts = gathered(server=err(error), **all_signed(error))
        result = run("exchange.reachable", context(facts=facts))
        assert result.outcome is Outcome.FAIL
        assert result.message.startswith(words)
        assert "says nothing about your key" in result.message
        assert "invalid" not in result.message.lower()

    def test_a_request_this_server_held_back_says_so_and_when_to_retry(self) -> None:
        error = RateLimitedError("budget", retry_after_s=5, code=HELD_BACK, exchange="bybit")
        result = run("exchange.reachable", context(facts=gathered(server=err(error), **all_signed(error))))
        assert result.evidence["code"] == HELD_BACK and result.evidence["retry_after_s"] == "5"
        assert result.fix and "Check again in a moment" in result.fix[0] and "sandbox" not in result.fix[0]

    def test_signed_reads_faulting_after_a_good_preflight_still_fail(self) -> None:
        facts = gathered(**all_signed(ExchangeUnavailableError("502")))
        assert run("exchange.reachable", context(facts=facts)).outcome is Outcome.FAIL

    def test_one_read_faulting_after_auth_is_a_warning(self) -> None:
        facts = gathered(balances=err(ExchangeTimeoutError("t")))
        result = run("exchange.reachable", context(facts=facts))
        assert result.outcome is Outcome.WARN
        assert "when we read the balances" in result.message

    def test_preflight_down_but_key_judged_is_a_warning(self) -> None:
        facts = gathered(server=err(ExchangeTimeoutError("t")), **all_signed(UnknownKeyError("10003")))
        assert run("exchange.reachable", context(facts=facts)).outcome is Outcome.WARN


class TestAuthSignature:
    def test_accepted_names_uid(self) -> None:
        result = run("auth.signature", context())
        assert result.outcome is Outcome.PASS
        assert result.message == "Bybit accepted the key and its signature (account UID 100200)."

    def test_permission_denied_on_key_info_still_proves_auth(self) -> None:
        facts = gathered(key=err(PermissionDeniedError("40014")), account=err(PermissionDeniedError("x")))
        assert run("auth.signature", context(facts=facts)).outcome is Outcome.PASS

    @pytest.mark.parametrize(
        ("error", "message"),
        [
            (UnknownKeyError("10003"), "Bybit does not know this API key."),
            (BadSignatureError("10004"), "Bybit knows this API key, but the API secret does not match it."),
            (KeyExpiredError("33004"), "This key has expired or was deleted on Bybit; it no longer works."),
        ],
    )
    def test_each_refusal_has_its_own_message(self, error: Exception, message: str) -> None:
        result = run("auth.signature", context(facts=gathered(**all_signed(error))))
        assert result.outcome is Outcome.FAIL
        assert result.message == message
        assert result.fix

    def test_bitget_wrong_passphrase_says_a_lost_one_means_a_new_key(self) -> None:
        ctx = context(exchange=ExchangeId.BITGET, facts=gathered(**all_signed(WrongPassphraseError("40012"))))
        result = run("auth.signature", ctx)
        assert result.outcome is Outcome.FAIL
        assert "not your login password" in result.message
        assert any("A lost passphrase cannot be recovered" in step for step in result.fix)

    def test_aster_agent_not_approved_names_main_wallet(self) -> None:
        ctx = context(exchange=ExchangeId.ASTER, facts=gathered(**all_signed(AgentNotApprovedError("not agent"))))
        result = run("auth.signature", ctx)
        assert result.outcome is Outcome.FAIL
        assert result.message.startswith("This API wallet is not an approved API wallet of the main wallet 0xcdcd")

    def test_bad_signature_on_aster_names_the_private_key(self) -> None:
        ctx = context(exchange=ExchangeId.ASTER, facts=gathered(**all_signed(BadSignatureError("-1000"))))
        assert "the private key does not match" in run("auth.signature", ctx).message

    @pytest.mark.parametrize(
        ("error", "start"),
        [
            (ExchangeTimeoutError("t"), "Could not be checked: the exchange did not answer."),
            (IpNotAllowedError("10010"), "Not decided: Bybit refused this server's IP address"),
            (TimestampRejectedError("10002"), "Not decided: Bybit refused our request timestamps"),
        ],
    )
    def test_undecided_is_skip_not_fail(self, error: Exception, start: str) -> None:
        result = run("auth.signature", context(facts=gathered(**all_signed(error))))
        assert result.outcome is Outcome.SKIP
        assert result.message.startswith(start)

    def test_unexpected_answer_is_error(self) -> None:
        result = run("auth.signature", context(facts=gathered(**all_signed(UnexpectedResponseError("?")))))
        assert result.outcome is Outcome.ERROR

    def test_unknown_key_not_found_elsewhere_says_where_we_looked(self) -> None:
        facts = gathered(
            **all_signed(UnknownKeyError("10003")),
            probes=((Environment.DEMO, err(UnknownKeyError("x"))), (Environment.TESTNET, err(UnknownKeyError("y")))),
        )
        result = run("auth.signature", context(facts=facts))
        assert result.outcome is Outcome.FAIL
        assert "We also looked in Bybit demo trading and Bybit testnet: it is not there either." in result.message


class TestClockSkew:
    def test_small_offset_passes(self) -> None:
        result = run("clock.skew", context(facts=gathered(server=ok(server_time(offset_ms=40)))))
        assert result.outcome is Outcome.PASS
        assert result.message == "Your clock is in step with Bybit (within 0.1 s)."

    def test_ahead_beyond_threshold_warns_with_the_offset(self) -> None:
        result = run("clock.skew", context(facts=gathered(server=ok(server_time(offset_ms=-6600)))))
        assert result.outcome is Outcome.WARN
        assert result.message.startswith("Your clock is 6.6 s ahead of Bybit.")
        assert result.evidence["offset_ms"] == -6600
        assert any("NTP" in step for step in result.fix)

    def test_threshold_comes_from_policy(self) -> None:
        facts = gathered(server=ok(server_time(offset_ms=1500)))
        ctx = context(facts=facts, policy=Policy(egress_ips=(EGRESS,), clock_warn_ms=1000))
        assert run("clock.skew", ctx).message.startswith("Your clock is 1.5 s behind Bybit.")
        assert run("clock.skew", ctx).outcome is Outcome.WARN

    def test_clock_that_broke_signing_fails_and_says_we_compensate(self) -> None:
        facts = gathered(
            server=ok(server_time(offset_ms=20_000)), timestamp_rejected=("key_info",), offset_applied_ms=20_000
        )
        result = run("clock.skew", context(facts=facts))
        assert result.outcome is Outcome.FAIL
        assert result.message.startswith("Your clock is 20.0 s behind Bybit, so Bybit refused our signed requests.")
        assert "With the offset corrected, it accepted them." in result.message
        assert "TradeDock compensates" in result.message
        assert result.fix[0].startswith("Turn on automatic time sync (NTP)")

    def test_no_server_time_skips_with_reason(self) -> None:
        result = run("clock.skew", context(facts=gathered(server=err(ExchangeTimeoutError("t")))))
        assert result.outcome is Outcome.SKIP
        assert result.message == "Could not be measured: Bybit did not answer in time (timeout or connection refused)."


class TestEnvironmentMatch:
    def test_accepted_key_matches(self) -> None:
        result = run("environment.match", context())
        assert result.outcome is Outcome.PASS
        assert result.message == "The key belongs to Bybit (live), as chosen."

    def test_key_found_in_demo_fails_naming_it(self) -> None:
        facts = gathered(
            **all_signed(UnknownKeyError("10003")),
            probes=((Environment.TESTNET, err(UnknownKeyError("x"))), (Environment.DEMO, ok(key_info()))),
        )
        result = run("environment.match", context(facts=facts))
        assert result.outcome is Outcome.FAIL
        assert result.message == "This key belongs to Bybit demo trading, not Bybit (live)."
        assert result.fix[0] == "Connect it again choosing the environment “demo”"
        # and auth is not blamed
        assert run("auth.signature", context(facts=facts)).outcome is Outcome.SKIP

    def test_wrong_environment_error_without_probe_fails(self) -> None:
        ctx = context(exchange=ExchangeId.BITGET, facts=gathered(**all_signed(WrongEnvironmentError("40099"))))
        result = run("environment.match", ctx)
        assert result.outcome is Outcome.FAIL
        assert result.message == "Bitget says this key belongs to another environment than Bitget (live)."

    def test_unknown_everywhere_is_skip(self) -> None:
        facts = gathered(
            **all_signed(UnknownKeyError("10003")), probes=((Environment.DEMO, err(UnknownKeyError("x"))),)
        )
        result = run("environment.match", context(facts=facts))
        assert result.outcome is Outcome.SKIP
        assert result.message == "Not decided: the key is not in Bybit demo trading either."
