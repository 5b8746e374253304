"""The operator's health view: database, vault keys, the platform's clock against each exchange, egress IPs,
monitor workers (heartbeats) and queue depth (checks due and leased, webhook deliveries pending, connections the
monitor could not load: operator alerts; on PostgreSQL the procrastinate jobs per status).

What belongs here: measuring the platform's own conditions. They are the operator's to fix and never touch a
trader's connection status (DESIGN, "Conditions of the platform are not the trader's fault"). Clock offsets are
measured with each exchange's public server-time call (no key is used) and cached for a minute, so a busy health
page does not hammer the exchanges. What does not: HTTP, or anything about one trader's connections.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import text

from tradedock.db import is_up_to_date
from tradedock.db.repositories import SecretRepository
from tradedock.db.repositories.monitor import MonitorRepository
from tradedock.domain import Credentials, Environment, ExchangeId
from tradedock.errors import TradeDockError
from tradedock.services.context import AppContext

#: How long a measured clock offset is reused.
CLOCK_CACHE = timedelta(minutes=1)
#: Longest a health request waits for one exchange's clock.
CLOCK_TIMEOUT_S = 3.0
#: A connection whose last recorded check is older than this many re-check intervals is overdue (`QueueDepth`).
OVERDUE_INTERVALS = 2
#: A worker without a heartbeat for this long is shown as not alive; after ``WORKER_LIST`` it is not listed.
WORKER_STALE = timedelta(minutes=2)
WORKER_LIST = timedelta(hours=1)


class DatabaseHealth(BaseModel):
    ok: bool
    backend: str
    migrations_current: bool
    detail: str | None = None


class VaultHealth(BaseModel):
    ok: bool
    primary_key_id: str
    key_ids: list[str]
    #: Stored connection secrets per master key id; an id not in ``key_ids`` cannot be opened.
    sealed_per_key_id: dict[str, int]
    detail: str | None = None


class ClockHealth(BaseModel):
    exchange: str
    environment: str
    ok: bool
    offset_ms: int | None
    round_trip_ms: int | None
    measured_at: datetime | None
    detail: str | None = None


class WorkerHealth(BaseModel):
    id: str
    hostname: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    #: A heartbeat within the last ``WORKER_STALE`` (a worker beats after every batch and every idle poll).
    alive: bool
    checks_done: int
    deliveries_done: int


class MonitorAlert(BaseModel):
    connection_id: str
    reason: str


class QueueDepth(BaseModel):
    checks_due: int
    checks_leased: int
    webhook_deliveries_pending: int
    connections_with_alerts: int
    #: Connections the monitor could not load or decrypt (first 20): the operator's to fix.
    alerts: list[MonitorAlert]
    #: Connections whose last recorded check is older than `OVERDUE_INTERVALS` re-check intervals (never checked:
    #: their creation), and the oldest such time: re-checks are falling behind; ``overdue_detail`` says what to do.
    checks_overdue: int = 0
    oldest_check_at: datetime | None = None
    overdue_detail: str | None = None
    #: The PostgreSQL workers' job queue (procrastinate): jobs per status (``todo`` waiting, ``doing`` running,
    #: ``failed``; succeeded jobs are deleted). Empty on SQLite, where the monitor runs in rounds without a queue.
    jobs: dict[str, int] = {}


class HealthView(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Literal["ok", "degraded"]
    database: DatabaseHealth
    vault: VaultHealth
    clocks: list[ClockHealth]
    egress_ips: list[str]
    egress_ips_configured: bool
    workers: list[WorkerHealth]
    queue_depth: QueueDepth


class HealthService:
    """Kept for the life of the app: it caches clock measurements."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._clocks: dict[ExchangeId, ClockHealth] = {}

    async def view(self) -> HealthView:
        database, vault = await self._database_and_vault()
        clocks = list(await asyncio.gather(*(self._clock(exchange) for exchange in ExchangeId)))
        settings = self.ctx.settings
        workers, queue = await self._monitor()
        ok = (
            database.ok
            and vault.ok
            and all(c.ok for c in clocks)
            and not queue.connections_with_alerts
            and not queue.checks_overdue
        )
        return HealthView(
            status="ok" if ok else "degraded",
            database=database,
            vault=vault,
            clocks=clocks,
            egress_ips=list(settings.egress_ips),
            egress_ips_configured=bool(settings.egress_ips),
            workers=workers,
            queue_depth=queue,
        )

    async def _monitor(self) -> tuple[list[WorkerHealth], QueueDepth]:
        now = self.ctx.clock.now()
        try:
            async with self.ctx.reading() as session:
                repo = MonitorRepository(session)
                rows = await repo.workers(now - WORKER_LIST)
                counts = await repo.queue_counts(now)
                alerts = await repo.alerts(20)
                overdue_after = timedelta(seconds=self.ctx.settings.monitor_interval_s * OVERDUE_INTERVALS)
                overdue, oldest = await repo.overdue(now - overdue_after)
                jobs = await repo.job_counts()
        except Exception:  # the database is down: the database part says so
            return [], QueueDepth(
                checks_due=0, checks_leased=0, webhook_deliveries_pending=0, connections_with_alerts=0, alerts=[]
            )
        workers = [
            WorkerHealth(
                id=w.id,
                hostname=w.hostname,
                pid=w.pid,
                started_at=w.started_at,
                heartbeat_at=w.heartbeat_at,
                alive=now - w.heartbeat_at <= WORKER_STALE,
                checks_done=w.checks_done,
                deliveries_done=w.deliveries_done,
            )
            for w in rows
        ]
        queue = QueueDepth(
            **counts,
            alerts=[MonitorAlert(connection_id=c, reason=r) for c, r in alerts],
            jobs=jobs,
            checks_overdue=overdue,
            oldest_check_at=oldest,
            overdue_detail=_overdue_detail(overdue, overdue_after, any(w.alive for w in workers)),
        )
        return workers, queue

    async def _database_and_vault(self) -> tuple[DatabaseHealth, VaultHealth]:
        ctx = self.ctx
        backend = ctx.engine.dialect.name
        vault = ctx.vault
        try:
            async with ctx.transaction() as session:
                await session.execute(text("SELECT 1"))
                per_key = await SecretRepository(session).count_by_kek_id()
            current = await is_up_to_date(ctx.engine)
        except Exception as exc:  # the database is down: say so, do not fail the health page
            database = DatabaseHealth(ok=False, backend=backend, migrations_current=False, detail=type(exc).__name__)
            return database, VaultHealth(
                ok=True, primary_key_id=vault.primary_key_id, key_ids=list(vault.key_ids), sealed_per_key_id={}
            )
        unknown = sorted(k for k in per_key if k not in vault.key_ids)
        database = DatabaseHealth(
            ok=current,
            backend=backend,
            migrations_current=current,
            detail=None if current else "the schema is behind this version: run `tradedock db upgrade`",
        )
        vault_health = VaultHealth(
            ok=not unknown,
            primary_key_id=vault.primary_key_id,
            key_ids=list(vault.key_ids),
            sealed_per_key_id=dict(sorted(per_key.items())),
            detail=f"secrets sealed under master key ids that are not configured: {', '.join(unknown)}"
            if unknown
            else None,
        )
        return database, vault_health

    def _environment(self, exchange: ExchangeId) -> Environment:
        """The simulated exchange when the sandbox is configured for it, else the live exchange."""
        urls = self.ctx.settings.effective_sandbox_urls()
        return Environment.SANDBOX if exchange.value in urls else Environment.LIVE

    async def _clock(self, exchange: ExchangeId) -> ClockHealth:
        now = self.ctx.clock.now()
        cached = self._clocks.get(exchange)
        if cached is not None and cached.measured_at is not None and now - cached.measured_at < CLOCK_CACHE:
            return cached
        environment = self._environment(exchange)
        access = self.ctx.access
        try:
            flavor, _ = access.flavors(exchange, environment)
            # server_time is public: the adapter needs credentials to exist, never to sign this call.
            fields = {f.name: "health-check" for f in access.spec(exchange).credential_fields}
            placeholder = Credentials(exchange, fields)
            adapter = access.adapter(placeholder, environment, flavor)
            try:
                sample = await asyncio.wait_for(adapter.server_time(), CLOCK_TIMEOUT_S)
            finally:
                await adapter.aclose()
        except (TradeDockError, TimeoutError, OSError) as exc:
            result = ClockHealth(
                exchange=exchange.value,
                environment=environment.value,
                ok=False,
                offset_ms=None,
                round_trip_ms=None,
                measured_at=now,
                detail=f"the exchange's time could not be read: {exc}",
            )
        else:
            limit = self.ctx.settings.clock_warn_ms
            ok = abs(sample.offset_ms) <= limit
            result = ClockHealth(
                exchange=exchange.value,
                environment=environment.value,
                ok=ok,
                offset_ms=sample.offset_ms,
                round_trip_ms=sample.round_trip_ms,
                measured_at=now,
                detail=None if ok else f"this server's clock is off by more than {limit} ms: sync it (NTP)",
            )
        self._clocks[exchange] = result
        return result


def _overdue_detail(overdue: int, after: timedelta, worker_alive: bool) -> str | None:
    """What overdue re-checks mean and what to do: start a worker, or (one is running) see whether its share of an
    exchange's per-IP rate limit holds re-checks back (``deferred`` in its log) or it is simply too few."""
    if not overdue:
        return None
    hours = after.total_seconds() / 3600
    span = f"{hours:g} hours" if hours >= 1 else f"{after.total_seconds() / 60:g} minutes"
    head = f"{overdue} connection(s) not re-checked for more than {span} ({OVERDUE_INTERVALS} re-check intervals)"
    if not worker_alive:
        return (
            f"{head}, and no monitor worker is alive: start one (`tradedock worker`, or `tradedock serve` with "
            "TRADEDOCK_MONITOR_IN_SERVE=true)."
        )
    return (
        f"{head}: the monitor is falling behind. If the worker log says re-checks were deferred, the fleet needs more "
        "requests per hour than the exchanges' per-IP limits allow this server: lengthen the interval "
        "(TRADEDOCK_MONITOR_INTERVAL_S). Otherwise start more workers."
    )
