"""Errors as ``application/problem+json`` (RFC 9457): the model, the status of each domain error, the handlers.

What belongs here: turning every failure — domain errors, request validation, unknown routes — into one problem
document ``{type, title, status, detail, field?, fix?, report?, errors?}`` that names the field and the fix, and
the OpenAPI descriptions of those responses. Nothing here echoes a request body (it may hold a secret), and an
unexpected exception is a bare 500 whose detail names no internals. What does not: routes.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from tradedock.errors import (
    AccountChangedError,
    AlreadyConnectedError,
    AuthenticationError,
    BotNotReadyError,
    ConflictError,
    ExchangeUnreachableError,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    SignalRefusedError,
    TooManyAttemptsError,
    TradeDockError,
    UserFixableError,
)
from tradedock.services.credentials import all_field_names

PROBLEM_JSON = "application/problem+json"
NOT_FOUND_DETAIL = "There is nothing with this id among your objects."
NOT_FOUND_FIX = "List yours (GET /api/v1/connections, /webhooks, /tokens) to see their ids."
_log = logging.getLogger("tradedock.api")


class ValidationItem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document. ``report`` carries the verification report where there is one."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "type": "/problems/invalid-input",
                "title": "Invalid input",
                "status": 422,
                "detail": "secret is missing",
                "field": "secret",
                "fix": "Provide secret (see `tradedock guide bybit`).",
            }
        }
    )

    type: str = Field(description="A URI reference naming the kind of problem.")
    title: str
    status: int
    detail: str
    field: str | None = Field(default=None, description="The request field at fault, when there is one.")
    fix: str | None = Field(default=None, description="What to do about it.")
    report: dict[str, Any] | None = Field(default=None, description="The verification report (connect, replace).")
    errors: list[ValidationItem] | None = Field(default=None, description="Every invalid field (422).")
    reason: str | None = Field(
        default=None, description="A short code: why a signal was refused (replay, stale, …) or a bot cannot start."
    )
    problems: list[str] | None = Field(default=None, description="The connection's failing checks (bot-not-ready).")


#: (status, slug, title) per domain error, most specific first.
_STATUS: tuple[tuple[type[TradeDockError], int, str, str], ...] = (
    (InvalidInputError, 422, "invalid-input", "Invalid input"),
    (AuthenticationError, 401, "unauthenticated", "Not signed in"),
    (NotAllowedError, 403, "forbidden", "Not allowed"),
    (NotFoundError, 404, "not-found", "Not found"),
    (AlreadyConnectedError, 409, "already-connected", "Key already connected"),
    (AccountChangedError, 409, "account-changed", "Different exchange account"),
    (TooManyAttemptsError, 429, "too-many-attempts", "Too many attempts"),
    (ConflictError, 409, "conflict", "Conflict"),  # a lost race, or a change the object's state forbids
    (ExchangeUnreachableError, 503, "exchange-unreachable", "Exchange unreachable"),
    (UserFixableError, 422, "user-fixable", "Cannot do that"),
)


def status_of(error: TradeDockError) -> tuple[int, str, str]:
    if isinstance(error, SignalRefusedError):  # /problems/signal-replay (409), -stale, -unknown-symbol, … (422)
        status = 409 if error.reason == "replay" else 422
        return status, "signal-" + error.reason.replace("_", "-"), "Signal refused"
    if isinstance(error, BotNotReadyError):
        return 422, "bot-not-ready", "Bot not ready"
    for kind, status, slug, title in _STATUS:
        if isinstance(error, kind):
            return status, slug, title
    return 500, "internal", "Internal error"


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    field: str | None = None,
    fix: str | None = None,
    report: dict[str, Any] | None = None,
    errors: list[ValidationItem] | None = None,
    headers: dict[str, str] | None = None,
    reason: str | None = None,
    problems: list[str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=f"/problems/{slug}",
        title=title,
        status=status,
        detail=detail,
        field=field,
        fix=fix,
        report=report,
        errors=errors,
        reason=reason,
        problems=problems,
    )
    return JSONResponse(
        jsonable_encoder(body, exclude_none=True), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def error_response(error: TradeDockError, *, report: dict[str, Any] | None = None) -> JSONResponse:
    status, slug, title = status_of(error)
    headers: dict[str, str] = {}
    if isinstance(error, AuthenticationError):
        headers["WWW-Authenticate"] = 'Bearer realm="tradedock"'
    if isinstance(error, TooManyAttemptsError):
        headers["Retry-After"] = str(max(1, round(error.retry_after_s)))
    if status == 500:
        _log.error("internal error: %s", type(error).__name__)
        return problem_response(500, slug, title, "Something went wrong on the server. It has been logged.")
    if status == 404:
        # One answer for every missing object, whoever owns it: no id echoed, nothing to tell them apart.
        return problem_response(404, slug, title, NOT_FOUND_DETAIL, fix=NOT_FOUND_FIX)
    return problem_response(
        status,
        slug,
        title,
        error.message,
        field=getattr(error, "field", None),
        fix=error.fix,
        report=report,
        headers=headers or None,
        reason=error.reason if isinstance(error, SignalRefusedError | BotNotReadyError) else None,
        problems=error.problems if isinstance(error, BotNotReadyError) else None,
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    if "credentials" in parts:  # a key inside credentials may be a secret pasted as a key (issue 17): never echo it
        at = parts.index("credentials") + 1
        if at < len(parts) and parts[at] not in all_field_names():
            parts = parts[:at]
    return ".".join(parts) or str(loc[0] if loc else "body")


async def _on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TradeDockError)
    return error_response(exc)


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Never echo the input (pydantic's "input" member): the body may hold a secret.
    items = [
        ValidationItem(field=_field_name(tuple(e.get("loc", ()))), message=str(e.get("msg", ""))) for e in exc.errors()
    ]
    first = items[0] if items else ValidationItem(field="body", message="invalid request")
    return problem_response(
        422,
        "invalid-input",
        "Invalid input",
        f"{first.field}: {first.message}",
        field=first.field,
        fix="Correct the field named and send the request again (the schema is at /api/v1/openapi.json).",
        errors=items,
    )


async def _on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    detail = "No such route." if exc.status_code == 404 else str(exc.detail)
    return problem_response(exc.status_code, slug, title, detail, headers=dict(exc.headers or {}) or None)


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    _log.error("unexpected %s while handling a request", type(exc).__name__)
    return problem_response(
        500, "internal", "Internal error", "Something went wrong on the server. It has been logged."
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(TradeDockError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI descriptions of the problem responses a route can give (401 and 422 are on every route)."""
    meaning = {
        401: "Not signed in: no, an unknown or a revoked token or session.",
        403: "Not allowed (operator only), or a cookie request without its CSRF token.",
        404: "No such object for you (another user's object looks exactly the same).",
        409: "Conflict: the key is already connected (by anyone), the object changed meanwhile, or (signals) "
        "this signal_id was already received.",
        422: "Invalid input: ``field`` names the field and ``fix`` says what to do.",
        429: "Too many attempts: wait ``Retry-After`` seconds.",
        503: "The exchange did not answer: nothing is known about the key yet.",
    }
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted({401, 422, *statuses}):
        out[status] = {"model": Problem, "description": meaning[status], "content": {PROBLEM_JSON: {}}}
    return out
