"""Typed views: what services return to every shell (CLI ``--json``, the HTTP API, pages). Pydantic models.

What belongs here: the read-only shapes of a connection, a verification report (fresh or stored), balances,
an outcome of connect/check/replace, a batch of checks and its summary, a removal. Each is built from domain,
verification or stored values (an ORM row or a `db.direct` record: the `Stored…` protocols) by a ``from_…``
constructor, and serialises with ``model_dump(mode="json")`` — the
one JSON conversion (Decimal as plain text via `tradedock.domain.decimal_text`, datetimes as ISO 8601, evidence
through `tradedock.domain.to_jsonable`). What does not: rules (services.connections) or rendering (shells).

No view ever holds a secret: a connection shows its label, masked key and a fingerprint prefix only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from pydantic import BaseModel, ConfigDict, PlainSerializer

from tradedock.domain import Balance, ConnectionStatus, decimal_text, total_usd

if TYPE_CHECKING:  # (types only: `tradedock list`/`show` build these views without SQLAlchemy; issue 9)
    from tradedock.verification import Report

#: Money and amounts: Decimal in Python, plain positional text in JSON ("100", never "1E+2").
Money = Annotated[Decimal, PlainSerializer(decimal_text, return_type=str, when_used="json")]

#: The order statuses are listed in, best first (the batch summary and "worst status" use it).
STATUS_ORDER: tuple[ConnectionStatus, ...] = (
    ConnectionStatus.CONNECTED,
    ConnectionStatus.CONNECTED_WITH_WARNINGS,
    ConnectionStatus.ACTION_REQUIRED,
    ConnectionStatus.INVALID,
    ConnectionStatus.UNREACHABLE,
)
_SUMMARY_WORDS = {
    ConnectionStatus.CONNECTED: "connected",
    ConnectionStatus.CONNECTED_WITH_WARNINGS: "connected with warnings",
    ConnectionStatus.ACTION_REQUIRED: "action required",
    ConnectionStatus.INVALID: "invalid",
    ConnectionStatus.UNREACHABLE: "unreachable",
}


class StoredConnection(Protocol):
    """A stored connection's columns as views read them: an ORM `db.models.Connection` or a `db.direct` record."""

    @property
    def id(self) -> str: ...
    @property
    def exchange(self) -> str: ...
    @property
    def environment(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def contract_type(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def masked_key(self) -> str: ...
    @property
    def key_fingerprint(self) -> str: ...
    @property
    def account_uid(self) -> str | None: ...
    @property
    def account_mode(self) -> str | None: ...
    @property
    def position_mode(self) -> str | None: ...
    @property
    def margin_mode(self) -> str | None: ...
    @property
    def position_mode_choice(self) -> str | None: ...
    @property
    def margin_mode_choice(self) -> str | None: ...
    @property
    def key_expires_at(self) -> datetime | None: ...
    @property
    def last_checked_at(self) -> datetime | None: ...
    @property
    def last_balance_usd(self) -> Decimal | None: ...
    @property
    def created_at(self) -> datetime: ...


class StoredCheck(Protocol):
    """One stored check result (`db.models.CheckResult` or a `db.direct` record)."""

    @property
    def check_id(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def fix(self) -> list[str]: ...
    @property
    def evidence(self) -> dict[str, Any]: ...


class StoredRun(Protocol):
    """A stored verification run with its results in order (`db.models.VerificationRun` or a `db.direct` record)."""

    @property
    def status(self) -> str: ...
    @property
    def trigger(self) -> str: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def duration_ms(self) -> int: ...
    @property
    def results(self) -> Sequence[StoredCheck]: ...


class View(BaseModel):
    """Base of every view: immutable, no unknown fields; ``to_json()`` is the one JSON conversion."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json(self) -> Any:
        return self.model_dump(mode="json")


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# --- verification reports ----------------------------------------------------------------------------------


def check_title(check_id: str) -> str:
    """A check's title ("Position mode"), or its id when no registered check has it."""
    return check_titles().get(check_id, check_id)


def check_titles() -> Mapping[str, str]:
    """Every check's title by id (a static table beside `CHECK_IDS`: no check is loaded for it)."""
    from tradedock.verification import CHECK_TITLES

    return CHECK_TITLES


class CheckView(View):
    """One line of a report. Stored runs keep the id and message; their ``title`` comes from the registered
    checks (`check_title`), None only for an id no check has any more."""

    id: str
    outcome: str
    title: str | None = None
    message: str
    fix: list[str]
    evidence: dict[str, Any]


class BalanceView(View):
    wallet: str
    coin: str
    total: Money
    available: Money
    usd_value: Money | None  # the one valuation rule: `domain.Balance.usd_estimate`

    @classmethod
    def from_balance(cls, balance: Balance) -> BalanceView:
        return cls(
            wallet=balance.wallet,
            coin=balance.coin,
            total=balance.total,
            available=balance.available,
            usd_value=balance.usd_estimate,
        )


class FixOfferView(View):
    """A setting the connected key may change itself ("fix it for me", `services.fixes`)."""

    id: str
    check: str
    title: str
    detail: str


class ReportView(View):
    """A fresh verification report (connect, check, replace), with the connection it belongs to once stored, and
    the fixes the key may apply itself (``tradedock fix ID``)."""

    exchange: str
    environment: str
    scope: str
    contract: str | None
    status: ConnectionStatus
    checks: list[CheckView]
    facts: dict[str, Any]
    duration_ms: int
    rounds: int
    started_at: datetime
    connection_id: str | None
    fixes: list[FixOfferView] = []

    @classmethod
    def report_fields(cls, report: Report, connection_id: str | None) -> dict[str, Any]:
        return {
            "exchange": report.exchange.value,
            "environment": report.environment.value,
            "scope": report.scope.value,
            "contract": None if report.contract is None else report.contract.value,
            "status": report.status,
            "checks": [CheckView(**c.to_dict()) for c in report.checks],
            "facts": report.facts.to_dict(),
            "duration_ms": report.duration_ms,
            "rounds": report.rounds,
            "started_at": report.started_at,
            "connection_id": connection_id,
        }

    def check(self, check_id: str) -> CheckView:
        """The line of one check; `KeyError` if the report has none."""
        for line in self.checks:
            if line.id == check_id:
                return line
        raise KeyError(check_id)


class Outcome(ReportView):
    """The result of connect / check / replace: the report, whether anything was stored, and a note."""

    stored: bool
    note: str | None = None

    @classmethod
    def from_report(
        cls,
        report: Report,
        connection_id: str | None,
        *,
        stored: bool,
        note: str | None = None,
        fixes: Sequence[FixOfferView] = (),
    ) -> Outcome:
        return cls(**cls.report_fields(report, connection_id), stored=stored, note=note, fixes=list(fixes))


class RunView(View):
    """A stored verification run (``show``'s last report, history)."""

    status: ConnectionStatus
    trigger: str
    started_at: datetime
    duration_ms: int
    checks: list[CheckView]

    @classmethod
    def from_run(cls, run: StoredRun) -> RunView:
        titles = check_titles()
        return cls(
            status=ConnectionStatus(run.status),
            trigger=run.trigger,
            started_at=_utc(run.started_at),
            duration_ms=run.duration_ms,
            checks=[
                CheckView(
                    id=r.check_id,
                    outcome=r.outcome,
                    title=titles.get(r.check_id),
                    message=r.message,
                    fix=list(r.fix),
                    evidence=r.evidence,
                )
                for r in run.results
            ],
        )


# --- connections -------------------------------------------------------------------------------------------


class ConnectionView(View):
    """A connection as shells show it: label, masked key, status, facts. Never a secret."""

    id: str
    exchange: str
    environment: str
    label: str
    scope: str
    contract: str | None
    status: ConnectionStatus
    masked_key: str
    fingerprint: str
    account_uid: str | None
    account_mode: str | None
    position_mode: str | None
    margin_mode: str | None
    key_expires_at: datetime | None
    last_checked_at: datetime | None
    balance_usd: Money | None
    created_at: datetime
    #: The trader's choice at connect: "auto" (auto sync from the exchange) or the mode required.
    position_mode_choice: str = "auto"
    margin_mode_choice: str = "auto"

    @classmethod
    def row_fields(cls, row: StoredConnection) -> dict[str, Any]:
        return {
            "id": row.id,
            "exchange": row.exchange,
            "environment": row.environment,
            "label": row.label,
            "scope": row.scope,
            "contract": row.contract_type,
            "status": ConnectionStatus(row.status),
            "masked_key": row.masked_key,
            "fingerprint": row.key_fingerprint[:8],
            "account_uid": row.account_uid,
            "account_mode": row.account_mode,
            "position_mode": row.position_mode,
            "margin_mode": row.margin_mode,
            "position_mode_choice": row.position_mode_choice or "auto",
            "margin_mode_choice": row.margin_mode_choice or "auto",
            "key_expires_at": _utc(row.key_expires_at),
            "last_checked_at": _utc(row.last_checked_at),
            "balance_usd": row.last_balance_usd,
            "created_at": _utc(row.created_at),
        }

    @classmethod
    def from_row(cls, row: StoredConnection) -> ConnectionView:
        return cls(**cls.row_fields(row))


class ConnectionDetail(ConnectionView):
    """One connection with its newest stored verification run (``show``)."""

    last_report: RunView | None

    @classmethod
    def from_row_and_run(cls, row: StoredConnection, run: StoredRun | None) -> ConnectionDetail:
        return cls(**cls.row_fields(row), last_report=None if run is None else RunView.from_run(run))


class EventView(BaseModel):
    """One event of the owner's feed (status changes, expiring keys, mode changes, …)."""

    model_config = ConfigDict(frozen=True)

    id: str
    type: str
    created_at: datetime
    connection_id: str | None
    data: dict[str, Any]


class RemovedView(View):
    removed: ConnectionView
    secrets_destroyed: bool


class BalancesView(View):
    connection_id: str
    balances: list[BalanceView]
    total_usd: Money
    unpriced_coins: list[str]

    @classmethod
    def from_balances(cls, connection_id: str, balances: Iterable[Balance]) -> BalancesView:
        items = tuple(balances)
        return cls(
            connection_id=connection_id,
            balances=[BalanceView.from_balance(b) for b in items],
            total_usd=total_usd(items),
            unpriced_coins=sorted({b.coin for b in items if b.usd_estimate is None}),
        )


def balances_document(balances: Iterable[Balance]) -> dict[str, Any]:
    """The JSON stored in ``connections.balances_json`` (same shape and conversion as `BalanceView`)."""
    return {"balances": [BalanceView.from_balance(b).to_json() for b in balances]}


# --- batches -----------------------------------------------------------------------------------------------


class NotChecked(View):
    """A connection a batch could not even verify (not loadable, not decryptable, not resolvable), and why."""

    connection_id: str
    error: str
    reason: str
    fix: str | None = None
    field: str | None = None


class CheckAllView(View):
    """``check --all``: every connection's own outcome, the ones that could not be checked, and a summary."""

    results: list[Outcome]
    not_checked: list[NotChecked]
    counts: dict[str, int]
    summary: str

    @classmethod
    def build(cls, results: Sequence[Outcome], not_checked: Sequence[NotChecked]) -> CheckAllView:
        tally = Counter(o.status for o in results)
        counts = {_SUMMARY_WORDS[s]: tally[s] for s in STATUS_ORDER if tally[s]}
        if not_checked:
            counts["not checked"] = len(not_checked)
        total = len(results) + len(not_checked)
        parts = ", ".join(f"{n} {word}" for word, n in counts.items())
        summary = f"{total} checked: {parts}" if parts else "No connections to check."
        return cls(results=list(results), not_checked=list(not_checked), counts=counts, summary=summary)

    @property
    def statuses(self) -> list[ConnectionStatus]:
        return [o.status for o in self.results]


__all__ = [
    "STATUS_ORDER",
    "BalanceView",
    "BalancesView",
    "CheckAllView",
    "CheckView",
    "ConnectionDetail",
    "ConnectionView",
    "EventView",
    "FixOfferView",
    "Money",
    "NotChecked",
    "Outcome",
    "RemovedView",
    "ReportView",
    "RunView",
    "StoredCheck",
    "StoredConnection",
    "StoredRun",
    "balances_document",
]
