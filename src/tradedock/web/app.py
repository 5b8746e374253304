"""The dashboard's plumbing: mounting it on the API app, templates, who is signed in, and the forms' CSRF check.

What belongs here: `install(app)` (the page routers, ``/static``, the redirect to sign-in), rendering a template
with the signed-in user and the session's CSRF token, `signed_in` (the same session cookie as the API, read by
`services.accounts`) and `checked_form` (every POST carries the session's CSRF token in a hidden field and comes
from this site — the same rule as the API's ``X-CSRF-Token``, `services.accounts.csrf_matches` / `same_origin`).
The dashboard runs inside the API app and uses the `AppContext` its lifespan opened (``app.state.api.ctx``).
What does not: pages (pages_*.py) or any rule of accounts or connections (services).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined
from starlette.datastructures import FormData

from tradedock.errors import AuthenticationError
from tradedock.services.accounts import (
    SESSION_COOKIE,
    AccountService,
    LoginLimiter,
    Principal,
    csrf_matches,
    csrf_token_for,
    same_origin,
)
from tradedock.services.context import AppContext
from tradedock.web.present import FILTERS

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")  # autoescape on for .html
templates.env.filters.update(FILTERS)
templates.env.undefined = StrictUndefined  # a missing value is a bug, never an empty string


class SignInFirst(Exception):
    """Raised by a page when nobody is signed in: answered with a redirect to the sign-in page."""


class CsrfRefused(Exception):
    """A form posted without this session's CSRF token (or from another site)."""


def context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.api.ctx
    return ctx


def limiter(request: Request) -> LoginLimiter:
    value: LoginLimiter = request.app.state.api.limiter
    return value


@dataclass(frozen=True)
class Visitor:
    """The signed-in user of a page request, and the CSRF token its forms carry."""

    principal: Principal
    csrf_token: str


async def signed_in(request: Request) -> Visitor:
    """The session's user; `SignInFirst` when there is no valid session (unknown, expired, signed out)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise SignInFirst
    ctx = context(request)
    try:
        async with ctx.transaction() as session:
            principal = await AccountService(session, ctx.clock).from_session(cookie)
    except AuthenticationError:
        raise SignInFirst from None
    request.state.user_id = principal.user_id  # for the access log
    return Visitor(principal, csrf_token_for(cookie))


def from_this_site(request: Request) -> bool:
    return same_origin(request.headers.get("origin"), request.headers.get("host", ""), request.url.scheme)


async def checked_form(request: Request) -> tuple[Visitor, FormData]:
    """A signed-in POST: the session's user and the form, after the CSRF check (`CsrfRefused` when it fails)."""
    visitor = await signed_in(request)
    form = await request.form()
    given = form.get("csrf_token")
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if not isinstance(given, str) or not csrf_matches(cookie, given) or not from_this_site(request):
        raise CsrfRefused
    return visitor, form


def text(form: FormData, name: str) -> str:
    """A text field, trimmed ('' when absent or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


#: Headers of every page (never cached, never framed, no referrer to other sites).
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}


def render(
    request: Request, template: str, visitor: Visitor | None = None, *, status_code: int = 200, **values: Any
) -> HTMLResponse:
    values.setdefault("title", "TradeDock")
    return templates.TemplateResponse(
        request,
        template,
        {"visitor": visitor, "user": visitor.principal if visitor else None, **values},
        status_code=status_code,
        headers=PAGE_HEADERS,
    )


def not_found(request: Request, visitor: Visitor, *, heading: str, message: str, fix: str) -> HTMLResponse:
    """The 404 page: what is missing, why, and where to look instead."""
    return render(
        request,
        "error.html",
        visitor,
        title="Not found · TradeDock",
        status_code=404,
        heading=heading,
        message=message,
        fix=fix,
    )


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def install(app: FastAPI) -> None:
    """Mount the dashboard on the API app: pages at ``/`` and below, hand-written CSS/JS at ``/static``."""
    from tradedock.web import (
        pages_account,
        pages_bots,
        pages_connect,
        pages_connections,
        pages_fixes,
        pages_operator,
        pages_strategies,
    )

    async def to_sign_in(request: Request, _exc: Exception) -> Response:
        return see_other("/signin")

    async def refused(request: Request, _exc: Exception) -> Response:
        return render(
            request,
            "error.html",
            title="Form expired",
            status_code=403,
            heading="This form has expired",
            message="The page was open in another session or came from another site. Nothing was changed.",
            fix="Go back, reload the page and submit it again.",
        )

    app.add_exception_handler(SignInFirst, to_sign_in)
    app.add_exception_handler(CsrfRefused, refused)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages_account.router, include_in_schema=False)
    app.include_router(pages_connect.router, include_in_schema=False)
    app.include_router(pages_connections.router, include_in_schema=False)
    app.include_router(pages_fixes.router, include_in_schema=False)
    app.include_router(pages_operator.router, include_in_schema=False)
    app.include_router(pages_strategies.router, include_in_schema=False)
    app.include_router(pages_bots.router, include_in_schema=False)
    pages_operator.install_handlers(app)


__all__ = ["install"]
