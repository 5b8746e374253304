"""Routes for connections: connect, list, show, check, replace credentials, remove, balances, history.

What belongs here: the HTTP shape of `services.connections` — status codes (201 stored; 422 with the report when
the key is invalid; 503 with the report when the exchange did not answer; 409 when the key is already connected),
the report embedded in every verification answer, pagination. Every call acts as the signed-in user, and the
service finds connections by owner in the query, so another user's connection is a 404 exactly like a missing
one. What does not: the rules (services.connections).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from tradedock.api.deps import Caller, Context, Credentials, Page, Pages, State, admit
from tradedock.api.problems import problem_response, responses
from tradedock.domain import ConnectionStatus, ContractType, Environment, Scope
from tradedock.services.connections import ConnectionService, ConnectRequest, parse_exchange
from tradedock.services.history import connection_history
from tradedock.services.views import BalancesView, ConnectionDetail, ConnectionView, Outcome, RemovedView, RunView

router = APIRouter(tags=["connections"])

ConnectionId = Annotated[str, Path(min_length=1, max_length=64, description="A connection id (or a unique prefix).")]

CREDENTIALS_DESCRIPTION = (
    "The key's fields, write-only: bitget `api_key`, `secret`, `passphrase`; bybit `api_key`, `secret`; aster "
    "`api_wallet`, `private_key`, `main_wallet`. `GET /exchanges` describes each one."
)


class ConnectBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "exchange": "bybit",
                "environment": "live",
                "scope": "futures",
                "contract": "usdt_m",
                "label": "Main Bybit",
                "credentials": {"api_key": "XXXXXXXXXXXXXXXXXX", "secret": "YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY"},
            }
        },
    )

    exchange: str = Field(max_length=32, description="bybit, bitget or aster (see GET /exchanges).")
    environment: Environment = Environment.LIVE
    scope: Scope = Scope.FUTURES
    contract: ContractType | None = Field(default=None, description="Futures market; default the exchange's first.")
    label: str | None = Field(default=None, max_length=64)
    credentials: dict[str, Annotated[str, Field(max_length=4096)]] = Field(
        max_length=8, description=CREDENTIALS_DESCRIPTION
    )


class ReplaceBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "credentials": {"api_key": "XXXXXXXXXXXXXXXXXX", "secret": "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"}
            }
        },
    )

    credentials: dict[str, Annotated[str, Field(max_length=4096)]] = Field(
        max_length=8, description=CREDENTIALS_DESCRIPTION
    )
    allow_account_change: bool = Field(
        default=False, description="Accept a key of another exchange account (the connection's uid changes)."
    )


class VerificationAnswer(BaseModel):
    """The answer of connect, check and replace: the status, whether the key was stored, and the full report."""

    connection_id: str | None
    status: ConnectionStatus
    stored: bool
    note: str | None
    report: Outcome


def _answer(outcome: Outcome) -> VerificationAnswer:
    return VerificationAnswer(
        connection_id=outcome.connection_id,
        status=outcome.status,
        stored=outcome.stored,
        note=outcome.note,
        report=outcome,
    )


def _refusal(outcome: Outcome) -> JSONResponse:
    """A verification that stored nothing: 503 when the exchange did not answer, 422 when the key is invalid."""
    report: dict[str, Any] = outcome.model_dump(mode="json")
    failing = [c for c in outcome.checks if c.outcome in ("fail", "error")]
    first = failing[0] if failing else None
    if outcome.status is ConnectionStatus.UNREACHABLE:
        return problem_response(
            503,
            "exchange-unreachable",
            "Exchange unreachable",
            first.message if first else "the exchange did not answer; nothing is known about the key yet",
            fix="Try again in a few minutes. Nothing was stored.",
            report=report,
        )
    return problem_response(
        422,
        "key-invalid",
        "The key cannot be used",
        first.message if first else "the key did not pass verification",
        field="credentials",
        fix=(first.fix[0] if first and first.fix else "Fix the problems in the report and try again.")
        + " Nothing was stored.",
        report=report,
    )


@router.post(
    "/connections",
    response_model=VerificationAnswer,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 409, 503),
)
async def connect(body: ConnectBody, who: Caller, ctx: Context) -> Any:
    """Verify a key against the exchange and store it when usable (connected, with warnings, or action
    required). An invalid key is 422 and an unreachable exchange 503, both with the report; nothing is stored."""
    request = ConnectRequest(
        exchange=parse_exchange(body.exchange),
        environment=body.environment,
        scope=body.scope,
        contract=body.contract,
        label=body.label,
        credentials=body.credentials,
    )
    outcome = await ConnectionService(ctx, who.email).connect(request)
    if not outcome.stored:
        return _refusal(outcome)
    return _answer(outcome)


# List and show answer with the bytes their models serialise to (the serializer FastAPI itself would use, so the
# JSON is the same) without FastAPI validating the views a second time; the views come from `services.api_reads`
# (one SELECT each, no ORM), read in the same thread hand-off as the caller's token or session (``Credentials``
# is only what the request presented; `admit` does what `principal` does after the check). ``response_model``
# still documents them in OpenAPI.


@router.get("/connections", response_model=Page[ConnectionView], responses=responses())
async def list_connections(request: Request, shown: Credentials, api: State, pages: Pages) -> Response:
    # Who is calling and the page: one hand-off to a reader thread (`services.api_reads`).
    who, touch_due, window = await api.reads.connections_for(shown, limit=pages.limit + 1, offset=pages.offset)
    await admit(request, who, touch_due)
    return _json(Page[ConnectionView].window(window, pages))


@router.get("/connections/{connection_id}", response_model=ConnectionDetail, responses=responses(404))
async def show_connection(connection_id: ConnectionId, request: Request, shown: Credentials, api: State) -> Response:
    who, touch_due, first = await api.reads.connection_for(shown, connection_id)
    await admit(request, who, touch_due)
    return _json(await api.reads.connection(who.user_id, connection_id, first))


def _json(view: BaseModel) -> Response:
    return Response(view.model_dump_json(by_alias=True), media_type="application/json")


@router.post(
    "/connections/{connection_id}/check", response_model=VerificationAnswer, responses=responses(403, 404, 409)
)
async def check_connection(connection_id: ConnectionId, who: Caller, ctx: Context) -> VerificationAnswer:
    """Re-verify the stored key now; the answer carries the full report."""
    return _answer(await ConnectionService(ctx, who.email).check(connection_id))


@router.put(
    "/connections/{connection_id}/credentials",
    response_model=VerificationAnswer,
    responses=responses(403, 404, 409, 503),
)
async def replace_credentials(connection_id: ConnectionId, body: ReplaceBody, who: Caller, ctx: Context) -> Any:
    """Verify the new key first; it replaces the old one only if usable (same exchange account unless
    ``allow_account_change``). On 422 / 503 the connection keeps its current key, untouched."""
    outcome = await ConnectionService(ctx, who.email).replace(
        connection_id, body.credentials, allow_account_change=body.allow_account_change
    )
    if not outcome.stored:
        return _refusal(outcome)
    return _answer(outcome)


@router.delete("/connections/{connection_id}", response_model=RemovedView, responses=responses(403, 404))
async def remove_connection(connection_id: ConnectionId, who: Caller, ctx: Context) -> RemovedView:
    """Destroy the secrets and the data key; the audit record stays."""
    return await ConnectionService(ctx, who.email).remove(connection_id)


@router.get("/connections/{connection_id}/balances", response_model=BalancesView, responses=responses(404, 503))
async def balances(connection_id: ConnectionId, who: Caller, ctx: Context) -> BalancesView:
    return await ConnectionService(ctx, who.email).balances(connection_id)


@router.get("/connections/{connection_id}/history", response_model=Page[RunView], responses=responses(404))
async def history(connection_id: ConnectionId, who: Caller, ctx: Context, pages: Pages) -> Page[RunView]:
    """Stored verification runs, newest first."""
    runs = await connection_history(ctx, who.email, connection_id, limit=pages.limit, offset=pages.offset)
    return Page[RunView].of(runs, pages)


__all__ = ["router"]
