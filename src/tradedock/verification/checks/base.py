"""The check machinery: `Verdict` (what a check decides), `CheckContext` (what it may look at), the `@check`
decorator, and small wording helpers shared by the check modules.

What belongs here: types and helpers every check module uses. What does not: any check itself (one module
per area: credentials, connectivity, permissions, security, account, balance) or the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tradedock.domain import Environment
from tradedock.errors import (
    AccountModeMismatchError,
    ExchangeTimeoutError,
    ExchangeUnreachableError,
    GeoBlockedError,
    PermissionDeniedError,
    RateLimitedError,
    TradeDockError,
)
from tradedock.exchanges.base import ExchangeSpec
from tradedock.exchanges.profile import ExchangeProfile
from tradedock.verification.gathered import AuthState, Gathered, Read, auth_state
from tradedock.verification.report import CheckResult, Outcome
from tradedock.verification.request import Policy, VerificationRequest

NOT_RUN_MESSAGE = "Not run: fix the credentials first."
UNREACHABLE_MESSAGE = "Could not be checked: the exchange did not answer."


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    message: str
    fix: tuple[str, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckContext:
    """Everything a check may look at. Pure data: checks never call the network."""

    request: VerificationRequest
    spec: ExchangeSpec
    profile: ExchangeProfile
    policy: Policy
    flavor: Environment
    alternative_flavors: tuple[Environment, ...]
    now: datetime
    #: None when nothing was sent (the credentials failed the local check).
    gathered: Gathered | None

    @property
    def name(self) -> str:
        return self.profile.name

    def environment_name(self, flavor: Environment) -> str:
        """How to name an environment flavour; against the simulators (``sandbox``) say so."""
        if self.request.environment is not Environment.SANDBOX:
            return self.profile.environment_name(flavor)
        if flavor is Environment.LIVE:
            return self.profile.environment_name(Environment.SANDBOX)
        return f"{self.profile.environment_name(flavor)} (simulated)"

    @property
    def auth(self) -> AuthState:
        return auth_state(self.gathered)[0]

    @property
    def auth_error(self) -> Exception | None:
        return auth_state(self.gathered)[1]


CheckFunction = Callable[[CheckContext], Verdict]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    function: CheckFunction
    #: A remote check needs the exchange; it is skipped when the credentials fail the local check.
    remote: bool = True

    def run(self, ctx: CheckContext) -> CheckResult:
        verdict = self.function(ctx)
        return CheckResult(self.id, verdict.outcome, self.title, verdict.message, verdict.fix, verdict.evidence)


def check(check_id: str, *, title: str, remote: bool = True) -> Callable[[CheckFunction], Check]:
    """Turn a function ``(CheckContext) -> Verdict`` into a `Check` with its id and title."""

    def wrap(function: CheckFunction) -> Check:
        return Check(check_id, title, function, remote)

    return wrap


# --- shared wording ----------------------------------------------------------------------------------------------


def fault_reason(error: Exception, exchange: str) -> str:
    """Plain words for an exchange fault. Never suggests the key is wrong."""
    if isinstance(error, GeoBlockedError):
        return f"{exchange} blocks requests from this server's location"
    if isinstance(error, RateLimitedError):
        wait = f"; try again in {error.retry_after_s:g} s" if error.retry_after_s else ""
        if error.held_back:
            return f"{exchange} was not asked (this server's share of {exchange}'s rate limit was used up){wait}"
        return f"{exchange} is rate-limiting this server (too many requests){wait}"
    if isinstance(error, ExchangeTimeoutError):
        return f"{exchange} did not answer in time (timeout or connection refused)"
    return f"{exchange} answered with an error page (an outage or maintenance)"


def evidence_of(error: Exception | None) -> dict[str, Any]:
    if error is None:
        return {}
    if isinstance(error, TradeDockError):
        return error.evidence()
    return {"error": type(error).__name__}


def unavailable(ctx: CheckContext, read: Read[Any], what: str) -> Verdict:
    """Why a check could not look at ``what``: a skip naming the reason, or ``error`` for a confusing answer."""
    state, deciding = auth_state(ctx.gathered)
    if ctx.gathered is None or state is AuthState.NOT_RUN:
        return Verdict(Outcome.SKIP, NOT_RUN_MESSAGE)
    reasons = {
        AuthState.REJECTED: f"Not checked: {ctx.name} refused the credentials (see the signature check).",
        AuthState.WRONG_ENVIRONMENT: "Not checked: the key belongs to another environment (see the environment check).",
        AuthState.CLOCK: f"Not checked: {ctx.name} refused our request timestamps (see the clock check).",
        AuthState.IP_REFUSED: f"Not checked: {ctx.name} refused this server's IP address (see the IP whitelist check).",
        AuthState.UNREACHABLE: UNREACHABLE_MESSAGE,
    }
    if state in reasons:
        return Verdict(Outcome.SKIP, reasons[state], evidence=evidence_of(deciding))
    error = read.error
    if not read.ran:
        return Verdict(Outcome.SKIP, f"Not checked: {what} was not read.")
    if isinstance(error, ExchangeUnreachableError):
        return Verdict(
            Outcome.SKIP,
            f"Could not be checked: {fault_reason(error, ctx.name)} when we read {what}.",
            evidence=evidence_of(error),
        )
    if isinstance(error, PermissionDeniedError | AccountModeMismatchError):
        return Verdict(
            Outcome.SKIP,
            f"Not checked: {ctx.name} refused to show {what} to this key ({error.message}).",
            evidence=evidence_of(error),
        )
    return Verdict(
        Outcome.ERROR,
        f"We could not understand {ctx.name}'s answer about {what}. This is on our side; please retry later.",
        evidence=evidence_of(error),
    )


def seconds(ms: int) -> str:
    return f"{abs(ms) / 1000:.1f} s"


def amount(value: Decimal) -> str:
    """``Decimal('120.50000')`` → ``120.5``; whole numbers without decimals."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def names(items: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    values = list(items)
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + " and " + values[-1]
