"""Request dependencies: the app's services, who is calling (token or session cookie), pagination.

What belongs here: `principal` (``Authorization: Bearer <token>`` first; otherwise the session cookie, whose
CSRF token `security.CsrfMiddleware` has already checked on unsafe methods), `operator`, and `Paging`. The
security schemes are declared with FastAPI's own classes so OpenAPI documents them. What does not: routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from tradedock.api.rate_limits import SignalLimiter
from tradedock.errors import AuthenticationError, NotAllowedError
from tradedock.services.accounts import SESSION_COOKIE as SESSION_COOKIE
from tradedock.services.accounts import AccountService, LoginLimiter, Principal
from tradedock.services.api_reads import ApiReads, Presented
from tradedock.services.context import AppContext
from tradedock.services.health import HealthService

CSRF_HEADER = "X-CSRF-Token"

bearer = HTTPBearer(auto_error=False, description="A personal API token: `Authorization: Bearer tdp_…`.")
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description=f"The dashboard's session cookie (from `POST /auth/login`); unsafe methods also need the "
    f"`{CSRF_HEADER}` header that login returned.",
)


@dataclass
class ApiState:
    """What the app keeps for its lifetime (set up by the lifespan)."""

    ctx: AppContext
    limiter: LoginLimiter
    health: HealthService
    reads: ApiReads  # who is calling; list and show connections (the hot reads, `services.api_reads`)
    signals: SignalLimiter = field(default_factory=SignalLimiter)  # per-strategy signal windows


# Dependencies are ``async def`` even when they do not await: FastAPI runs a plain ``def`` dependency in its
# thread pool, a thread hand-off per dependency per request.


async def state(request: Request) -> ApiState:
    value: ApiState = request.app.state.api
    return value


async def context(request: Request) -> AppContext:
    value: AppContext = request.app.state.api.ctx
    return value


async def presented(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    cookie: Annotated[str | None, Depends(session_cookie)],
) -> Presented:
    """What the request presents to prove who it is (not checked yet: `principal`, or a route that checks it
    together with its own read — `ApiReads.connections_for`)."""
    header = request.headers.get("authorization")
    if header is not None and credentials is None:
        raise AuthenticationError(
            "the Authorization header must be `Bearer <token>`", fix="Send Authorization: Bearer tdp_…"
        )
    if credentials is not None:
        return Presented(token=credentials.credentials)
    if cookie:
        return Presented(cookie=cookie)
    raise AuthenticationError(
        "sign in first, or send a personal API token",
        fix="Send Authorization: Bearer <token> (tradedock token create), or sign in at POST /api/v1/auth/login.",
    )


async def admit(request: Request, found: Principal, touch_due: bool) -> Principal:
    """After the credentials were checked: write the last-used time when due (at most once a minute, in its own
    transaction; the check itself only read) and note the user for the access log."""
    if touch_due:
        ctx: AppContext = request.app.state.api.ctx
        async with ctx.transaction() as session:
            await AccountService(session, ctx.clock).touch(found)
    request.state.user_id = found.user_id
    return found


async def principal(request: Request, shown: Annotated[Presented, Depends(presented)]) -> Principal:
    # Read-only (`services.api_reads`: one SELECT, never the write lock).
    api: ApiState = request.app.state.api
    found, touch_due = await api.reads.caller(shown)
    return await admit(request, found, touch_due)


async def operator(who: Annotated[Principal, Depends(principal)]) -> Principal:
    if not who.is_operator:
        raise NotAllowedError("only an operator can see this", fix="Ask the operator of this TradeDock.")
    return who


Caller = Annotated[Principal, Depends(principal)]
Credentials = Annotated[Presented, Depends(presented)]
Operator = Annotated[Principal, Depends(operator)]
Context = Annotated[AppContext, Depends(context)]
State = Annotated[ApiState, Depends(state)]


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


async def paging(
    limit: Annotated[int, Query(ge=1, le=200, description="At most this many items.")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Skip this many items.")] = 0,
) -> Paging:
    return Paging(limit, offset)


Pages = Annotated[Paging, Depends(paging)]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list. Ask for ``offset=next_offset`` for the next one; ``null`` means this is the last."""

    items: list[T]
    limit: int
    offset: int
    next_offset: int | None = Field(description="The offset of the next page, or null on the last page.")

    @classmethod
    def of(cls, items: list[T], paging: Paging) -> Page[T]:
        more = len(items) == paging.limit
        return cls(
            items=items,
            limit=paging.limit,
            offset=paging.offset,
            next_offset=paging.offset + paging.limit if more else None,
        )

    @classmethod
    def window(cls, window: list[T], paging: Paging) -> Page[T]:
        """The page from up to ``limit + 1`` items read from ``offset`` on (one more than shown tells whether a
        next page exists, without reading everything)."""
        more = len(window) > paging.limit
        return cls(
            items=window[: paging.limit],
            limit=paging.limit,
            offset=paging.offset,
            next_offset=paging.offset + paging.limit if more else None,
        )

    @classmethod
    def slice(cls, everything: list[T], paging: Paging) -> Page[T]:
        items = everything[paging.offset : paging.offset + paging.limit]
        more = paging.offset + paging.limit < len(everything)
        return cls(
            items=items,
            limit=paging.limit,
            offset=paging.offset,
            next_offset=paging.offset + paging.limit if more else None,
        )
