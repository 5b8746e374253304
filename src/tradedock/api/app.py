"""The FastAPI application: `create_app()` wires the routers under ``/api/v1``, the middleware and the lifespan.

What belongs here: assembling the app — the lifespan that opens TradeDock once (migrations under the lock, vault,
startup canary) and closes it, CSRF and access-log middleware, problem+json handlers, and the OpenAPI document at
``/api/v1/openapi.json`` (error responses documented as ``application/problem+json``). What does not: routes
(routes_*.py), auth (deps.py), or anything built at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from tradedock import __version__
from tradedock.api import (
    problems,
    routes_activity,
    routes_auth,
    routes_bots,
    routes_connections,
    routes_fixes,
    routes_strategies,
)
from tradedock.api.deps import ApiState
from tradedock.api.json_limits import JsonLimitMiddleware
from tradedock.api.rate_limits import SignalLimiter
from tradedock.api.security import AccessLogMiddleware, CsrfMiddleware
from tradedock.clock import Clock
from tradedock.config import Settings
from tradedock.domain import ExchangeId
from tradedock.monitor import MonitorRunner
from tradedock.services.accounts import LoginLimiter
from tradedock.services.api_reads import ApiReads
from tradedock.services.attempt_windows import AttemptWindows
from tradedock.services.context import open_app
from tradedock.services.health import HealthService

PREFIX = "/api/v1"
OPENAPI_URL = f"{PREFIX}/openapi.json"

DESCRIPTION = """\
TradeDock connects exchange accounts (Bybit, Bitget, Aster) by API key: it verifies a key with one report that
names every problem and its fix, vaults the secrets and keeps checking them.

**Auth.** Programs send `Authorization: Bearer <token>` (a personal API token: `tradedock token create`, or
`POST /tokens`). Browsers sign in with `POST /auth/login` and get an HttpOnly session cookie; every unsafe request
made with the cookie must also send the `X-CSRF-Token` returned at sign-in.

**Errors** are `application/problem+json` (RFC 9457): `{type, title, status, detail, field?, fix?, report?}`.
Another user's object is `404`, exactly like a missing one. Secrets are write-only: no response carries them.

**Lists** take `limit` and `offset` and answer `{items, limit, offset, next_offset}`.
"""


def _problem_content(schema: dict[str, Any]) -> None:
    """Every error response is a `problems.Problem` as application/problem+json (FastAPI documents its own 422
    as application/json ``HTTPValidationError``, which this API never sends)."""
    problem = {problems.PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for code, response in operation.get("responses", {}).items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = dict(problem)
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    transports: Mapping[ExchangeId, httpx.AsyncBaseTransport] | None = None,
    limiter: Callable[[], LoginLimiter] | None = None,
    on_ready: Callable[[], None] | None = None,
    run_monitor: bool = False,
) -> FastAPI:
    """The API app. TradeDock is opened by the lifespan (so `uvicorn --factory` and tests behave the same).
    ``run_monitor``: also run the monitor in this process (`tradedock serve` does unless turned off)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = await open_app(settings, clock=clock, transports=transports)
        reads = ApiReads(ctx)
        attempts = AttemptWindows(ctx.settings.rate_limit_storage)  # sign-ins and signals, shared if Redis
        app.state.api = ApiState(
            ctx=ctx,
            limiter=limiter() if limiter is not None else LoginLimiter(windows=attempts),
            health=HealthService(ctx),
            reads=reads,
            signals=SignalLimiter(counts=attempts),
        )
        runner = MonitorRunner(ctx) if run_monitor else None
        if runner is not None:
            runner.start()
        if on_ready is not None:
            on_ready()
        try:
            yield
        finally:
            if runner is not None:
                await runner.stop()
            await reads.aclose()
            await attempts.aclose()
            await ctx.aclose()

    app = FastAPI(
        title="TradeDock API",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=OPENAPI_URL,
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(routes_auth.router, prefix=PREFIX)
    app.include_router(routes_connections.router, prefix=PREFIX)
    app.include_router(routes_fixes.router, prefix=PREFIX)
    app.include_router(routes_activity.router, prefix=PREFIX)
    app.include_router(routes_strategies.router, prefix=PREFIX)
    app.include_router(routes_bots.router, prefix=PREFIX)
    app.add_middleware(JsonLimitMiddleware)  # before anything parses a body
    app.add_middleware(CsrfMiddleware)
    app.add_middleware(AccessLogMiddleware)  # outermost: it also logs what CSRF refused

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            _problem_content(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
