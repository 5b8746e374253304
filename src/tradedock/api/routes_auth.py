"""Routes for signing in and out, the caller's own account, personal API tokens and the operator's settings view.

What belongs here: ``/auth/login``, ``/auth/logout``, ``/auth/signup``, ``/me``, ``/tokens``, ``/settings``. The
session cookie is set here (HttpOnly, SameSite=Lax, Secure behind TLS); its CSRF token is returned in the body.
What does not: the rules (services.accounts) or the CSRF check (security.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from tradedock.api.deps import SESSION_COOKIE, Caller, Context, Operator, Page, Pages, State
from tradedock.api.problems import responses
from tradedock.errors import NotAllowedError
from tradedock.services.accounts import (
    SESSION_LIFETIME,
    AccountService,
    NewToken,
    TokenView,
    UserView,
    csrf_token_for,
)

router = APIRouter(tags=["accounts"])


class LoginBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"email": "trader@example.com", "password": "correct horse battery"}},
    )

    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class SignedIn(BaseModel):
    user: UserView
    csrf_token: str = Field(description="Send it as X-CSRF-Token on every unsafe request made with the cookie.")
    expires_at: datetime


class Me(BaseModel):
    user: UserView
    via: Literal["token", "session"]
    csrf_token: str | None = Field(description="The session's CSRF token (null when calling with a token).")


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"name": "trading bot"}})

    name: str = Field(min_length=1, max_length=100, description="What the token is for; unique per user.")


class SettingsView(BaseModel):
    """The operator's view of the platform settings (never a key or a password)."""

    open_signup: bool
    secure_cookies: bool
    egress_ips: list[str]
    withdraw_policy: str
    transfer_policy: str
    expiry_warn_days: int
    clock_warn_ms: int
    database_backend: str
    sandbox_exchanges: list[str]


def _set_session_cookie(response: Response, request: Request, value: str, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure or request.url.scheme == "https",
        path="/",
    )


@router.post("/auth/login", response_model=SignedIn, responses=responses(429), summary="Sign in (session cookie)")
async def login(body: LoginBody, request: Request, response: Response, api: State) -> SignedIn:
    """Check the e-mail and password and start a session. Attempts are limited per account and per IP."""
    ctx = api.ctx
    ip = request.client.host if request.client else "unknown"
    async with ctx.transaction() as session:
        started = await AccountService(session, ctx.clock).sign_in(
            body.email, body.password, ip=ip, limiter=api.limiter
        )
    _set_session_cookie(response, request, started.cookie, ctx.settings.secure_cookies)
    return SignedIn(user=started.user, csrf_token=csrf_token_for(started.cookie), expires_at=started.expires_at)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=responses(403), summary="Sign out")
async def logout(who: Caller, ctx: Context, request: Request) -> Response:
    """End the session on the server (the cookie stops working everywhere) and clear it."""
    async with ctx.transaction() as session:
        await AccountService(session, ctx.clock).sign_out(who)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.post(
    "/auth/signup",
    response_model=UserView,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403),
    summary="Create an account (when the operator allows open sign-up)",
)
async def signup(body: LoginBody, ctx: Context) -> UserView:
    if not ctx.settings.open_signup:
        raise NotAllowedError(
            "sign-up is closed on this TradeDock",
            fix="Ask the operator to create your account (tradedock user create).",
        )
    async with ctx.transaction() as session:
        return await AccountService(session, ctx.clock).create_user(body.email, body.password)


@router.get("/me", response_model=Me, responses=responses(), summary="Who am I")
async def me(who: Caller, ctx: Context, request: Request) -> Me:
    async with ctx.transaction() as session:
        user = await AccountService(session, ctx.clock).user(who)
    cookie = request.cookies.get(SESSION_COOKIE) if who.session_id else None
    return Me(
        user=user, via="session" if who.session_id else "token", csrf_token=csrf_token_for(cookie) if cookie else None
    )


@router.get("/tokens", response_model=Page[TokenView], responses=responses(), summary="List your API tokens")
async def list_tokens(who: Caller, ctx: Context, pages: Pages) -> Page[TokenView]:
    async with ctx.transaction() as session:
        items = await AccountService(session, ctx.clock).list_tokens(who, limit=pages.limit, offset=pages.offset)
    return Page[TokenView].of(items, pages)


@router.post(
    "/tokens",
    response_model=NewToken,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403),
    summary="Create an API token (shown once)",
)
async def create_token(body: TokenBody, who: Caller, ctx: Context) -> NewToken:
    """The token is in this response only; TradeDock keeps just its hash. Store it somewhere safe."""
    async with ctx.transaction() as session:
        return await AccountService(session, ctx.clock).create_token(who, body.name)


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(403, 404),
    summary="Revoke an API token",
)
async def revoke_token(token_id: Annotated[str, Path(max_length=64)], who: Caller, ctx: Context) -> Response:
    async with ctx.transaction() as session:
        await AccountService(session, ctx.clock).revoke_token(who, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/settings", response_model=SettingsView, responses=responses(403), summary="Platform settings (operator)")
async def settings_view(_who: Operator, ctx: Context) -> SettingsView:
    s = ctx.settings
    return SettingsView(
        open_signup=s.open_signup,
        secure_cookies=s.secure_cookies,
        egress_ips=list(s.egress_ips),
        withdraw_policy=s.withdraw_policy.value,
        transfer_policy=s.transfer_policy.value,
        expiry_warn_days=s.expiry_warn_days,
        clock_warn_ms=s.clock_warn_ms,
        database_backend=ctx.engine.dialect.name,
        sandbox_exchanges=sorted(s.effective_sandbox_urls()),
    )


__all__ = ["router"]
