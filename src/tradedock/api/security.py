"""ASGI middleware: CSRF protection for cookie sessions, and the structured access log.

What belongs here: `CsrfMiddleware` — an unsafe request (POST, PUT, PATCH, DELETE) to an ``/api/`` path that
carries the session cookie and no ``Authorization`` header must send the session's CSRF token in
``X-CSRF-Token`` and, when the browser says where it comes from (``Origin``), come from this site; otherwise it
is refused with 403 before any route runs (sign-in and sign-up only need the same-origin part: they must work
with a stale cookie). The dashboard (tradedock.web) checks its forms' hidden CSRF field itself with the same rule
(`services.accounts.csrf_matches` and `same_origin`). The token is bound to the session (derived from the
HttpOnly cookie), so a token stolen from one session is useless for another. Token calls need no CSRF token: a
browser never adds an Authorization header to a cross-site request. `AccessLogMiddleware` writes one JSON line per
request (method, path, status, duration, client address, user id) — never headers, cookies, query strings or
bodies. What does not: routes.
"""

from __future__ import annotations

import json
import logging
import time
from http.cookies import CookieError, SimpleCookie

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradedock.api.deps import CSRF_HEADER, SESSION_COOKIE
from tradedock.api.problems import problem_response
from tradedock.services.accounts import csrf_matches, same_origin

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: The dashboard (tradedock.web) checks its forms' CSRF field itself, with the same rule (services.accounts).
API_PATHS = "/api/"
SIGN_IN_PATHS = frozenset({"/api/v1/auth/login", "/api/v1/auth/signup"})
access_log = logging.getLogger("tradedock.access")


def _session_cookie(headers: Headers) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def _same_origin(headers: Headers, scope: Scope) -> bool:
    return same_origin(headers.get("origin"), headers.get("host", ""), scope.get("scheme", "http"))


class CsrfMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS and scope["path"].startswith(API_PATHS):
            headers = Headers(scope=scope)
            cookie = _session_cookie(headers)
            if scope["path"] in SIGN_IN_PATHS:
                # Signing in does not act on the session, and must work with a stale cookie (no token left):
                # only a request the browser marks as cross-site is refused (login CSRF).
                refused = not _same_origin(headers, scope)
            elif cookie is not None and "authorization" not in headers:
                given = headers.get(CSRF_HEADER, "")
                refused = not (csrf_matches(cookie, given) and _same_origin(headers, scope))
            else:
                refused = False
            if refused:
                response = problem_response(
                    403,
                    "csrf",
                    "CSRF check failed",
                    "a signed-in browser request must carry its CSRF token and come from this site",
                    field=CSRF_HEADER,
                    fix=f"Send the csrf_token from sign-in (or GET /api/v1/me) in the {CSRF_HEADER} header, "
                    "or call the API with a personal token instead of the cookie.",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            client = scope.get("client")
            line = {
                "event": "http_request",
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "client": client[0] if client else None,
                "user_id": scope.get("state", {}).get("user_id"),
            }
            access_log.info(json.dumps(line, separators=(",", ":")))
