"""Shared assertions for the scenario tests (real adapters against real simulators)."""

from __future__ import annotations

import json

from tradedock.domain import ConnectionStatus
from tradedock.verification import Outcome, Report

UNREACHABLE_SKIP = "Could not be checked: the exchange did not answer."


def assert_report(
    report: Report, status: ConnectionStatus, expected: dict[str, tuple[Outcome, str]], *, others: Outcome | None = None
) -> None:
    """``expected`` maps check id → (outcome, a fragment of the message). ``others``: the outcome every check not
    named must have (``None`` = do not care)."""
    outcomes = {c.id: (c.outcome.value, c.message) for c in report.checks}
    assert report.status is status, outcomes
    for check_id, (outcome, fragment) in expected.items():
        result = report.check(check_id)
        assert result.outcome is outcome, (check_id, result.outcome, result.message)
        assert fragment in result.message, (check_id, result.message)
    if others is not None:
        for result in report.checks:
            if result.id not in expected:
                assert result.outcome is others, (result.id, result.outcome, result.message)


def assert_no_secret(report: Report, credentials: dict[str, str], secret_fields: tuple[str, ...]) -> None:
    text = json.dumps(report.to_dict())
    for name in secret_fields:
        assert credentials[name] not in text, name


def assert_unreachable(report: Report, reason: str) -> None:
    """An exchange fault: unreachable, the reason named, never a word against the key."""
    assert report.status is ConnectionStatus.UNREACHABLE
    reachable = report.check("exchange.reachable")
    assert reachable.outcome is Outcome.FAIL
    assert reason in reachable.message, reachable.message
    assert "This says nothing about your key" in reachable.message
    for check_id in ("auth.signature", "permissions.required", "permissions.forbidden", "ip.whitelist"):
        result = report.check(check_id)
        assert (result.outcome, result.message) == (Outcome.SKIP, UNREACHABLE_SKIP), check_id
    assert all(c.outcome is not Outcome.FAIL for c in report.checks if c.id != "exchange.reachable")
