"""The result of a verification: outcomes, check results, gathered facts, the report, and the status rule.

What belongs here: pure value types (`Outcome`, `CheckResult`, `Facts`, `Report`), the check ids in report
order and their titles, JSON conversion, and `status_from`. What does not: running checks or talking to an exchange.

The status rule (`status_from`), applied in this order — the first that matches wins:

1. ``credentials.format`` is ``fail`` → ``invalid`` (nothing was sent to the exchange).
2. ``exchange.reachable`` is ``fail`` → ``unreachable``. It fails exactly when an exchange fault (5xx, HTML
   page, timeout, rate limit, geo-block) left the key undecided, so a flaky exchange never makes a key invalid.
3. ``auth.signature`` or ``environment.match`` is ``fail`` → ``invalid``.
4. ``auth.signature`` is ``error`` (we could not decide whether the key works) → ``unreachable``.
5. any other ``fail`` → ``action_required``.
6. any ``warn`` or ``error`` → ``connected_with_warnings``.
7. otherwise → ``connected``. ``skip`` never changes the status.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from tradedock.domain import (
    AccountMode,
    Balance,
    ConnectionStatus,
    ContractType,
    Environment,
    ExchangeId,
    KeyInfo,
    MarginMode,
    PositionMode,
    Scope,
    to_jsonable,
)
from tradedock.errors import HELD_BACK


class Outcome(enum.StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


#: Every check id, in the order a report lists them (DESIGN.md contract).
CHECK_IDS: tuple[str, ...] = (
    "credentials.format",
    "exchange.reachable",
    "auth.signature",
    "clock.skew",
    "environment.match",
    "permissions.required",
    "permissions.forbidden",
    "ip.whitelist",
    "key.expiry",
    "account.mode",
    "position.mode",
    "margin.mode",
    "balance.minimum",
)

#: Every check's title by id, in report order — the checks' own ``title`` (a test keeps the two equal), here so
#: that ``tradedock show`` titles a stored report without loading the checks (~10–15 ms of its start).
CHECK_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "credentials.format": "Credential format",
        "exchange.reachable": "Exchange reachable",
        "auth.signature": "Key and signature accepted",
        "clock.skew": "Clock in step with the exchange",
        "environment.match": "Key belongs to the chosen environment",
        "permissions.required": "Permissions the scope needs",
        "permissions.forbidden": "No withdrawal or transfer permission",
        "ip.whitelist": "IP whitelist",
        "key.expiry": "Key expiry",
        "account.mode": "Account type",
        "position.mode": "Position mode",
        "margin.mode": "Margin mode",
        "balance.minimum": "Balance in the trading wallet",
    }
)


@dataclass(frozen=True)
class CheckResult:
    """One line of the report: an outcome, a message a trader understands, fix steps and public evidence."""

    id: str
    outcome: Outcome
    title: str
    message: str
    fix: tuple[str, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "evidence", MappingProxyType(dict(self.evidence)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "outcome": self.outcome.value,
            "title": self.title,
            "message": self.message,
            "fix": list(self.fix),
            "evidence": to_jsonable(self.evidence),
        }


@dataclass(frozen=True)
class Facts:
    """What the exchange told us, all optional (a read may have failed). Never holds a secret."""

    uid: str | None = None
    account_mode: AccountMode | None = None
    is_subaccount: bool | None = None
    key_info: KeyInfo | None = None
    balances: tuple[Balance, ...] | None = None
    position_mode: PositionMode | None = None
    margin_mode: MarginMode | None = None
    server_offset_ms: int | None = None
    #: The environment the key was found in when it is not the one asked for (environment probe).
    key_environment: Environment | None = None

    def to_dict(self) -> dict[str, Any]:
        key = self.key_info
        return {
            "uid": self.uid,
            "account_mode": to_jsonable(self.account_mode),
            "is_subaccount": self.is_subaccount,
            "key_info": None if key is None else _key_info_dict(key),
            "balances": None if self.balances is None else [to_jsonable(b) for b in self.balances],
            "position_mode": to_jsonable(self.position_mode),
            "margin_mode": to_jsonable(self.margin_mode),
            "server_offset_ms": self.server_offset_ms,
            "key_environment": to_jsonable(self.key_environment),
        }


def _key_info_dict(key: KeyInfo) -> dict[str, Any]:
    return {
        "uid": key.uid,
        "permissions": sorted(p.value for p in key.permissions),
        "other_permissions": list(key.other_permissions),
        "native_permissions": to_jsonable(key.native_permissions),
        "read_only": key.read_only,
        "ips": list(key.ips),
        "expires_at": to_jsonable(key.expires_at),
        "is_master": key.is_master,
        "parent_uid": key.parent_uid,
        "account_mode": to_jsonable(key.account_mode),
        "label": key.label,
        "created_at": to_jsonable(key.created_at),
        "unconfirmed": sorted(p.value for p in key.unconfirmed),
        "ips_known": key.ips_known,
        "unreadable": None if key.unreadable is None else {"what": key.unreadable.what, "fix": key.unreadable.fix},
    }


@dataclass(frozen=True)
class Report:
    exchange: ExchangeId
    environment: Environment
    scope: Scope
    contract: ContractType | None
    status: ConnectionStatus
    checks: tuple[CheckResult, ...]
    facts: Facts
    duration_ms: int
    rounds: int
    started_at: datetime

    def check(self, check_id: str) -> CheckResult:
        """The result of one check; `KeyError` names the known ids."""
        for result in self.checks:
            if result.id == check_id:
                return result
        raise KeyError(f"no check {check_id!r}; known: {', '.join(CHECK_IDS)}")

    def held_back_s(self) -> float | None:
        """When this report is ``unreachable`` because this server held a request back (its own share of the
        exchange's rate limit was used up, `errors.HELD_BACK`: the request was never sent): the seconds to wait
        before trying again. ``None`` otherwise. Such a report says nothing about the key or the exchange."""
        if self.status is not ConnectionStatus.UNREACHABLE:
            return None
        for result in self.checks:
            evidence = result.evidence
            if evidence.get("error") == "RateLimitedError" and evidence.get("code") == HELD_BACK:
                return float(evidence.get("retry_after_s", 1))
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "exchange": self.exchange.value,
            "environment": self.environment.value,
            "scope": self.scope.value,
            "contract": None if self.contract is None else self.contract.value,
            "status": self.status.value,
            "checks": [c.to_dict() for c in self.checks],
            "facts": self.facts.to_dict(),
            "duration_ms": self.duration_ms,
            "rounds": self.rounds,
            "started_at": self.started_at.isoformat(),
        }


def status_from(checks: Iterable[CheckResult]) -> ConnectionStatus:
    """The connection status for a set of check results (rule in the module docstring)."""
    results = tuple(checks)
    by_id = {c.id: c.outcome for c in results}
    if by_id.get("credentials.format") is Outcome.FAIL:
        return ConnectionStatus.INVALID
    if by_id.get("exchange.reachable") is Outcome.FAIL:
        return ConnectionStatus.UNREACHABLE
    if Outcome.FAIL in (by_id.get("auth.signature"), by_id.get("environment.match")):
        return ConnectionStatus.INVALID
    if by_id.get("auth.signature") is Outcome.ERROR:
        return ConnectionStatus.UNREACHABLE
    outcomes = {c.outcome for c in results}
    if Outcome.FAIL in outcomes:
        return ConnectionStatus.ACTION_REQUIRED
    if outcomes & {Outcome.WARN, Outcome.ERROR}:
        return ConnectionStatus.CONNECTED_WITH_WARNINGS
    return ConnectionStatus.CONNECTED
