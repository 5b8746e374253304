"""Webhook endpoints, stored events and the audit log of one owner, as typed views.

What belongs here: registering a webhook (URL rules, event types, a random signing secret sealed by the vault
and shown once), listing and removing webhooks, listing events and audit records. Every call takes the owner's
user id and the repositories put it in the query, so another owner's webhook is `NotFoundError` exactly like a
missing one. What does not: delivering events or signing bodies (services.notifications), SQL (db.repositories).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from datetime import datetime
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.clock import Clock
from tradedock.db.models import Webhook, new_id
from tradedock.db.repositories import AuditRepository, EventRepository, WebhookRepository
from tradedock.errors import InvalidInputError, NotFoundError
from tradedock.services.views import EventView as EventView  # defined with the other views; imported from here too
from tradedock.vault import SealContext, Vault

#: Event types a webhook can subscribe to (DESIGN, "Monitor and notifications").
EVENT_TYPES = (
    "connection.status_changed",
    "connection.key_expiring",
    "connection.key_expired",
    "connection.mode_changed",
    "connection.balance_low",
    # bots and strategies (issue 15; docs/architecture.md "Bots and strategies")
    "bot.state_changed",
    "bot.start_refused",
    "bot.order_done",
    "bot.order_failed",
    "strategy.signal_refused",
)
#: Webhook secrets start with this (as Stripe's ``whsec_``), so people and scanners recognise them.
SECRET_PREFIX = "tdwh_"
SEAL_KIND = "webhook"
SECRET_FIELD = "secret"
_SEAL_KIND = SEAL_KIND
_SECRET_FIELD = SECRET_FIELD


class WebhookView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    url: str
    description: str
    event_types: list[str]
    created_at: datetime
    #: When the monitor disabled the endpoint after repeated failed deliveries (it then receives nothing).
    disabled_at: datetime | None = None


class NewWebhook(WebhookView):
    """A webhook just registered: the only time its signing secret is shown."""

    secret: str


class AuditView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    at: datetime
    action: str
    connection_id: str | None
    detail: dict[str, Any]


#: What an internal webhook target is told to do instead.
INTERNAL_FIX = (
    "Use your endpoint's public https URL. (An operator can allow internal addresses for local development with "
    "TRADEDOCK_WEBHOOK_ALLOW_PRIVATE=true.)"
)


def internal_address(host: str) -> bool:
    """``localhost`` (and ``*.localhost``) or an IP literal that is not globally routable: loopback, private
    (RFC 1918, fc00::/7), link-local (incl. cloud metadata at 169.254.169.254), shared, reserved, multicast, and
    IPv4-mapped forms of these. A host name is not resolved here (see `notifications`: every delivery resolves)."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ip_address(name)
    except ValueError:  # a host name
        return False
    return not address.is_global or address.is_multicast


async def internal_target(url: str) -> str | None:
    """Why a delivery to ``url`` is refused (its host is, or resolves to, an internal address), or ``None``. A host
    name that does not resolve is left to the POST (it fails as unreachable). The POST resolves again: a DNS answer
    that changes between the two (rebinding) is not caught here."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if internal_address(host):
        return f"refused: {host} is an internal address (TRADEDOCK_WEBHOOK_ALLOW_PRIVATE is off)"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return None
    if any(internal_address(str(info[4][0]).split("%", 1)[0]) for info in infos):
        return f"refused: {host} resolves to an internal address (TRADEDOCK_WEBHOOK_ALLOW_PRIVATE is off)"
    return None


def check_url(url: str, *, allow_private: bool = False) -> str:
    """An https URL (plain http only to this machine, for local development); no credentials in it; not an
    internal address unless the operator allows them (``TRADEDOCK_WEBHOOK_ALLOW_PRIVATE``)."""
    text = url.strip()
    parts = urlsplit(text)
    host = parts.hostname or ""
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):  # not an IP address: a host name
        loopback = loopback or ip_address(host).is_loopback
    if host and not allow_private and internal_address(host):
        raise InvalidInputError("url", f"the URL points at an internal address ({host})", fix=INTERNAL_FIX)
    if (
        len(text) > 2000
        or not host
        or parts.scheme not in ("https", "http")
        or (parts.scheme == "http" and not loopback)
    ):
        raise InvalidInputError(
            "url", "a webhook URL must be https://… (http:// only to localhost)", fix="Use your endpoint's https URL."
        )
    if parts.username or parts.password:
        raise InvalidInputError("url", "the URL must not carry a user or password", fix="Remove the user:password@.")
    return text


def check_event_types(event_types: list[str] | None) -> list[str]:
    if not event_types:
        return list(EVENT_TYPES)
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInputError(
            "event_types", f"unknown event type {unknown[0]!r}", fix=f"Use some of: {', '.join(EVENT_TYPES)}."
        )
    return sorted(set(event_types), key=EVENT_TYPES.index)


def _view(row: Webhook) -> WebhookView:
    return WebhookView(
        id=row.id,
        url=row.url,
        description=row.description,
        event_types=list(row.event_types),
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


class WebhookService:
    """One owner's webhooks, events and audit records, inside the caller's transaction."""

    def __init__(self, session: AsyncSession, clock: Clock, vault: Vault, owner_id: str) -> None:
        self.owner_id = owner_id
        self.vault = vault
        self.webhooks = WebhookRepository(session, clock)
        self.events = EventRepository(session, clock)
        self.audit_log = AuditRepository(session, clock)

    async def create(
        self, url: str, *, description: str = "", event_types: list[str] | None = None, allow_private: bool = False
    ) -> NewWebhook:
        """``allow_private``: the operator's ``webhook_allow_private`` (internal addresses refused by default)."""
        url = check_url(url, allow_private=allow_private)
        description = description.strip()
        if len(description) > 200 or any(not ch.isprintable() for ch in description):
            raise InvalidInputError("description", "at most 200 printable characters", fix="Shorten the description.")
        types = check_event_types(event_types)
        webhook_id = new_id()
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        sealed = self.vault.seal({_SECRET_FIELD: secret}, SealContext(self.owner_id, webhook_id, _SEAL_KIND))
        row = await self.webhooks.add(
            webhook_id=webhook_id,
            owner_id=self.owner_id,
            url=url,
            description=description,
            event_types=types,
            kek_id=sealed.kek_id,
            wrapped_dek=sealed.wrapped_dek,
            secret_ciphertext=sealed.fields[_SECRET_FIELD],
            aad_version=sealed.aad_version,
        )
        await self.audit_log.append(owner_id=self.owner_id, action="webhook_create", detail={"webhook_id": row.id})
        return NewWebhook(**_view(row).model_dump(), secret=secret)

    async def list_webhooks(self, *, limit: int, offset: int) -> list[WebhookView]:
        return [_view(row) for row in await self.webhooks.list_for_owner(self.owner_id, limit=limit, offset=offset)]

    async def delete(self, webhook_id: str) -> None:
        if not await self.webhooks.delete(self.owner_id, webhook_id):
            raise NotFoundError("no such webhook", fix="List your webhooks to see their ids.")
        await self.audit_log.append(owner_id=self.owner_id, action="webhook_delete", detail={"webhook_id": webhook_id})

    async def list_events(self, *, limit: int, offset: int) -> list[EventView]:
        rows = await self.events.list_for_owner(self.owner_id, limit=limit, offset=offset)
        return [
            EventView(id=r.id, type=r.type, created_at=r.created_at, connection_id=r.connection_id, data=dict(r.data))
            for r in rows
        ]

    async def list_audit(self, *, limit: int, offset: int) -> list[AuditView]:
        rows = await self.audit_log.list_for_owner(self.owner_id, limit=limit, offset=offset)
        return [
            AuditView(id=r.id, at=r.at, action=r.action, connection_id=r.connection_id, detail=dict(r.detail))
            for r in rows
        ]
