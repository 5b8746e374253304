"""The connection service's persistence helpers: repositories → views, reports → stored runs and facts.

What belongs here: translating between domain/verification values and the database repositories (owner ids,
facts from a report, balances snapshots). Views for shells are in `services.views`. What does not: SQL (that is in
`tradedock.db.repositories`) or the rules of a connection's life (`services.connections`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tradedock import domain
from tradedock.clock import Clock
from tradedock.db.ids import FULL_ID as FULL_ID  # (also imported from here)
from tradedock.db.ids import MIN_PREFIX as MIN_PREFIX
from tradedock.db.ids import may_be_prefix, the_one_match, wanted_id
from tradedock.db.models import Connection, VerificationRun
from tradedock.db.repositories import (
    AuditRepository,
    ConnectionRepository,
    UserRepository,
    VerificationRunRepository,
)
from tradedock.db.repositories.secrets import StoredSecrets
from tradedock.db.repositories.verification_runs import NewCheckResult
from tradedock.domain import Balance, ContractType, Environment, MarginMode, PositionMode, Scope, total_usd
from tradedock.services.verifying import Target
from tradedock.services.views import balances_document
from tradedock.vault import SealedSecrets
from tradedock.verification import Report

LOCAL_OWNER = domain.LOCAL_OWNER  # the owner name the CLI acts as


def target_of(row: Connection) -> Target:
    contract = ContractType(row.contract_type) if row.contract_type else None
    position = PositionMode(row.position_mode_choice) if row.position_mode_choice else None
    margin = MarginMode(row.margin_mode_choice) if row.margin_mode_choice else None
    return Target(Environment(row.environment), Scope(row.scope), contract, position, margin)


def report_facts(report: Report, now: datetime) -> dict[str, Any]:
    """The connection columns a verification report updates. Unknown facts keep their stored value."""
    facts = report.facts
    out: dict[str, Any] = {"status": report.status.value, "last_checked_at": now}
    if facts.uid:
        out["account_uid"] = facts.uid
    if facts.account_mode is not None:
        out["account_mode"] = facts.account_mode.value
    if facts.position_mode is not None:
        out["position_mode"] = facts.position_mode.value
    if facts.margin_mode is not None:
        out["margin_mode"] = facts.margin_mode.value
    if facts.key_info is not None:
        out["key_expires_at"] = facts.key_info.expires_at
    if facts.balances is not None:
        out["last_balance_usd"] = total_usd(facts.balances)
        out["balances_json"] = balances_document(facts.balances)
    return out


class Store:
    """The repositories one service call needs, sharing its session."""

    def __init__(self, session: AsyncSession, clock: Clock):
        self.clock = clock
        self.users = UserRepository(session, clock)
        self.connections = ConnectionRepository(session, clock)
        self.runs = VerificationRunRepository(session)
        self.audit_log = AuditRepository(session, clock)

    async def owner_id(self, name: str) -> str:
        return (await self.users.get_or_create(name)).id

    async def connection(self, owner_id: str, id_or_prefix: str) -> Connection:
        """The owner's connection by full id, or by a unique prefix of at least 4 characters (as `list` shows)."""
        wanted = wanted_id(id_or_prefix)
        found = await self.connections.find(owner_id, wanted)
        if found is not None or not may_be_prefix(wanted):
            return found or await self.connections.get(owner_id, wanted)
        rows = await self.connections.list_for_owner(owner_id)
        return the_one_match(id_or_prefix, wanted, [row for row in rows if row.id.startswith(wanted)])

    async def fingerprint_taken(self, fingerprint: str) -> bool:
        return await self.connections.get_by_fingerprint(fingerprint) is not None

    async def add_connection(
        self,
        *,
        connection_id: str,
        owner_id: str,
        request_exchange: str,
        environment: Environment,
        label: str,
        scope: Scope,
        contract: ContractType | None,
        fingerprint: str,
        masked_key: str,
        sealed: SealedSecrets,
        report: Report,
        position_mode_choice: PositionMode | None = None,
        margin_mode_choice: MarginMode | None = None,
    ) -> Connection:
        facts = report_facts(report, self.clock.now())
        status = facts.pop("status")
        return await self.connections.add(
            connection_id=connection_id,
            owner_id=owner_id,
            exchange=request_exchange,
            environment=environment.value,
            label=label,
            scope=scope.value,
            status=status,
            key_fingerprint=fingerprint,
            masked_key=masked_key,
            sealed=sealed,
            contract_type=contract.value if contract else None,
            position_mode_choice=position_mode_choice.value if position_mode_choice else None,
            margin_mode_choice=margin_mode_choice.value if margin_mode_choice else None,
            **facts,
        )

    async def apply_report(self, owner_id: str, connection_id: str, expected_version: int, report: Report) -> bool:
        """Record a report's facts if the row is still at ``expected_version``; ``False`` if it changed meanwhile."""
        facts = report_facts(report, self.clock.now())
        return await self.connections.update_if_version(owner_id, connection_id, expected_version, **facts)

    async def record_run(self, connection_id: str, trigger: str, report: Report) -> None:
        await self.runs.add(
            connection_id=connection_id,
            trigger=trigger,
            status=report.status.value,
            started_at=report.started_at,
            duration_ms=report.duration_ms,
            results=[NewCheckResult(c.id, c.outcome.value, c.message, c.fix, dict(c.evidence)) for c in report.checks],
        )

    async def latest_run(self, owner_id: str, connection_id: str) -> VerificationRun | None:
        return await self.runs.latest(owner_id, connection_id)

    async def sealed(self, owner_id: str, connection_id: str) -> StoredSecrets | None:
        """The owner's connection's sealed material; None when its wrapped data key row is gone (opening it is
        then an integrity error, not a missing connection)."""
        await self.connections.get(owner_id, connection_id)
        return await self.connections.secrets.get(connection_id)

    async def save_balances(
        self, owner_id: str, connection_id: str, expected_version: int, balances: Iterable[Balance]
    ) -> bool:
        items = tuple(balances)
        return await self.connections.update_if_version(
            owner_id,
            connection_id,
            expected_version,
            last_balance_usd=total_usd(items),
            balances_json=balances_document(items),
        )

    async def audit(self, owner_id: str, connection_id: str | None, action: str, detail: Mapping[str, Any]) -> None:
        await self.audit_log.append(owner_id=owner_id, connection_id=connection_id, action=action, detail=dict(detail))
