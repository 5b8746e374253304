"""Routes for the exchange catalog, events, the audit log, webhooks and the operator's health view.

What belongs here: ``/exchanges``, ``/events``, ``/audit``, ``/webhooks``, ``/health``. Every list is paginated and
every query is the caller's own (the services take the owner id). What does not: rules (services).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field

from tradedock.api.deps import Caller, Context, Operator, Page, Pages, State
from tradedock.api.problems import responses
from tradedock.services.catalog import ExchangeView, catalog
from tradedock.services.health import HealthView
from tradedock.services.webhooks import EVENT_TYPES, AuditView, EventView, NewWebhook, WebhookService, WebhookView

router = APIRouter()


class WebhookBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "url": "https://hooks.example.com/tradedock",
                "description": "alerts channel",
                "event_types": ["connection.status_changed", "connection.key_expiring"],
            }
        },
    )

    url: str = Field(max_length=2000, description="https://… (http:// only to localhost).")
    description: str = Field(default="", max_length=200)
    event_types: list[str] | None = Field(
        default=None, max_length=len(EVENT_TYPES), description=f"Some of {', '.join(EVENT_TYPES)}; default all."
    )


@router.get("/exchanges", response_model=list[ExchangeView], responses=responses(), tags=["exchanges"])
async def exchanges(_who: Caller, ctx: Context) -> list[ExchangeView]:
    """Everything a connect form needs: fields (and which are secret), scopes, contracts, environments,
    requirements, guide steps and the platform IPs to whitelist."""
    return catalog(ctx)


@router.get("/events", response_model=Page[EventView], responses=responses(), tags=["activity"])
async def events(who: Caller, ctx: Context, pages: Pages) -> Page[EventView]:
    """Your connections' events, newest first (status changes, expiring keys, …; written by the monitor)."""
    async with ctx.transaction() as session:
        items = await WebhookService(session, ctx.clock, ctx.vault, who.user_id).list_events(
            limit=pages.limit, offset=pages.offset
        )
    return Page[EventView].of(items, pages)


@router.get("/audit", response_model=Page[AuditView], responses=responses(), tags=["activity"])
async def audit(who: Caller, ctx: Context, pages: Pages) -> Page[AuditView]:
    """Your audit log, newest first: every connect, check, replace, removal, sign-in and token change."""
    async with ctx.transaction() as session:
        items = await WebhookService(session, ctx.clock, ctx.vault, who.user_id).list_audit(
            limit=pages.limit, offset=pages.offset
        )
    return Page[AuditView].of(items, pages)


@router.post(
    "/webhooks",
    response_model=NewWebhook,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403),
    tags=["webhooks"],
)
async def create_webhook(body: WebhookBody, who: Caller, ctx: Context) -> NewWebhook:
    """Register an endpoint. The signing secret is in this response only (deliveries are signed with it)."""
    async with ctx.transaction() as session:
        return await WebhookService(session, ctx.clock, ctx.vault, who.user_id).create(
            body.url,
            description=body.description,
            event_types=body.event_types,
            allow_private=ctx.settings.webhook_allow_private,
        )


@router.get("/webhooks", response_model=Page[WebhookView], responses=responses(), tags=["webhooks"])
async def list_webhooks(who: Caller, ctx: Context, pages: Pages) -> Page[WebhookView]:
    async with ctx.transaction() as session:
        items = await WebhookService(session, ctx.clock, ctx.vault, who.user_id).list_webhooks(
            limit=pages.limit, offset=pages.offset
        )
    return Page[WebhookView].of(items, pages)


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(403, 404),
    tags=["webhooks"],
)
async def delete_webhook(webhook_id: Annotated[str, Path(max_length=64)], who: Caller, ctx: Context) -> Response:
    async with ctx.transaction() as session:
        await WebhookService(session, ctx.clock, ctx.vault, who.user_id).delete(webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/health", response_model=HealthView, responses=responses(403), tags=["operator"])
async def health(_who: Operator, api: State) -> HealthView:
    """The platform's own conditions (operator only): database, vault keys, this server's clock against each
    exchange, egress IPs, monitor workers (heartbeats) and queue depth (checks due, webhook deliveries pending,
    alerts)."""
    return await api.health.view()
