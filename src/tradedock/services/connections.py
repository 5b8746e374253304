"""Connections: connect, check, replace, remove, list, show — the one service the CLI, API and web share.

What belongs here: the rules of a connection's life. Connect = local checks → verification → seal → persist (an
``invalid`` or ``unreachable`` result is not stored; ``action_required`` is stored and flagged). A key already
connected (by fingerprint, any owner) is refused without revealing whose. Replace verifies the new key fully
first, requires the same exchange account unless confirmed, and swaps in place so the old key stays exactly as it
was on any failure. Remove destroys the secrets and the data key and keeps an audit record. Every action is
audited without secrets. Services flush; the shell commits (see `AppContext.transaction`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.db.models import Connection
from tradedock.db.repositories import StoredSecrets
from tradedock.domain import (
    ConnectionStatus,
    ContractType,
    Credentials,
    Environment,
    ExchangeId,
    Scope,
    mask,
)
from tradedock.errors import AccountChangedError, AlreadyConnectedError, InvalidInputError, TimestampRejectedError
from tradedock.exchanges.registry import get_spec
from tradedock.services import records
from tradedock.services.context import AppContext
from tradedock.services.credentials import validate_credentials
from tradedock.services.exchange_access import ExchangeAccess
from tradedock.services.verifying import Target, run_verification
from tradedock.vault import SealContext
from tradedock.verification import CHECK_IDS, Report

__all__ = ["CHECK_IDS", "ConnectRequest", "ConnectionService", "CredentialPrompt", "Outcome"]

#: How many stored connections `check_all` verifies at once.
CHECK_CONCURRENCY = 8

NOT_STORED = (ConnectionStatus.INVALID, ConnectionStatus.UNREACHABLE)


@dataclass(frozen=True)
class CredentialPrompt:
    """How to ask a user for one credential field."""

    name: str
    label: str
    help: str
    secret: bool


@dataclass(frozen=True)
class ConnectRequest:
    exchange: ExchangeId
    environment: Environment
    scope: Scope
    contract: ContractType | None
    label: str | None
    credentials: Mapping[str, str]


@dataclass(frozen=True)
class Outcome:
    """The result of connect / check / replace: the report (JSON-safe) and whether anything was stored."""

    status: ConnectionStatus
    report: dict[str, Any]
    connection_id: str | None
    stored: bool
    note: str | None = None


def parse_exchange(value: str) -> ExchangeId:
    try:
        return ExchangeId(value.strip().lower())
    except ValueError:
        names = ", ".join(e.value for e in ExchangeId)
        raise InvalidInputError("exchange", f"unknown exchange {value!r}", fix=f"Use one of: {names}.") from None


def credential_prompts(ctx: AppContext, exchange: ExchangeId) -> tuple[CredentialPrompt, ...]:
    spec = ctx.access.spec(exchange)
    return tuple(CredentialPrompt(f.name, f.label, f.help, f.secret) for f in spec.credential_fields)


def _credentials(exchange: ExchangeId, given: Mapping[str, str]) -> tuple[Credentials, tuple[str, ...]]:
    return validate_credentials(exchange, given)


def connect_prompts(
    access: ExchangeAccess,
    exchange: ExchangeId,
    environment: Environment,
    scope: Scope,
    contract: ContractType | None,
    label: str | None,
) -> tuple[CredentialPrompt, ...]:
    """Check a connect's options before any secret is asked for (the environment is offered, the sandbox is
    running, the contract exists, the label is fine) and return the credential fields to ask for."""
    primary, _ = access.flavors(exchange, environment)
    if environment is Environment.SANDBOX:
        stale = access.settings.stale_sandbox_pid()
        if stale is not None:
            raise InvalidInputError(
                "environment",
                f"the sandbox that recorded its URLs in {access.settings.sandbox_urls_file} (process {stale}) is "
                "no longer running",
                fix="Start it again with `tradedock sandbox` (keys made in the old sandbox do not exist in the new "
                "one: use the keys it prints).",
            )
        access.base_url(exchange, environment, primary)
    _target(scope, contract, exchange, access)
    _label(label, exchange)
    spec = access.spec(exchange)
    return tuple(CredentialPrompt(f.name, f.label, f.help, f.secret) for f in spec.credential_fields)


def _target(
    scope: Scope, contract: ContractType | None, exchange: ExchangeId, access: ExchangeAccess
) -> ContractType | None:
    if not scope.needs_futures:
        if contract is not None:
            raise InvalidInputError("contract", "a contract type only applies to futures", fix="Drop --contract.")
        return None
    offered = access.spec(exchange).contract_types
    chosen = contract or (offered[0] if offered else None)
    if chosen is not None and offered and chosen not in offered:
        names = ", ".join(c.value for c in offered)
        raise InvalidInputError(
            "contract", f"{exchange.value} does not offer {chosen.value}", fix=f"Use one of: {names}."
        )
    return chosen


def _label(label: str | None, exchange: ExchangeId) -> str:
    text = (label or exchange.value.capitalize()).strip()
    if not text or len(text) > 64 or any(not ch.isprintable() for ch in text):
        raise InvalidInputError("label", "the label must be 1–64 printable characters", fix="Choose a shorter label.")
    return text


def _report_dict(report: Report, connection_id: str | None) -> dict[str, Any]:
    from tradedock.services.fixes import fix_offers  # fixes builds on this module

    data = report.to_dict()
    data["connection_id"] = connection_id
    # "Fix it for me": settings the key may change itself (`tradedock fix ID`), offered with the report.
    data["fixes"] = [offer.to_dict() for offer in fix_offers(report.exchange.value, data["checks"])]
    return data


class ConnectionService:
    """Every operation on one owner's connections, inside the caller's transaction."""

    def __init__(self, ctx: AppContext, session: AsyncSession, owner: str = records.LOCAL_OWNER):
        self.ctx = ctx
        self.session = session
        self.owner = owner
        self.store = records.Store(session, ctx.clock)
        self._owner_id: str | None = None

    async def _audit_refusal(self, connection_id: str | None, action: str, detail: dict[str, Any]) -> None:
        """Record a refused attempt in its own transaction: the caller's rolls back when the refusal is raised,
        and a refused key (e.g. someone registering a key that is already connected) must stay on record."""
        async with self.ctx.transaction() as session:
            store = records.Store(session, self.ctx.clock)
            await store.audit(await store.owner_id(self.owner), connection_id, action, detail)

    async def _owner(self) -> str:
        if self._owner_id is None:
            self._owner_id = await self.store.owner_id(self.owner)
        return self._owner_id

    # --- connect --------------------------------------------------------------------------------------------

    async def connect(self, request: ConnectRequest) -> Outcome:
        ctx = self.ctx
        ctx.access.flavors(request.exchange, request.environment)  # validates the environment early
        contract = _target(request.scope, request.contract, request.exchange, ctx.access)
        label = _label(request.label, request.exchange)
        credentials, trimmed = _credentials(request.exchange, request.credentials)
        fingerprint = ctx.vault.fingerprint(request.exchange.value, credentials.public_id)
        if await self.store.fingerprint_taken(fingerprint):
            await self._audit_refusal(None, "connect_refused", {"exchange": request.exchange.value})
            raise AlreadyConnectedError(
                "this key is already connected",
                fix="Use the existing connection, or create a new key on the exchange for this connection.",
            )
        owner_id = await self._owner()
        target = Target(request.environment, request.scope, contract)
        report = await run_verification(ctx.access, ctx.settings, credentials, target, trimmed_fields=trimmed)
        if report.status in NOT_STORED:
            await self.store.audit(
                owner_id, None, "connect_rejected", {"exchange": request.exchange.value, "status": report.status}
            )
            note = (
                "Nothing was stored: the exchange did not answer, so nothing is known about the key yet."
                if report.status is ConnectionStatus.UNREACHABLE
                else "Nothing was stored: fix the problems above and connect again."
            )
            return Outcome(report.status, _report_dict(report, None), None, stored=False, note=note)
        connection_id = str(uuid.uuid4())
        sealed = ctx.vault.seal(dict(credentials.fields), SealContext(owner_id, connection_id, request.exchange.value))
        await self.store.add_connection(
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
        )
        await self.store.record_run(connection_id, "connect", report)
        await self.store.audit(
            owner_id,
            connection_id,
            "connect",
            {"exchange": request.exchange.value, "status": report.status, "key": mask(credentials.public_id)},
        )
        return Outcome(report.status, _report_dict(report, connection_id), connection_id, stored=True)

    # --- check ----------------------------------------------------------------------------------------------

    async def check(self, connection_id: str) -> Outcome:
        owner_id = await self._owner()
        row = await self.store.connection(owner_id, connection_id)
        sealed = await self.store.sealed(owner_id, row.id)
        report = await self._verify_stored(owner_id, row, sealed)
        return await self._record_check(owner_id, row, report)

    async def check_all(self, *, concurrency: int = CHECK_CONCURRENCY) -> list[Outcome]:
        """Re-verify every connection, ``concurrency`` at a time (the exchange round trips overlap; the database
        work stays on this one session, before and after)."""
        owner_id = await self._owner()
        rows = await self.store.connections.list_for_owner(owner_id)
        sealed = [await self.store.sealed(owner_id, row.id) for row in rows]
        gate = asyncio.Semaphore(concurrency)

        async def verify_one(row: Connection, material: StoredSecrets) -> Report:
            async with gate:
                return await self._verify_stored(owner_id, row, material)

        reports = await asyncio.gather(*(verify_one(row, material) for row, material in zip(rows, sealed, strict=True)))
        return [await self._record_check(owner_id, row, report) for row, report in zip(rows, reports, strict=True)]

    async def _verify_stored(self, owner_id: str, row: Connection, sealed: StoredSecrets) -> Report:
        """Decrypt just before verifying; the plaintext lives only for this call."""
        credentials = self._decrypt(owner_id, row, sealed)
        return await run_verification(self.ctx.access, self.ctx.settings, credentials, records.target_of(row))

    async def _record_check(self, owner_id: str, row: Connection, report: Report) -> Outcome:
        await self.store.apply_report(owner_id, row, report)
        await self.store.record_run(row.id, "check", report)
        await self.store.audit(owner_id, row.id, "check", {"status": report.status})
        return Outcome(report.status, _report_dict(report, row.id), row.id, stored=True)

    # --- replace --------------------------------------------------------------------------------------------

    async def replace(
        self, connection_id: str, new_credentials: Mapping[str, str], *, allow_account_change: bool = False
    ) -> Outcome:
        owner_id = await self._owner()
        row = await self.store.connection(owner_id, connection_id)
        connection_id = row.id
        exchange = ExchangeId(row.exchange)
        credentials, trimmed = _credentials(exchange, new_credentials)
        fingerprint = self.ctx.vault.fingerprint(exchange.value, credentials.public_id)
        if fingerprint != row.key_fingerprint and await self.store.fingerprint_taken(fingerprint):
            raise AlreadyConnectedError(
                "this key is already connected", fix="Create a new key on the exchange for this connection."
            )
        report = await run_verification(
            self.ctx.access, self.ctx.settings, credentials, records.target_of(row), trimmed_fields=trimmed
        )
        if report.status in NOT_STORED:
            await self.store.audit(owner_id, connection_id, "replace_rejected", {"status": report.status})
            note = "The new key was not stored; the connection keeps its current key, untouched."
            return Outcome(report.status, _report_dict(report, connection_id), connection_id, stored=False, note=note)
        new_uid = report.facts.uid
        if row.account_uid and new_uid and new_uid != row.account_uid and not allow_account_change:
            await self._audit_refusal(connection_id, "replace_refused", {"reason": "account_changed"})
            raise AccountChangedError(
                f"the new key belongs to another {exchange.value} account (uid {new_uid}, "
                f"this connection is uid {row.account_uid}); the old key was kept",
                fix="Use a key of the same account, or confirm the change with --allow-account-change.",
            )
        sealed = self.ctx.vault.seal(dict(credentials.fields), SealContext(owner_id, connection_id, exchange.value))
        await self.store.connections.replace_secrets(
            owner_id,
            connection_id,
            sealed,
            key_fingerprint=fingerprint,
            masked_key=mask(credentials.public_id),
            **records.report_facts(report, self.ctx.clock.now()),
        )
        await self.store.record_run(connection_id, "replace", report)
        await self.store.audit(
            owner_id, connection_id, "replace", {"status": report.status, "key": mask(credentials.public_id)}
        )
        return Outcome(report.status, _report_dict(report, connection_id), connection_id, stored=True)

    # --- remove, list, show, balances -----------------------------------------------------------------------

    async def remove(self, connection_id: str) -> dict[str, Any]:
        owner_id = await self._owner()
        row = await self.store.connection(owner_id, connection_id)
        connection_id = row.id
        view = records.connection_view(row)
        await self.store.connections.delete(owner_id, connection_id)
        await self.store.audit(
            owner_id, connection_id, "remove", {"exchange": row.exchange, "key": row.masked_key, "label": row.label}
        )
        return {"removed": view, "secrets_destroyed": True}

    async def list(self) -> list[dict[str, Any]]:
        rows = await self.store.connections.list_for_owner(await self._owner())
        return [records.connection_view(row) for row in rows]

    async def show(self, connection_id: str) -> dict[str, Any]:
        owner_id = await self._owner()
        row = await self.store.connection(owner_id, connection_id)
        connection_id = row.id
        view = records.connection_view(row)
        view["last_report"] = await self.store.latest_run(owner_id, connection_id)
        return view

    async def balances(self, connection_id: str) -> dict[str, Any]:
        owner_id = await self._owner()
        row = await self.store.connection(owner_id, connection_id)
        connection_id = row.id
        credentials = await self._open(owner_id, row)
        target = records.target_of(row)
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
        view = records.balances_view(connection_id, balances)
        await self.store.save_balances(owner_id, row, balances)
        return view

    async def _open(self, owner_id: str, row: Connection) -> Credentials:
        """Decrypt a connection's credentials for the length of one call (only services do this)."""
        return self._decrypt(owner_id, row, await self.store.sealed(owner_id, row.id))

    def _decrypt(self, owner_id: str, row: Connection, sealed: StoredSecrets) -> Credentials:
        spec = get_spec(row.exchange)
        fields = self.ctx.vault.open_connection(
            sealed,
            SealContext(owner_id, row.id, row.exchange),
            required=spec.field_names,
            public_field=spec.public_id_field,
            fingerprint=row.key_fingerprint,
        )
        return spec.credentials(fields)
