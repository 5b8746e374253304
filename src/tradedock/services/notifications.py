"""Events and signed webhook delivery.

What belongs here: turning a recorded check into events (`connection.status_changed`, `connection.mode_changed`,
`connection.balance_low`; the monitor adds the expiry ones), storing each event and queueing one delivery per
subscribed, enabled webhook in the same transaction (an outbox: nothing is lost when a process dies), and
delivering: the body ``{id, type, created_at, data}`` signed as
``TradeDock-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``, every attempt recorded,
retried with exponential backoff (durable: the next attempt time is a column, so any worker retries it), and an
endpoint that fails ``webhook_disable_after`` attempts in a row disabled with a ``webhook.disabled`` event the owner
sees. What does not: the schedule of checks (services.monitor), SQL (db.repositories), HTTP serving (shells).

No database session is open while a webhook endpoint is called (load, POST, record: three phases).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.clock import Clock
from tradedock.db.models import Event, new_id
from tradedock.db.repositories import EventRepository
from tradedock.db.repositories.monitor import DeliveryRepository
from tradedock.domain import ConnectionStatus
from tradedock.services.context import AppContext
from tradedock.services.webhooks import SEAL_KIND, SECRET_FIELD, internal_target
from tradedock.vault import SealContext
from tradedock.verification import Report

_log = logging.getLogger(__name__)

STATUS_CHANGED = "connection.status_changed"
KEY_EXPIRING = "connection.key_expiring"
KEY_EXPIRED = "connection.key_expired"
MODE_CHANGED = "connection.mode_changed"
BALANCE_LOW = "connection.balance_low"
WEBHOOK_DISABLED = "webhook.disabled"
SIGNATURE_HEADER = "TradeDock-Signature"
#: The connection columns auto-sync follows (DESIGN: position and margin mode, and the account mode).
MODE_FIELDS = ("position_mode", "margin_mode", "account_mode")
_BAD_BALANCE = ("fail", "warn")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``TradeDock-Signature`` header value for one request body."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def body_of(event: Event) -> bytes:
    """The exact bytes sent (and signed) for one event."""
    document = {
        "id": event.id,
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "data": event.data,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def backoff(attempt: int, base: timedelta, cap: timedelta, rng: random.Random) -> timedelta:
    """Delay before retry ``attempt`` (1 = the first retry): exponential, capped, "equal jitter" (half fixed,
    half random) so many failures never retry in lockstep."""
    full = min(cap.total_seconds(), base.total_seconds() * 2 ** max(attempt - 1, 0))
    return timedelta(seconds=full / 2 + rng.uniform(0, full / 2))


async def emit(
    session: AsyncSession,
    clock: Clock,
    owner_id: str,
    type_: str,
    data: Mapping[str, Any],
    *,
    connection_id: str | None = None,
    bot_id: str | None = None,
) -> Event:
    """Store an event and queue it for every enabled webhook of the owner subscribed to its type (same
    transaction as whatever caused it). ``webhook.disabled`` goes to every other enabled endpoint of the owner."""
    event = await EventRepository(session, clock).add(owner_id, type_, data, connection_id=connection_id, bot_id=bot_id)
    deliveries = DeliveryRepository(session)
    for webhook in await deliveries.active_webhooks(owner_id):
        if type_ in webhook.event_types or type_ == WEBHOOK_DISABLED:
            await deliveries.add(new_id(), webhook.id, event.id, clock.now())
    return event


class PriorResult(Protocol):
    @property
    def check_id(self) -> str: ...

    @property
    def outcome(self) -> str: ...


class PriorRun(Protocol):
    """What the events need of a connection's previous run: its checks' outcomes (a `VerificationRun`, or the
    monitor's batch record's one-check summary)."""

    @property
    def results(self) -> Sequence[PriorResult]: ...


@dataclass(frozen=True)
class Recorded:
    """One check as the record phase saw it: the row's facts before, the facts written, and the report."""

    owner_id: str
    connection_id: str
    label: str
    exchange: str
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    report: Report
    previous_run: PriorRun | None


def _failing(report: Report, ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    return [
        {"check": c.id, "outcome": c.outcome.value, "message": c.message, "fix": list(c.fix)}
        for c in report.checks
        if c.outcome.value in ("fail", "warn", "error") and (ids is None or c.id in ids)
    ]


def _previous_outcome(run: PriorRun | None, check_id: str) -> str | None:
    if run is None:
        return None
    for result in run.results:
        if result.check_id == check_id:
            return result.outcome
    return None


async def record_check_events(session: AsyncSession, clock: Clock, recorded: Recorded) -> list[Event]:
    """The events one recorded check causes, stored and queued in the record transaction."""
    base = {"connection_id": recorded.connection_id, "label": recorded.label, "exchange": recorded.exchange}
    report = recorded.report
    out: list[Event] = []
    old_status, new_status = recorded.before.get("status"), recorded.after.get("status")
    if old_status != new_status:
        data = {**base, "from": old_status, "to": new_status, "problems": _failing(report)}
        out.append(
            await emit(session, clock, recorded.owner_id, STATUS_CHANGED, data, connection_id=base["connection_id"])
        )
    changes = {
        name: {"from": recorded.before.get(name), "to": recorded.after.get(name)}
        for name in MODE_FIELDS
        if recorded.before.get(name) is not None
        and recorded.after.get(name) is not None
        and recorded.before.get(name) != recorded.after.get(name)
    }
    if changes:
        problems = _failing(report, ("position.mode", "margin.mode", "account.mode"))
        data = {
            **base,
            "changes": changes,
            "status": new_status,
            "action_required": new_status == ConnectionStatus.ACTION_REQUIRED.value and bool(problems),
            "problems": problems,
        }
        out.append(
            await emit(session, clock, recorded.owner_id, MODE_CHANGED, data, connection_id=base["connection_id"])
        )
    try:
        balance = report.check("balance.minimum")
    except KeyError:
        balance = None
    if (
        balance is not None
        and balance.outcome.value in _BAD_BALANCE
        and _previous_outcome(recorded.previous_run, "balance.minimum") not in _BAD_BALANCE
    ):
        evidence = dict(balance.evidence)
        total = recorded.after.get("last_balance_usd")
        data = {
            **base,
            "trading_wallet": evidence.get("trading_wallet"),
            "trading_wallet_usd": evidence.get("trading_wallet_usd"),
            "minimum_usd": evidence.get("minimum_usd"),
            "total_usd": None if total is None else str(total),
            "message": balance.message,
            "fix": list(balance.fix),
        }
        out.append(
            await emit(session, clock, recorded.owner_id, BALANCE_LOW, data, connection_id=base["connection_id"])
        )
    return out


# --- delivery -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryPolicy:
    timeout_s: float = 10.0
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=1)
    disable_after: int = 20
    lease: timedelta = timedelta(minutes=2)
    batch: int = 20
    #: Deliver to internal addresses too (the operator's ``webhook_allow_private``); off: refused, recorded, retried.
    allow_private: bool = False


@dataclass(frozen=True)
class _Prepared:
    delivery_id: str
    webhook_id: str
    owner_id: str
    url: str
    secret: str
    body: bytes
    attempt: int


class DeliveryService:
    """Delivers due webhook deliveries; safe to run in any number of processes at once (leases)."""

    def __init__(
        self,
        ctx: AppContext,
        worker_id: str,
        policy: DeliveryPolicy,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.ctx = ctx
        self.worker_id = worker_id
        self.policy = policy
        self.clock = clock or ctx.clock
        self.rng = rng or random.Random()
        self._client = client

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.policy.timeout_s, follow_redirects=False)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def any_due(self) -> bool:
        async with self.ctx.reading() as session:
            return await DeliveryRepository(session).any_due(self.clock.now())

    async def deliver_due(self) -> int:
        """Claim and attempt every due delivery (up to one batch); how many attempts were made."""
        now = self.clock.now()
        async with self.ctx.transaction() as session:
            ids = await DeliveryRepository(session).claim(
                self.worker_id, now, now + self.policy.lease, self.policy.batch
            )
        done = 0
        for delivery_id in ids:
            try:
                if await self._deliver(delivery_id):
                    done += 1
            except Exception:  # batch isolation: one broken delivery never stops the others
                _log.exception("webhook delivery %s failed unexpectedly", delivery_id)
        return done

    async def _prepare(self, delivery_id: str) -> _Prepared | None:
        async with self.ctx.reading() as session:
            repo = DeliveryRepository(session)
            delivery = await repo.get(delivery_id)
            if delivery is None or delivery.lease_owner != self.worker_id:
                return None
            webhook = await repo.webhook(delivery.webhook_id)
            event = await session.get(Event, delivery.event_id)
            if webhook is None or event is None or webhook.disabled_at is not None:
                return None
            sealed = _SealedWebhook(
                webhook.kek_id, webhook.wrapped_dek, {SECRET_FIELD: webhook.secret_ciphertext}, webhook.aad_version
            )
            secret = self.ctx.vault.open(sealed, SealContext(webhook.owner_id, webhook.id, SEAL_KIND))[SECRET_FIELD]
            return _Prepared(
                delivery.id, webhook.id, webhook.owner_id, webhook.url, secret, body_of(event), delivery.attempts + 1
            )

    async def _deliver(self, delivery_id: str) -> bool:
        prepared = await self._prepare(delivery_id)
        if prepared is None:
            return False
        timestamp = int(self.clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "TradeDock-Webhooks/1",
            SIGNATURE_HEADER: sign(prepared.secret, timestamp, prepared.body),
        }
        started = time.monotonic()
        status_code: int | None = None
        error = None if self.policy.allow_private else await internal_target(prepared.url)
        if error is not None:  # never sent: an attempt that failed, recorded like any other
            await self._record(prepared, None, error, 0)
            return True
        try:
            response = await self._http().post(prepared.url, content=prepared.body, headers=headers)
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: the endpoint could not be reached"
        duration_ms = int((time.monotonic() - started) * 1000)
        await self._record(prepared, status_code, error, duration_ms)
        return True

    async def _record(self, prepared: _Prepared, status_code: int | None, error: str | None, duration_ms: int) -> None:
        now = self.clock.now()
        ok = error is None
        policy = self.policy
        if ok:
            state, next_at = "delivered", now
        elif prepared.attempt >= policy.max_attempts:
            state, next_at = "failed", now
        else:
            state = "pending"
            next_at = now + backoff(prepared.attempt, policy.backoff_base, policy.backoff_cap, self.rng)
        async with self.ctx.transaction() as session:
            repo = DeliveryRepository(session)
            written = await repo.record_attempt(
                prepared.delivery_id,
                self.worker_id,
                attempt=prepared.attempt,
                at=now,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
                state=state,
                next_attempt_at=next_at,
            )
            if not written:
                return
            failures = await repo.endpoint_result(prepared.webhook_id, ok=ok)
            if not ok and failures >= policy.disable_after and await repo.disable(prepared.webhook_id, now):
                webhook = await repo.webhook(prepared.webhook_id)
                await emit(
                    session,
                    self.clock,
                    prepared.owner_id,
                    WEBHOOK_DISABLED,
                    {
                        "webhook_id": prepared.webhook_id,
                        "url": None if webhook is None else webhook.url,
                        "failures_in_a_row": failures,
                        "last_error": error,
                        "fix": "Fix the endpoint, then register it again (its pending deliveries were dropped).",
                    },
                )


@dataclass(frozen=True)
class _SealedWebhook:
    kek_id: str
    wrapped_dek: bytes
    fields: Mapping[str, bytes]
    aad_version: int
