"""The monitor's tables: per-connection schedule/lease rows, worker heartbeats, webhook deliveries and attempts.

What belongs here: every query on ``monitor_leases``, ``monitor_workers``, ``webhook_deliveries`` and
``webhook_attempts``. Claims are one conditional UPDATE over a sub-select that is ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL (rows another worker is claiming are skipped, not waited for); SQLite serialises writers with
``BEGIN IMMEDIATE``, so the same statement is safe there. What does not: schedules, backoff or event rules
(services.monitor, services.notifications).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, and_, bindparam, delete, func, literal, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tradedock.db.models import (
    CheckResult,
    Connection,
    MonitorLease,
    MonitorWorker,
    VerificationRun,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from tradedock.db.repositories.connections import CURRENT_COLUMNS
from tradedock.db.repositories.support import lease_selected, rowcount


class HeldLease(NamedTuple):
    """A lease row this worker still holds, as the batch record reads it (locked until the record commits), with its
    connection's `CURRENT_COLUMNS` (locked too) and the outcome of one check in the connection's newest run."""

    connection_id: str
    failures: int
    expiry_notified: int | None
    expiry_for: datetime | None
    current: Mapping[str, Any]
    prior_outcome: str | None


#: The columns `finish_many` writes for every row (the same set for each, as executemany needs).
FINISH_COLUMNS = ("failures", "next_check_at", "last_error", "expiry_notified", "expiry_for")


#: `MonitorRepository.finish_many` on PostgreSQL: one UPDATE joined to the rows passed as one array per column
#: (``unnest``), the same rows written under the same fence as the executemany UPDATE, without psycopg's and
#: SQLAlchemy's per-row cost (~14 µs of CPU per row for a batch of 128).
_FINISH_UNNEST = text(
    "UPDATE monitor_leases AS l SET lease_owner = NULL, lease_expires_at = NULL, failures = v.failures,"
    " next_check_at = v.next_check_at, last_error = v.last_error, expiry_notified = v.expiry_notified,"
    " expiry_for = v.expiry_for"
    " FROM unnest(CAST(:connection_id AS text[]), CAST(:failures AS integer[]), CAST(:next_check_at AS timestamptz[]),"
    " CAST(:last_error AS text[]), CAST(:expiry_notified AS integer[]), CAST(:expiry_for AS timestamptz[]))"
    " AS v(connection_id, failures, next_check_at, last_error, expiry_notified, expiry_for)"
    " WHERE l.connection_id = v.connection_id AND l.lease_owner = :owner"
)

#: `MonitorRepository.schedule` on PostgreSQL: the new schedule rows from two arrays, one statement.
_SCHEDULE_UNNEST = text(
    "INSERT INTO monitor_leases (connection_id, next_check_at, failures)"
    " SELECT v.connection_id, v.next_check_at, 0"
    " FROM unnest(CAST(:connection_id AS text[]), CAST(:next_check_at AS timestamptz[]))"
    " AS v(connection_id, next_check_at)"
    " ON CONFLICT DO NOTHING"
)


def _upsert_insert(connection: AsyncConnection, table: Table) -> Any:
    """An INSERT into ``table`` in the connection's dialect, which has ``on_conflict_do_nothing`` and
    ``on_conflict_do_update`` (PostgreSQL's or SQLite's; both speak ``ON CONFLICT``)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def _column_arrays(
    table: Table, connection: Any, names: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """The parameters of a statement over ``unnest`` arrays: per column the rows' values, each through its column
    type's bind processing (a naive datetime is refused as in any other write)."""
    dialect = connection.dialect
    arrays: dict[str, list[Any]] = {}
    for name in names:
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        arrays[name] = [row[name] if process is None else process(row[name]) for row in rows]
    return arrays


def _finish_arrays(table: Table, connection: Any, worker_id: str, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`_FINISH_UNNEST`'s parameters: the lease owner, and per column the rows' values (`_column_arrays`)."""
    return {"owner": worker_id, **_column_arrays(table, connection, ("connection_id", *FINISH_COLUMNS), rows)}


class MonitorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- schedule and leases ------------------------------------------------------------------------------

    async def unscheduled(self, limit: int) -> list[tuple[str, datetime | None]]:
        """Connections without a schedule row: (id, last_checked_at)."""
        query = (
            select(Connection.id, Connection.last_checked_at)
            .outerjoin(MonitorLease, MonitorLease.connection_id == Connection.id)
            .where(MonitorLease.connection_id.is_(None))
            .order_by(Connection.id)
            .limit(limit)
        )
        return [(row[0], row[1]) for row in (await self._session.execute(query)).all()]

    async def schedule_never_checked(self, now: datetime, limit: int) -> tuple[int, bool]:
        """Schedule up to ``limit`` connections that have no schedule row and were never checked, due ``now`` — in
        one INSERT … SELECT, no row through Python (a bulk import's connections). How many were added, and whether
        any may be left: a row another worker added meanwhile is left alone (ON CONFLICT DO NOTHING), so a batch
        that added none may have waited for another worker's rows, not run out."""
        table = cast(Table, MonitorLease.__table__)
        connection = await self._session.connection()
        missing = (
            select(Connection.id)
            .outerjoin(MonitorLease, MonitorLease.connection_id == Connection.id)
            .where(MonitorLease.connection_id.is_(None), Connection.last_checked_at.is_(None))
        )
        due = bindparam("due", now, type_=table.c.next_check_at.type)
        statement = (
            _upsert_insert(connection, table)
            .from_select(
                ["connection_id", "next_check_at", "failures"],
                missing.add_columns(due, literal(0)).order_by(Connection.id).limit(limit),
            )
            .on_conflict_do_nothing()
            .execution_options(preserve_rowcount=True)  # (SQLAlchemy keeps an INSERT's rowcount only when asked)
        )
        added = rowcount(await connection.execute(statement))
        if added:
            return added, True
        return 0, (await connection.execute(missing.limit(1))).first() is not None

    async def schedule(self, rows: Sequence[tuple[str, datetime]]) -> int:
        """Add schedule rows; a row another worker added meanwhile is left alone (ON CONFLICT DO NOTHING). How many
        were added. On PostgreSQL one INSERT over the rows' arrays (`_SCHEDULE_UNNEST`), else an executemany: a
        multi-row VALUES statement was compiled anew for every batch (~40 µs of CPU per row)."""
        if not rows:
            return 0
        table = cast(Table, MonitorLease.__table__)
        connection = await self._session.connection()
        values = [{"connection_id": cid, "next_check_at": at, "failures": 0} for cid, at in rows]
        if connection.dialect.name == "postgresql":
            arrays = _column_arrays(table, connection, ("connection_id", "next_check_at"), values)
            return rowcount(await connection.execute(_SCHEDULE_UNNEST, arrays))
        statement = _upsert_insert(connection, table).on_conflict_do_nothing()
        return rowcount(await connection.execute(statement, values))

    async def claim_checks(self, worker_id: str, now: datetime, until: datetime, limit: int) -> list[str]:
        """Lease up to ``limit`` due connections whose lease is free or expired; their ids, due first."""
        due = (
            select(MonitorLease.connection_id)
            .where(
                MonitorLease.next_check_at <= now,
                or_(MonitorLease.lease_expires_at.is_(None), MonitorLease.lease_expires_at < now),
            )
            .order_by(MonitorLease.next_check_at, MonitorLease.connection_id)
            .limit(limit)
        )
        return await lease_selected(self._session, MonitorLease.connection_id, due, worker_id, until)

    async def claim_these(
        self, connection_ids: Sequence[str], worker_id: str, now: datetime, until: datetime
    ) -> list[str]:
        """Lease these connections (queued re-check jobs) in one statement, those still due with a free or expired
        lease; their ids, sorted."""
        if not connection_ids:
            return []
        result = await self._session.execute(
            update(MonitorLease)
            .where(
                MonitorLease.connection_id.in_(list(connection_ids)),
                MonitorLease.next_check_at <= now,
                or_(MonitorLease.lease_expires_at.is_(None), MonitorLease.lease_expires_at < now),
            )
            .values(lease_owner=worker_id, lease_expires_at=until)
            .returning(MonitorLease.connection_id)
            .execution_options(synchronize_session=False)
        )
        return sorted(row[0] for row in result.all())

    async def due_unqueued(self, now: datetime, limit: int, batch_task: str, single_task: str) -> list[str]:
        """PostgreSQL with procrastinate's schema: due connections whose lease is free or expired and that are in no
        re-check job waiting or running — jobs of ``batch_task`` list them in ``args.connection_ids``, those of
        ``single_task`` (queued before re-checks were queued in batches) name one in ``args.connection_id`` — due
        first. The queued ids are gathered once (a hash anti-join), not looked up per connection."""
        query = text(
            "WITH queued AS ("
            " SELECT jsonb_array_elements_text(j.args->'connection_ids') AS id FROM procrastinate_jobs j"
            " WHERE j.task_name = :batch_task AND j.status IN ('todo', 'doing')"
            " UNION ALL SELECT j.args->>'connection_id' FROM procrastinate_jobs j"
            " WHERE j.task_name = :single_task AND j.status IN ('todo', 'doing'))"
            " SELECT l.connection_id FROM monitor_leases l"
            " WHERE l.next_check_at <= :now AND (l.lease_expires_at IS NULL OR l.lease_expires_at < :now)"
            " AND NOT EXISTS (SELECT 1 FROM queued q WHERE q.id = l.connection_id)"
            " ORDER BY l.next_check_at, l.connection_id LIMIT :limit"
        )
        rows = await self._session.execute(
            query, {"now": now, "limit": limit, "batch_task": batch_task, "single_task": single_task}
        )
        return [str(row[0]) for row in rows.all()]

    async def job_counts(self) -> dict[str, int]:
        """procrastinate's jobs per status (``todo``, ``doing``, ``failed``, …); empty without its schema (SQLite)."""
        if self._session.bind is None or self._session.bind.dialect.name != "postgresql":
            return {}
        if await self._session.scalar(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")) is not True:
            return {}
        rows = await self._session.execute(
            text("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status ORDER BY status")
        )
        return {str(status): int(n) for status, n in rows.all()}

    async def lease(self, connection_id: str) -> MonitorLease | None:
        query = select(MonitorLease).where(MonitorLease.connection_id == connection_id)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def finish(self, connection_id: str, worker_id: str, **values: Any) -> bool:
        """Release our lease and set the next check (and any other column); ``False`` if the lease is no longer
        ours (it expired and another worker took it): then nothing is changed."""
        result = await self._session.execute(
            update(MonitorLease)
            .where(MonitorLease.connection_id == connection_id, MonitorLease.lease_owner == worker_id)
            .values(lease_owner=None, lease_expires_at=None, **values)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    async def held(self, connection_ids: Sequence[str], worker_id: str, prior_check: str) -> dict[str, HeldLease]:
        """The lease rows among ``connection_ids`` still held by ``worker_id`` — the batch record's fence — with their
        connections' current rows, all locked until the transaction ends (``FOR UPDATE`` in id order on PostgreSQL,
        so two records never deadlock, no claim can take the leases and no writer can move the connections meanwhile;
        SQLite's ``BEGIN IMMEDIATE`` already excludes every other writer), and the outcome of ``prior_check`` in each
        connection's newest run (not locked), in ONE query. A row missing from the answer was lost (expired and taken
        by another worker) or removed with its connection (a lease row goes with its connection)."""
        if not connection_ids:
            return {}
        leases = cast(Table, MonitorLease.__table__)
        connections = cast(Table, Connection.__table__)
        runs = cast(Table, VerificationRun.__table__)
        results = cast(Table, CheckResult.__table__)
        newest_run = (
            select(runs.c.id)
            .where(runs.c.connection_id == leases.c.connection_id)
            .order_by(runs.c.started_at.desc(), runs.c.id.desc())
            .limit(1)
            .correlate(leases)
            .scalar_subquery()
        )
        prior = (
            select(results.c.outcome)
            .where(results.c.run_id == newest_run, results.c.check_id == prior_check)
            .correlate(leases)
            .scalar_subquery()
        )
        query = (
            select(
                leases.c.connection_id,
                leases.c.failures,
                leases.c.expiry_notified,
                leases.c.expiry_for,
                prior,
                *(connections.c[name] for name in CURRENT_COLUMNS),
            )
            .select_from(leases.join(connections, connections.c.id == leases.c.connection_id))
            .where(leases.c.connection_id.in_(list(connection_ids)), leases.c.lease_owner == worker_id)
            .order_by(leases.c.connection_id)
            .with_for_update()
        )
        return {
            row[0]: HeldLease(
                row[0], int(row[1] or 0), row[2], row[3], dict(zip(CURRENT_COLUMNS, row[5:], strict=True)), row[4]
            )
            for row in (await self._session.execute(query)).all()
        }

    async def finish_many(self, worker_id: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """`finish` for a whole batch in one executemany UPDATE (on PostgreSQL one UPDATE over the rows' arrays,
        `_FINISH_UNNEST`): each row (``connection_id`` and every column of `FINISH_COLUMNS`) is written only while
        ``worker_id`` holds its lease; how many rows were written."""
        if not rows:
            return 0
        table = cast(Table, MonitorLease.__table__)
        connection = await self._session.connection()
        if connection.dialect.name == "postgresql":
            return rowcount(
                await connection.execute(_FINISH_UNNEST, _finish_arrays(table, connection, worker_id, rows))
            )
        statement = (
            update(table)
            .where(table.c.connection_id == bindparam("b_id"), table.c.lease_owner == bindparam("b_owner"))
            .values(
                lease_owner=None,
                lease_expires_at=None,
                **{name: bindparam(f"b_{name}") for name in FINISH_COLUMNS},
            )
        )
        params = [
            {"b_id": row["connection_id"], "b_owner": worker_id, **{f"b_{name}": row[name] for name in FINISH_COLUMNS}}
            for row in rows
        ]
        return rowcount(await connection.execute(statement, params))

    async def queue_counts(self, now: datetime) -> dict[str, int]:
        due = await self._session.scalar(
            select(func.count()).select_from(MonitorLease).where(MonitorLease.next_check_at <= now)
        )
        leased = await self._session.scalar(
            select(func.count()).select_from(MonitorLease).where(MonitorLease.lease_expires_at > now)
        )
        alerts = await self._session.scalar(
            select(func.count()).select_from(MonitorLease).where(MonitorLease.last_error.is_not(None))
        )
        pending = await self._session.scalar(
            select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.state == "pending")
        )
        return {
            "checks_due": int(due or 0),
            "checks_leased": int(leased or 0),
            "connections_with_alerts": int(alerts or 0),
            "webhook_deliveries_pending": int(pending or 0),
        }

    async def overdue(self, checked_before: datetime) -> tuple[int, datetime | None]:
        """Connections whose last recorded check (or, never checked, their creation) is older than
        ``checked_before``, and the oldest such time: re-checks the monitor is not keeping up with, whatever the
        cause (no worker running, too few for the fleet, re-checks deferred again and again by the rate budgets)."""
        last = func.coalesce(Connection.last_checked_at, Connection.created_at)
        row = (await self._session.execute(select(func.count(), func.min(last)).where(last < checked_before))).one()
        return int(row[0] or 0), row[1]

    async def alerts(self, limit: int) -> list[tuple[str, str]]:
        query = (
            select(MonitorLease.connection_id, MonitorLease.last_error)
            .where(MonitorLease.last_error.is_not(None))
            .order_by(MonitorLease.connection_id)
            .limit(limit)
        )
        return [(row[0], str(row[1])) for row in (await self._session.execute(query)).all()]

    # --- workers -----------------------------------------------------------------------------------------

    async def heartbeat(
        self, worker_id: str, hostname: str, pid: int, now: datetime, *, checks: int, deliveries: int
    ) -> None:
        """Beat: the worker's row, added on its first beat, with its counts of checks and deliveries added to. One
        upsert (``INSERT … ON CONFLICT DO UPDATE``): two beats of one new worker at once (two re-check jobs) must
        not both find no row and both insert it."""
        table = cast(Table, MonitorWorker.__table__)
        statement = (
            _upsert_insert(await self._session.connection(), table)
            .values(
                id=worker_id,
                hostname=hostname[:200],
                pid=pid,
                started_at=now,
                heartbeat_at=now,
                checks_done=checks,
                deliveries_done=deliveries,
            )
            .on_conflict_do_update(
                index_elements=[table.c.id],
                set_={
                    "heartbeat_at": now,
                    "checks_done": table.c.checks_done + checks,
                    "deliveries_done": table.c.deliveries_done + deliveries,
                },
            )
        )
        await self._session.execute(statement)

    async def forget_worker(self, worker_id: str) -> None:
        """A stopping worker's heartbeat row goes: it no longer counts as live."""
        await self._session.execute(delete(MonitorWorker).where(MonitorWorker.id == worker_id))

    async def live_workers(
        self, since: datetime, *, beaten_before: datetime | None = None, other_than: str | None = None
    ) -> int:
        """Workers with a heartbeat at or after ``since`` (what each worker divides shared rate budgets by); with
        ``beaten_before``, only those whose last beat is earlier than that; ``other_than``: leaving that one out."""
        query = select(func.count()).select_from(MonitorWorker).where(MonitorWorker.heartbeat_at >= since)
        if beaten_before is not None:
            query = query.where(MonitorWorker.heartbeat_at < beaten_before)
        if other_than is not None:
            query = query.where(MonitorWorker.id != other_than)
        count = await self._session.scalar(query)
        return int(count or 0)

    async def workers(self, since: datetime) -> list[MonitorWorker]:
        query = select(MonitorWorker).where(MonitorWorker.heartbeat_at >= since).order_by(MonitorWorker.started_at)
        return list((await self._session.execute(query)).scalars())


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def active_webhooks(self, owner_id: str) -> list[Webhook]:
        query = select(Webhook).where(Webhook.owner_id == owner_id, Webhook.disabled_at.is_(None))
        return list((await self._session.execute(query)).scalars())

    async def add(self, delivery_id: str, webhook_id: str, event_id: str, now: datetime) -> None:
        self._session.add(
            WebhookDelivery(
                id=delivery_id,
                webhook_id=webhook_id,
                event_id=event_id,
                state="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        await self._session.flush()

    async def any_due(self, now: datetime) -> bool:
        """Whether a pending delivery is due and not leased (what a queue tick checks before queueing a job)."""
        query = (
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.state == "pending",
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.lease_expires_at.is_(None), WebhookDelivery.lease_expires_at < now),
            )
            .limit(1)
        )
        return (await self._session.scalar(query)) is not None

    async def claim(self, worker_id: str, now: datetime, until: datetime, limit: int) -> list[str]:
        due = (
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.state == "pending",
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.lease_expires_at.is_(None), WebhookDelivery.lease_expires_at < now),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
        return await lease_selected(self._session, WebhookDelivery.id, due, worker_id, until)

    async def get(self, delivery_id: str) -> WebhookDelivery | None:
        return await self._session.get(WebhookDelivery, delivery_id)

    async def webhook(self, webhook_id: str) -> Webhook | None:
        return await self._session.get(Webhook, webhook_id)

    async def record_attempt(
        self,
        delivery_id: str,
        worker_id: str,
        *,
        attempt: int,
        at: datetime,
        status_code: int | None,
        error: str | None,
        duration_ms: int,
        state: str,
        next_attempt_at: datetime,
    ) -> bool:
        """Write one attempt and the delivery's new state, only while our lease holds (``False`` otherwise)."""
        result = await self._session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.lease_owner == worker_id,
                WebhookDelivery.state == "pending",
            )
            .values(
                state=state,
                attempts=attempt,
                next_attempt_at=next_attempt_at,
                lease_owner=None,
                lease_expires_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            return False
        self._session.add(
            WebhookAttempt(
                delivery_id=delivery_id,
                attempt=attempt,
                at=at,
                status_code=status_code,
                error=None if error is None else error[:400],
                duration_ms=duration_ms,
            )
        )
        await self._session.flush()
        return True

    async def endpoint_result(self, webhook_id: str, *, ok: bool) -> int:
        """Reset or bump the endpoint's failures in a row; the new count."""
        values: dict[str, Any] = (
            {"consecutive_failures": 0} if ok else {"consecutive_failures": Webhook.consecutive_failures + 1}
        )
        await self._session.execute(
            update(Webhook)
            .where(Webhook.id == webhook_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        count = await self._session.scalar(select(Webhook.consecutive_failures).where(Webhook.id == webhook_id))
        return int(count or 0)

    async def disable(self, webhook_id: str, now: datetime) -> bool:
        """Disable the endpoint (once) and fail its pending deliveries; ``True`` if this call disabled it."""
        result = await self._session.execute(
            update(Webhook)
            .where(Webhook.id == webhook_id, Webhook.disabled_at.is_(None))
            .values(disabled_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            return False
        await self._session.execute(
            update(WebhookDelivery)
            .where(and_(WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.state == "pending"))
            .values(state="failed", lease_owner=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        return True

    async def attempts(self, delivery_id: str) -> list[WebhookAttempt]:
        query = select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.id)
        return list((await self._session.execute(query)).scalars())
