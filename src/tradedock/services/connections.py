"""Connections: connect, check, replace, remove, list, show — the one service the CLI, API and web share.

What belongs here: the rules of a connection's life. Connect = local checks → verification → seal → persist (an
``invalid`` or ``unreachable`` result is not stored; ``action_required`` is stored and flagged). A key already
connected (by fingerprint, any owner) is refused without revealing whose. Replace verifies the new key fully
first, requires the same exchange account unless confirmed, and swaps in place so the old key stays exactly as it
was on any failure. Remove destroys the secrets and the data key and keeps an audit record. Every action is
audited without secrets.

Transactions: this service opens its own short ones (`AppContext.reading` / `AppContext.transaction`), because
no transaction may be held across an exchange round trip (docs/architecture.md, "Concurrency"). Shells call
methods and render the typed views (`services.views`) they return.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.db.ids import not_found
from tradedock.db.repositories import EventRepository
from tradedock.domain import (
    ConnectionStatus,
    Credentials,
    ExchangeId,
    mask,
)
from tradedock.errors import (
    AccountChangedError,
    AlreadyConnectedError,
    ConflictError,
    TimestampRejectedError,
    TradeDockError,
)
from tradedock.services import records
from tradedock.services.connect_input import (
    ConnectRequest,
    CredentialPrompt,
    checked_credentials,
    checked_label,
    checked_modes,
    checked_target,
    connect_prompts,
    credential_prompts,
    parse_exchange,
)
from tradedock.services.context import AppContext
from tradedock.services.credentials import check_label
from tradedock.services.notifications import MODE_FIELDS, Recorded, record_check_events
from tradedock.services.phases import (
    Loaded,
    kept_changing,
    load_row,
    not_checked,
    open_credentials,
    outcome_of,
    removed_meanwhile,
)
from tradedock.services.verifying import CheckProgress, Target, run_verification
from tradedock.services.views import (
    BalancesView,
    CheckAllView,
    ConnectionDetail,
    ConnectionView,
    NotChecked,
    Outcome,
    RemovedView,
)
from tradedock.services.webhooks import EventView
from tradedock.vault import SealContext
from tradedock.verification import CHECK_IDS, Report

__all__ = [
    "CHECK_IDS",
    "CheckProgress",
    "ConnectRequest",
    "ConnectionService",
    "CredentialPrompt",
    "Outcome",
    "connect_prompts",
    "credential_prompts",
    "parse_exchange",
]

_log = logging.getLogger(__name__)

#: How many stored connections `check_all` verifies at once.
CHECK_CONCURRENCY = 8
#: How often the record phase is attempted when the row moved under it (then `ConflictError`).
RECORD_ATTEMPTS = 3

NOT_STORED = (ConnectionStatus.INVALID, ConnectionStatus.UNREACHABLE)
#: Columns whose before/after values a recorded check hands to the events (`services.notifications`).
_WATCHED = ("status", *MODE_FIELDS, "key_expires_at", "last_balance_usd")

#: Called inside the record transaction of a check (the monitor fences its lease and reschedules there, so a
#: check is recorded and rescheduled together or not at all). Raising rolls the whole record back.
AfterRecord = Callable[[AsyncSession, Recorded], Awaitable[None]]


class ConnectionService:
    """Every operation on one owner's connections.

    Work that talks to an exchange runs in three phases, and no database session is open during the middle one:
    (1) load and decrypt in a short transaction, (2) the exchange round trips, (3) record in a second short
    transaction that checks the row's ``version`` (optimistic concurrency). A lost race is retried (the write
    only, when the key is unchanged) or reported (`ConflictError`, `NotFoundError`) — never a crash.
    """

    def __init__(self, ctx: AppContext, owner: str = records.LOCAL_OWNER, *, after_record: AfterRecord | None = None):
        self.ctx = ctx
        self.owner = owner
        self._owner_id: str | None = None
        self.after_record = after_record

    @classmethod
    def for_owner_id(
        cls, ctx: AppContext, owner_id: str, *, after_record: AfterRecord | None = None
    ) -> ConnectionService:
        """The service of an owner known by id (the monitor walks every owner's connections)."""
        service = cls(ctx, after_record=after_record)
        service._owner_id = owner_id
        return service

    async def _owner(self, store: records.Store) -> str:
        if self._owner_id is None:
            self._owner_id = await store.owner_id(self.owner)
        return self._owner_id

    async def _existing_owner(self, store: records.Store) -> str | None:
        """The owner's id if the user exists (read-only: reads must never write, not even a first user row)."""
        if self._owner_id is None:
            user = await store.users.get_by_name(self.owner.strip())
            if user is None:
                return None
            self._owner_id = user.id
        return self._owner_id

    async def _owner_id_now(self) -> str:
        """The owner's id, creating the user on first use (a short write transaction, once per service)."""
        if self._owner_id is None:
            async with self.ctx.transaction() as session:
                await self._owner(records.Store(session, self.ctx.clock))
        assert self._owner_id is not None
        return self._owner_id

    async def _audit(self, connection_id: str | None, action: str, detail: dict[str, Any]) -> None:
        """One audit record in its own short transaction (refusals must stay on record although they raise)."""
        async with self.ctx.transaction() as session:
            store = records.Store(session, self.ctx.clock)
            await store.audit(await self._owner(store), connection_id, action, detail)

    # --- connect --------------------------------------------------------------------------------------------

    async def connect(self, request: ConnectRequest, *, on_check: CheckProgress | None = None) -> Outcome:
        """Verify and store a new key. ``on_check`` (optional) is told each check's line as soon as it is known."""
        ctx = self.ctx
        ctx.access.flavors(request.exchange, request.environment)  # validates the environment early
        contract = checked_target(request.scope, request.contract, request.exchange, ctx.access)
        position_choice, margin_choice = checked_modes(
            request.exchange, ctx.access, request.scope, request.position_mode, request.margin_mode
        )
        label = checked_label(request.label, request.exchange)
        credentials, trimmed = checked_credentials(request.exchange, request.credentials)
        check_label(label, credentials)
        fingerprint = ctx.vault.fingerprint(request.exchange.value, credentials.public_id)
        # Phase 1: is the key taken? (short transaction)
        async with ctx.transaction() as session:
            store = records.Store(session, ctx.clock)
            owner_id = await self._owner(store)
            taken = await store.fingerprint_taken(fingerprint)
        if taken:
            await self._refuse_duplicate(request.exchange)
        # Phase 2: the exchange (no session open).
        target = Target(request.environment, request.scope, contract, position_choice, margin_choice)
        report = await run_verification(
            ctx.access, ctx.settings, credentials, target, trimmed_fields=trimmed, on_check=on_check
        )
        if report.status in NOT_STORED:
            await self._audit(None, "connect_rejected", {"exchange": request.exchange.value, "status": report.status})
            wait = report.held_back_s()
            if wait is not None:
                note = (
                    f"Nothing was stored: TradeDock held its requests back to stay inside the exchange's rate limit, "
                    f"so nothing is known about the key yet. Connect again in {wait:g} s."
                )
            elif report.status is ConnectionStatus.UNREACHABLE:
                note = "Nothing was stored: the exchange did not answer, so nothing is known about the key yet."
            else:
                note = "Nothing was stored: fix the problems above and connect again."
            return outcome_of(report, None, stored=False, note=note)
        # Phase 3: store (short transaction). A concurrent connect of the same key loses on the unique fingerprint.
        connection_id = str(uuid.uuid4())
        sealed = ctx.vault.seal(dict(credentials.fields), SealContext(owner_id, connection_id, request.exchange.value))
        try:
            async with ctx.transaction() as session:
                store = records.Store(session, ctx.clock)
                await store.add_connection(
                    connection_id=connection_id,
                    owner_id=owner_id,
                    request_exchange=request.exchange.value,
                    environment=request.environment,
                    label=label,
                    scope=request.scope,
                    contract=contract,
                    fingerprint=fingerprint,
                    masked_key=mask(credentials.public_id),
                    sealed=sealed,
                    report=report,
                    position_mode_choice=position_choice,
                    margin_mode_choice=margin_choice,
                )
                await store.record_run(connection_id, "connect", report)
                await store.audit(
                    owner_id,
                    connection_id,
                    "connect",
                    {"exchange": request.exchange.value, "status": report.status, "key": mask(credentials.public_id)},
                )
        except AlreadyConnectedError:
            await self._refuse_duplicate(request.exchange)
        return outcome_of(report, connection_id, stored=True)

    async def _refuse_duplicate(self, exchange: ExchangeId) -> NoReturn:
        await self._audit(None, "connect_refused", {"exchange": exchange.value})
        raise AlreadyConnectedError(
            "this key is already connected",
            fix="Use the existing connection, or create a new key on the exchange for this connection.",
        )

    # --- check ----------------------------------------------------------------------------------------------

    async def check(
        self, connection_id: str, *, trigger: str = "check", on_check: CheckProgress | None = None
    ) -> Outcome:
        loaded = await self._load(connection_id)
        return await self._check_loaded(loaded, trigger=trigger, on_check=on_check)

    async def check_all(self, *, concurrency: int = CHECK_CONCURRENCY) -> CheckAllView:
        """Re-verify every connection, ``concurrency`` at a time. Each connection is its own outcome: one that
        cannot be decrypted, resolved or recorded is reported in ``not_checked`` with the reason; the others go
        on. Loading takes three queries in all; recording takes one short transaction per connection."""
        async with self.ctx.reading() as session:
            store = records.Store(session, self.ctx.clock)
            owner_id = await self._existing_owner(store)
            rows = [] if owner_id is None else await store.connections.list_with_secrets(owner_id)
            loaded = [load_row(row, sealed) for row, sealed in rows]
        gate = asyncio.Semaphore(concurrency)

        async def one(item: Loaded | NotChecked) -> Outcome | NotChecked:
            if isinstance(item, NotChecked):
                return item
            async with gate:
                try:
                    return await self._check_loaded(item)
                except TradeDockError as error:
                    return not_checked(item.connection_id, error)
                except Exception as error:  # batch isolation: a bug in one item must not stop the others
                    _log.exception("check of connection %s failed", item.connection_id)
                    return NotChecked(
                        connection_id=item.connection_id,
                        error=type(error).__name__,
                        reason="an unexpected error stopped this check; see the log",
                    )

        done = await asyncio.gather(*(one(item) for item in loaded))
        results = [d for d in done if isinstance(d, Outcome)]
        failed = [d for d in done if isinstance(d, NotChecked)]
        return CheckAllView.build(results, failed)

    async def _load(self, connection_id: str) -> Loaded:
        """Phase 1: the row and its sealed secrets, in one short read transaction."""
        async with self.ctx.reading() as session:
            store = records.Store(session, self.ctx.clock)
            owner_id = await self._existing_owner(store)
            if owner_id is None:
                raise not_found(connection_id)
            row = await store.connection(owner_id, connection_id)
            return Loaded.of(row, await store.sealed(owner_id, row.id))

    async def _check_loaded(
        self, loaded: Loaded, *, trigger: str = "check", on_check: CheckProgress | None = None
    ) -> Outcome:
        owner_id = await self._owner_id_now()
        for _attempt in range(RECORD_ATTEMPTS):
            credentials = open_credentials(self.ctx.vault, owner_id, loaded)
            report = await run_verification(
                self.ctx.access, self.ctx.settings, credentials, loaded.target, on_check=on_check
            )
            wait = report.held_back_s()
            if wait is not None:  # this server held its requests back: nothing was learned, nothing is recorded
                note = (
                    "Not recorded: nothing was learned about the key, and the connection keeps its status. Check "
                    f"again in {wait:g} s (TradeDock spaces its requests to stay inside the exchange's rate limit)."
                )
                return outcome_of(report, loaded.connection_id, stored=False, note=note)
            outcome = await self._record_check(owner_id, loaded, report, trigger)
            if outcome is not None:
                return outcome
            # The key was replaced while we verified: verify again what is stored now.
            loaded = await self._load(loaded.connection_id)
        raise kept_changing(loaded.connection_id)

    async def _record_check(
        self, owner_id: str, loaded: Loaded, report: Report, trigger: str = "check"
    ) -> Outcome | None:
        """Phase 3 of a check. ``None`` if the key was replaced meanwhile (the report is about a gone key).

        While the key is the one verified, the report is recorded at the row's current version — a concurrent
        check's facts are no fresher than ours — and the conditional UPDATE is retried if another write slips in.
        """
        for _attempt in range(RECORD_ATTEMPTS):
            async with self.ctx.transaction() as session:
                store = records.Store(session, self.ctx.clock)
                current = await store.connections.find(owner_id, loaded.connection_id)
                if current is None:
                    raise removed_meanwhile(loaded.connection_id)
                if current.key_fingerprint != loaded.fingerprint:
                    return None
                before = {name: getattr(current, name) for name in _WATCHED}
                previous_run = await store.latest_run(owner_id, loaded.connection_id)
                if await store.apply_report(owner_id, loaded.connection_id, current.version, report):
                    await store.record_run(loaded.connection_id, trigger, report)
                    await store.audit(owner_id, loaded.connection_id, trigger, {"status": report.status})
                    after = {**before, **records.report_facts(report, self.ctx.clock.now())}
                    recorded = Recorded(
                        owner_id,
                        loaded.connection_id,
                        current.label,
                        current.exchange,
                        before,
                        after,
                        report,
                        previous_run,
                    )
                    await record_check_events(session, self.ctx.clock, recorded)
                    if self.after_record is not None:
                        await self.after_record(session, recorded)
                    return outcome_of(report, loaded.connection_id, stored=True)
        raise kept_changing(loaded.connection_id)

    # --- replace --------------------------------------------------------------------------------------------

    async def replace(
        self,
        connection_id: str,
        new_credentials: Mapping[str, str],
        *,
        allow_account_change: bool = False,
        on_check: CheckProgress | None = None,
    ) -> Outcome:
        """Verify the new key first; swap it in atomically only if it passed and nobody replaced the key
        meanwhile. On every failure the old key stays exactly as it was. ``on_check``: as for `connect`."""
        loaded = await self._load(connection_id)
        owner_id = await self._owner_id_now()
        connection_id = loaded.connection_id
        exchange = loaded.exchange
        credentials, trimmed = checked_credentials(exchange, new_credentials)
        fingerprint = self.ctx.vault.fingerprint(exchange.value, credentials.public_id)
        if fingerprint != loaded.fingerprint:
            async with self.ctx.reading() as session:
                taken = await records.Store(session, self.ctx.clock).fingerprint_taken(fingerprint)
            if taken:
                raise AlreadyConnectedError(
                    "this key is already connected", fix="Create a new key on the exchange for this connection."
                )
        report = await run_verification(
            self.ctx.access, self.ctx.settings, credentials, loaded.target, trimmed_fields=trimmed, on_check=on_check
        )
        if report.status in NOT_STORED:
            await self._audit(connection_id, "replace_rejected", {"status": report.status})
            note = "The new key was not stored; the connection keeps its current key, untouched."
            return outcome_of(report, connection_id, stored=False, note=note)
        new_uid = report.facts.uid
        if loaded.account_uid and new_uid and new_uid != loaded.account_uid and not allow_account_change:
            await self._audit(connection_id, "replace_refused", {"reason": "account_changed"})
            raise AccountChangedError(
                f"the new key belongs to another {exchange.value} account (uid {new_uid}, "
                f"this connection is uid {loaded.account_uid}); the old key was kept",
                fix="Use a key of the same account, or confirm the change with --allow-account-change.",
            )
        sealed = self.ctx.vault.seal(dict(credentials.fields), SealContext(owner_id, connection_id, exchange.value))
        for _attempt in range(RECORD_ATTEMPTS):
            async with self.ctx.transaction() as session:
                store = records.Store(session, self.ctx.clock)
                current = await store.connections.find(owner_id, connection_id)
                if current is None:
                    raise removed_meanwhile(connection_id)
                if current.key_fingerprint != loaded.fingerprint:
                    break  # someone else replaced the key meanwhile: theirs stays, ours is not written
                swapped = await store.connections.replace_secrets(
                    owner_id,
                    connection_id,
                    sealed,
                    key_fingerprint=fingerprint,
                    masked_key=mask(credentials.public_id),
                    expected_version=current.version,
                    **records.report_facts(report, self.ctx.clock.now()),
                )
                if swapped:
                    await store.record_run(connection_id, "replace", report)
                    await store.audit(
                        owner_id,
                        connection_id,
                        "replace",
                        {"status": report.status, "key": mask(credentials.public_id)},
                    )
                    return outcome_of(report, connection_id, stored=True)
        await self._audit(connection_id, "replace_refused", {"reason": "concurrent_change"})
        raise ConflictError(
            "the connection's key was changed by another command while the new key was being verified; "
            "the new key was not stored",
            fix=f"Check the connection (`tradedock show {connection_id}`), then replace again if needed.",
        )

    # --- remove, list, show, balances -----------------------------------------------------------------------

    async def remove(self, connection_id: str) -> RemovedView:
        async with self.ctx.transaction() as session:
            store = records.Store(session, self.ctx.clock)
            owner_id = await self._owner(store)
            row = await store.connection(owner_id, connection_id)
            view = ConnectionView.from_row(row)
            await store.connections.delete(owner_id, row.id)
            await store.audit(
                owner_id, row.id, "remove", {"exchange": row.exchange, "key": row.masked_key, "label": row.label}
            )
        return RemovedView(removed=view, secrets_destroyed=True)

    async def recent_events(self, limit: int = 5) -> list[EventView]:
        """The owner's newest events (status changes, expiring keys, mode changes, …), newest first."""
        async with self.ctx.reading() as session:
            store = records.Store(session, self.ctx.clock)
            owner_id = await self._existing_owner(store)
            if owner_id is None:
                return []
            rows = await EventRepository(session, self.ctx.clock).list_for_owner(owner_id, limit=limit, offset=0)
            return [
                EventView(
                    id=r.id, type=r.type, created_at=r.created_at, connection_id=r.connection_id, data=dict(r.data)
                )
                for r in rows
            ]

    async def list(self, *, limit: int | None = None, offset: int = 0) -> list[ConnectionView]:
        """The owner's connections, oldest first (``limit``/``offset``: one page, read as one page)."""
        async with self.ctx.reading() as session:
            store = records.Store(session, self.ctx.clock)
            owner_id = await self._existing_owner(store)
            rows = (
                [] if owner_id is None else await store.connections.list_for_owner(owner_id, limit=limit, offset=offset)
            )
            return [ConnectionView.from_row(row) for row in rows]

    async def show(self, connection_id: str) -> ConnectionDetail:
        async with self.ctx.reading() as session:
            store = records.Store(session, self.ctx.clock)
            owner_id = await self._existing_owner(store)
            if owner_id is None:
                raise not_found(connection_id)
            row = await store.connection(owner_id, connection_id)
            return ConnectionDetail.from_row_and_run(row, await store.latest_run(owner_id, row.id))

    async def balances(self, connection_id: str) -> BalancesView:
        loaded = await self._load(connection_id)
        owner_id = await self._owner_id_now()
        credentials = open_credentials(self.ctx.vault, owner_id, loaded)
        target = loaded.target
        access = self.ctx.access
        flavor, _ = access.flavors(credentials.exchange, target.environment)
        adapter = access.adapter(credentials, target.environment, flavor)
        try:
            try:
                balances = await adapter.balances()
            except TimestampRejectedError:
                # This server's clock is off: measure the exchange's clock once and sign with the offset.
                adapter.time_offset_ms = (await adapter.server_time()).offset_ms
                balances = await adapter.balances()
        finally:
            await adapter.aclose()
        async with self.ctx.transaction() as session:
            store = records.Store(session, self.ctx.clock)
            current = await store.connections.find(owner_id, loaded.connection_id)
            if current is not None and current.key_fingerprint == loaded.fingerprint:
                await store.save_balances(owner_id, loaded.connection_id, current.version, balances)
        return BalancesView.from_balances(loaded.connection_id, balances)

    async def open_for_call(self, connection_id: str) -> tuple[Credentials, Target]:
        """Decrypted credentials and target of one connection, for a service making its own exchange call
        (e.g. `services.fixes`); loaded in a short read transaction, no session stays open."""
        loaded = await self._load(connection_id)
        return open_credentials(self.ctx.vault, await self._owner_id_now(), loaded), loaded.target

    async def audit(self, connection_id: str, action: str, detail: dict[str, Any]) -> None:
        """Append an audit record for the owner's connection (its own short transaction)."""
        await self._audit(connection_id, action, detail)
