"""Verification runs and their check results: record a run, read the latest run per connection.

What belongs here: every query on ``verification_runs`` and ``check_results``, scoped by owner through the
connection in the query itself, and deleting old runs (history retention; their results go with them). What does
not: running checks (tradedock.verification) or deciding a connection's status (services).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tradedock.db.models import CheckResult, Connection, VerificationRun, new_id
from tradedock.db.repositories.support import insert_rows, json_document, rowcount

TRIGGERS = frozenset({"connect", "check", "replace", "schedule"})


class NewCheckResult(NamedTuple):
    """One check's outcome to store (services convert the verification report into these). A named tuple, as the
    other rows to write: a batch record makes 13 per check, and a tuple costs a fifth of a frozen dataclass."""

    check_id: str
    outcome: str
    message: str
    fix: Sequence[str] = ()
    evidence: Mapping[str, Any] = MappingProxyType({})


class NewRun(NamedTuple):
    """One run for `VerificationRunRepository.add_many`."""

    connection_id: str
    trigger: str
    status: str
    started_at: datetime
    duration_ms: int
    results: Sequence[NewCheckResult]


class VerificationRunRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        connection_id: str,
        trigger: str,
        status: str,
        started_at: datetime,
        duration_ms: int,
        results: Sequence[NewCheckResult],
    ) -> VerificationRun:
        """Store a run with its results, in the given order. The caller has already checked ownership."""
        if trigger not in TRIGGERS:
            raise ValueError(f"unknown verification trigger {trigger!r}; use one of {sorted(TRIGGERS)}")
        run = VerificationRun(
            id=new_id(),
            connection_id=connection_id,
            trigger=trigger,
            status=status,
            started_at=started_at,
            duration_ms=duration_ms,
        )
        rows: list[CheckResult] = []
        for position, result in enumerate(results):
            evidence = json_document(result.evidence, f"evidence of {result.check_id}")
            rows.append(
                CheckResult(
                    check_id=result.check_id,
                    position=position,
                    outcome=result.outcome,
                    message=result.message,
                    fix=[str(step) for step in result.fix],
                    evidence=evidence,
                )
            )
        run.results = rows
        self._session.add(run)
        await self._session.flush()
        return run

    async def add_many(self, runs: Sequence[NewRun]) -> list[str]:
        """`add` for a batch: two bulk inserts (runs, then their results: `support.insert_rows`) whatever the count;
        the new ids."""
        if not runs:
            return []
        run_rows: list[dict[str, Any]] = []
        result_rows: list[dict[str, Any]] = []
        for run in runs:
            if run.trigger not in TRIGGERS:
                raise ValueError(f"unknown verification trigger {run.trigger!r}; use one of {sorted(TRIGGERS)}")
            run_id = new_id()
            run_rows.append(
                {
                    "id": run_id,
                    "connection_id": run.connection_id,
                    "trigger": run.trigger,
                    "status": run.status,
                    "started_at": run.started_at,
                    "duration_ms": run.duration_ms,
                }
            )
            for position, result in enumerate(run.results):
                evidence = json_document(result.evidence, f"evidence of {result.check_id}")
                result_rows.append(
                    {
                        "run_id": run_id,
                        "check_id": result.check_id,
                        "position": position,
                        "outcome": result.outcome,
                        "message": result.message,
                        "fix": [str(step) for step in result.fix],
                        "evidence": evidence,
                    }
                )
        await insert_rows(self._session, cast(Table, VerificationRun.__table__), run_rows)
        await insert_rows(self._session, cast(Table, CheckResult.__table__), result_rows)
        return [row["id"] for row in run_rows]

    async def latest(self, owner_id: str, connection_id: str) -> VerificationRun | None:
        """The newest run of the owner's connection (``None`` for none, or for a foreign connection)."""
        query = (
            select(VerificationRun)
            .join(Connection, Connection.id == VerificationRun.connection_id)
            .where(VerificationRun.connection_id == connection_id, Connection.owner_id == owner_id)
            .order_by(VerificationRun.started_at.desc(), VerificationRun.id.desc())
            .limit(1)
        )
        return (await self._session.execute(query)).scalar_one_or_none()

    async def latest_for_owner(self, owner_id: str) -> dict[str, VerificationRun]:
        """Connection id → its newest run, for every connection of the owner that has one."""
        newest = (
            select(VerificationRun.connection_id, func.max(VerificationRun.started_at).label("started_at"))
            .join(Connection, Connection.id == VerificationRun.connection_id)
            .where(Connection.owner_id == owner_id)
            .group_by(VerificationRun.connection_id)
            .subquery()
        )
        query = (
            select(VerificationRun)
            .join(
                newest,
                (newest.c.connection_id == VerificationRun.connection_id)
                & (newest.c.started_at == VerificationRun.started_at),
            )
            .order_by(VerificationRun.id)
        )
        out: dict[str, VerificationRun] = {}
        for run in (await self._session.execute(query)).scalars():
            out.setdefault(run.connection_id, run)
        return out

    async def list_for_connection(
        self, owner_id: str, connection_id: str, *, limit: int = 20, offset: int = 0
    ) -> list[VerificationRun]:
        """The owner's connection's runs, newest first."""
        query = (
            select(VerificationRun)
            .join(Connection, Connection.id == VerificationRun.connection_id)
            .where(VerificationRun.connection_id == connection_id, Connection.owner_id == owner_id)
            .order_by(VerificationRun.started_at.desc(), VerificationRun.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list((await self._session.execute(query)).scalars())

    async def delete_older(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` of the oldest runs started before ``before`` (their check results cascade), never
        a connection's latest run: the status page keeps the report behind the status. How many went."""
        newer = aliased(VerificationRun)
        has_newer = (
            select(newer.id)
            .where(newer.connection_id == VerificationRun.connection_id, newer.started_at > VerificationRun.started_at)
            .exists()
        )
        oldest = (
            select(VerificationRun.id)
            .where(VerificationRun.started_at < before, has_newer)
            .order_by(VerificationRun.started_at)
            .limit(limit)
        )
        result = await self._session.execute(
            delete(VerificationRun).where(VerificationRun.id.in_(oldest)).execution_options(synchronize_session=False)
        )
        return rowcount(result)
