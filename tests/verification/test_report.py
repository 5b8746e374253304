"""The report types: status rule, JSON conversion, no secrets, check order."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradedock.domain import ConnectionStatus, ContractType, Environment, ExchangeId, Scope
from tradedock.verification import CHECK_IDS, CHECK_TITLES, CheckResult, Facts, Outcome, Report, status_from
from tradedock.verification.checks import ALL_CHECKS

from .factories import BYBIT_SECRET, credentials, key_info, usdt


def results(**outcomes: Outcome) -> list[CheckResult]:
    """Every check passing, except the ones named (dots written as double underscores)."""
    named = {k.replace("__", "."): v for k, v in outcomes.items()}
    return [CheckResult(cid, named.get(cid, Outcome.PASS), cid, "msg") for cid in CHECK_IDS]


class TestStatusFrom:
    def test_all_pass_is_connected(self) -> None:
        assert status_from(results()) is ConnectionStatus.CONNECTED

    def test_skip_does_not_change_the_status(self) -> None:
        assert status_from(results(key__expiry=Outcome.SKIP)) is ConnectionStatus.CONNECTED

    def test_warn_is_connected_with_warnings(self) -> None:
        assert status_from(results(ip__whitelist=Outcome.WARN)) is ConnectionStatus.CONNECTED_WITH_WARNINGS

    def test_an_error_outside_auth_is_connected_with_warnings(self) -> None:
        assert status_from(results(margin__mode=Outcome.ERROR)) is ConnectionStatus.CONNECTED_WITH_WARNINGS

    def test_other_fail_is_action_required(self) -> None:
        got = status_from(results(position__mode=Outcome.FAIL, ip__whitelist=Outcome.WARN))
        assert got is ConnectionStatus.ACTION_REQUIRED

    @pytest.mark.parametrize("check_id", ["credentials__format", "auth__signature", "environment__match"])
    def test_credential_fails_are_invalid(self, check_id: str) -> None:
        got = status_from(results(**{check_id: Outcome.FAIL, "balance__minimum": Outcome.FAIL}))
        assert got is ConnectionStatus.INVALID

    def test_unreachable_wins_over_other_fails(self) -> None:
        got = status_from(results(exchange__reachable=Outcome.FAIL, balance__minimum=Outcome.FAIL))
        assert got is ConnectionStatus.UNREACHABLE

    def test_format_fail_wins_over_unreachable(self) -> None:
        got = status_from(results(credentials__format=Outcome.FAIL, exchange__reachable=Outcome.FAIL))
        assert got is ConnectionStatus.INVALID

    def test_auth_error_is_unreachable_not_connected(self) -> None:
        assert status_from(results(auth__signature=Outcome.ERROR)) is ConnectionStatus.UNREACHABLE


def test_checks_are_registered_in_design_order() -> None:
    assert tuple(c.id for c in ALL_CHECKS) == CHECK_IDS
    assert [c.id for c in ALL_CHECKS if not c.remote] == ["credentials.format"]


def test_the_title_table_is_the_checks_own_titles() -> None:
    """`report.CHECK_TITLES` (what ``tradedock show`` reads without loading the checks) says what each check's
    own ``title`` says, for every check, in report order."""
    assert list(CHECK_TITLES.items()) == [(c.id, c.title) for c in ALL_CHECKS]


def test_report_to_dict_is_json_safe_and_secret_free() -> None:
    expires = datetime(2026, 12, 1, tzinfo=UTC)
    facts = Facts(
        uid="100200",
        key_info=key_info(expires_at=expires),
        balances=(usdt("UNIFIED", "120.50"),),
        server_offset_ms=-6600,
    )
    evidence = {"amount": Decimal("1.5"), "when": expires, "creds": credentials()}
    report = Report(
        exchange=ExchangeId.BYBIT,
        environment=Environment.LIVE,
        scope=Scope.FUTURES,
        contract=ContractType.USDT_M,
        status=ConnectionStatus.CONNECTED,
        checks=(CheckResult("clock.skew", Outcome.PASS, "Clock", "ok", ("step",), evidence),),
        facts=facts,
        duration_ms=12,
        rounds=1,
        started_at=expires,
    )
    data = report.to_dict()
    text = json.dumps(data)
    assert BYBIT_SECRET not in text
    assert data["facts"]["balances"][0]["total"] == "120.50"
    assert data["facts"]["key_info"]["expires_at"] == "2026-12-01T00:00:00+00:00"
    assert data["checks"][0]["evidence"]["amount"] == "1.5"
    assert data["checks"][0]["evidence"]["creds"].startswith("Credentials(bybit")
    assert data["contract"] == "usdt_m" and data["status"] == "connected"
    assert report.check("clock.skew").outcome is Outcome.PASS
    with pytest.raises(KeyError, match="known"):
        report.check("nope")
