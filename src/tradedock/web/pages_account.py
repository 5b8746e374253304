"""Pages of the account: sign in, sign out, personal API tokens and webhooks.

What belongs here: the HTML shape of `services.accounts` and `services.webhooks` for the signed-in user (the
operator's pages are in pages_operator.py). Signing in
sets the same HttpOnly session cookie as ``POST /api/v1/auth/login``; a token or a webhook signing secret is
shown once, on the page answering its creation. What does not: the rules (services) or the CSRF check (app.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tradedock.errors import TooManyAttemptsError, TradeDockError
from tradedock.services.accounts import SESSION_COOKIE, SESSION_LIFETIME, AccountService
from tradedock.services.webhooks import EVENT_TYPES, WebhookService
from tradedock.web.app import checked_form, context, from_this_site, limiter, render, see_other, signed_in, text

router = APIRouter()


@router.get("/signin", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> Response:
    return render(request, "signin.html", title="Sign in · TradeDock", email="", error=None)


@router.post("/signin", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    form = await request.form()
    email = text(form, "email")
    password = form.get("password")
    if not from_this_site(request):
        return render(
            request,
            "signin.html",
            title="Sign in · TradeDock",
            email=email,
            status_code=403,
            error=("form", "this sign-in form came from another site", "Open TradeDock's own page."),
        )
    ctx = context(request)
    ip = request.client.host if request.client else "unknown"
    try:
        if not isinstance(password, str) or not password:
            raise _Missing("password")
        if not email:
            raise _Missing("email")
        async with ctx.transaction() as session:
            started = await AccountService(session, ctx.clock).sign_in(email, password, ip=ip, limiter=limiter(request))
    except _Missing as missing:
        return render(
            request,
            "signin.html",
            title="Sign in · TradeDock",
            email=email,
            status_code=422,
            error=(missing.field, f"enter your {missing.field}", "Both fields are required."),
        )
    except TradeDockError as exc:
        return render(
            request,
            "signin.html",
            title="Sign in · TradeDock",
            email=email,
            status_code=429 if isinstance(exc, TooManyAttemptsError) else 401,
            error=("password", exc.message, exc.fix or "Check both and try again."),
        )
    response = see_other("/")
    response.set_cookie(
        SESSION_COOKIE,
        started.cookie,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies or request.url.scheme == "https",
        path="/",
    )
    return response


class _Missing(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


@router.post("/signout")
async def sign_out(request: Request) -> Response:
    visitor, _form = await checked_form(request)
    ctx = context(request)
    async with ctx.transaction() as session:
        await AccountService(session, ctx.clock).sign_out(visitor.principal)
    response = see_other("/signin?signed_out=1")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


# --- API tokens --------------------------------------------------------------------------------------------


async def _tokens_page(request: Request, **values: Any) -> Response:
    v = await signed_in(request)
    ctx = context(request)
    async with ctx.transaction() as session:
        tokens = await AccountService(session, ctx.clock).list_tokens(v.principal, limit=200, offset=0)
    values.setdefault("error", None)
    values.setdefault("created", None)
    values.setdefault("name", "")
    return render(request, "tokens.html", v, title="API tokens · TradeDock", tokens=tokens, **values)


@router.get("/tokens", response_class=HTMLResponse)
async def tokens(request: Request) -> Response:
    return await _tokens_page(request)


@router.post("/tokens", response_class=HTMLResponse)
async def create_token(request: Request) -> Response:
    visitor, form = await checked_form(request)
    ctx = context(request)
    name = text(form, "name")
    try:
        async with ctx.transaction() as session:
            created = await AccountService(session, ctx.clock).create_token(visitor.principal, name)
    except TradeDockError as exc:
        field = getattr(exc, "field", "name")
        return await _tokens_page(request, name=name, error=(field, exc.message, exc.fix))
    return await _tokens_page(request, created=created)


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(token_id: str, request: Request) -> Response:
    visitor, _form = await checked_form(request)
    ctx = context(request)
    try:
        async with ctx.transaction() as session:
            await AccountService(session, ctx.clock).revoke_token(visitor.principal, token_id)
    except TradeDockError as exc:
        return await _tokens_page(request, error=("token", exc.message, exc.fix))
    return see_other("/tokens")


# --- webhooks ----------------------------------------------------------------------------------------------


async def _webhooks_page(request: Request, **values: Any) -> Response:
    v = await signed_in(request)
    ctx = context(request)
    async with ctx.transaction() as session:
        service = WebhookService(session, ctx.clock, ctx.vault, v.principal.user_id)
        hooks = await service.list_webhooks(limit=200, offset=0)
        events = await service.list_events(limit=50, offset=0)
    values.setdefault("error", None)
    values.setdefault("created", None)
    values.setdefault("typed", {"url": "", "description": "", "events": list(EVENT_TYPES)})
    return render(
        request,
        "webhooks.html",
        v,
        title="Webhooks · TradeDock",
        hooks=hooks,
        events=events,
        event_types=EVENT_TYPES,
        **values,
    )


@router.get("/webhooks", response_class=HTMLResponse)
async def webhooks(request: Request) -> Response:
    return await _webhooks_page(request)


@router.post("/webhooks", response_class=HTMLResponse)
async def create_webhook(request: Request) -> Response:
    visitor, form = await checked_form(request)
    ctx = context(request)
    url, description = text(form, "url"), text(form, "description")
    chosen = [str(v) for v in form.getlist("events")]
    try:
        async with ctx.transaction() as session:
            service = WebhookService(session, ctx.clock, ctx.vault, visitor.principal.user_id)
            created = await service.create(
                url,
                description=description,
                event_types=chosen or None,
                allow_private=ctx.settings.webhook_allow_private,
            )
    except TradeDockError as exc:
        typed = {"url": url, "description": description, "events": chosen}
        return await _webhooks_page(request, typed=typed, error=(getattr(exc, "field", "url"), exc.message, exc.fix))
    return await _webhooks_page(request, created=created)


@router.post("/webhooks/{webhook_id}/delete")
async def delete_webhook(webhook_id: str, request: Request) -> Response:
    visitor, _form = await checked_form(request)
    ctx = context(request)
    try:
        async with ctx.transaction() as session:
            await WebhookService(session, ctx.clock, ctx.vault, visitor.principal.user_id).delete(webhook_id)
    except TradeDockError as exc:
        return await _webhooks_page(request, error=("webhook", exc.message, exc.fix))
    return see_other("/webhooks")
