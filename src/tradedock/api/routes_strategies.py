"""Routes for strategies and their signals: the catalog, create, publish, rotate the secret, delete, and the
TradingView-style webhook ``POST /strategies/{id}/signals``.

What belongs here: the HTTP shape of `services.strategies`. Every route but the signal webhook acts as the
signed-in user (another user's private strategy is a 404 exactly like a missing one). The webhook takes no user
session or token: it is authorised by the strategy's own secret (in the JSON body as ``secret`` or in the
``X-TradeDock-Secret`` header), is rate limited per strategy before anything else (`rate_limits.SignalLimiter`),
and reads the body itself, so a sender posting JSON as ``text/plain`` works and the size/depth limits apply to any
content type. Refusals are problems naming the field: a wrong secret (or unknown strategy: the same answer) 401
``secret``; a replayed ``signal_id`` 409; stale or future ``time``, unknown ``symbol``, malformed fields 422. A
secret appears only in the answers of create and rotate. What does not: the rules (services.strategies).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from tradedock.api.deps import Caller, Context, Page, Pages, State
from tradedock.api.problems import problem_response, responses
from tradedock.errors import AuthenticationError, InvalidInputError
from tradedock.jsonlimits import MAX_JSON_BYTES, JsonLimitError, loads_limited
from tradedock.services.bot_views import NewStrategySecret, SignalAccepted, SignalView, StrategyKind, StrategyView
from tradedock.services.builtin_strategies import BuiltinStrategyView, builtin_catalog
from tradedock.services.strategies import StrategyService, ingest_signal

router = APIRouter(tags=["strategies"])

StrategyId = Annotated[str, Path(min_length=1, max_length=64, description="A strategy id.")]
SECRET_HEADER = "X-TradeDock-Secret"
_ACTIONS = ["long", "short", "close", "flat"]

#: The signal body as documented (the service checks it; unknown fields are refused naming them).
SIGNAL_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["signal_id", "action", "symbol", "time"],
    "properties": {
        "secret": {"type": "string", "description": f"The strategy's signal secret (or send it as {SECRET_HEADER})."},
        "signal_id": {
            "type": "string",
            "pattern": "^[A-Za-z0-9._:-]{1,64}$",
            "description": "Unique per signal: a replayed id is refused (409).",
        },
        "action": {"type": "string", "enum": _ACTIONS},
        "symbol": {"type": "string", "description": "The exchange symbol, e.g. BTCUSDT (TradingView's .P dropped)."},
        "time": {
            "description": "When the signal happened: ISO 8601 with an offset, or unix milliseconds.",
            "anyOf": [{"type": "string", "format": "date-time"}, {"type": "integer"}],
        },
        "size": {"type": "string", "description": "Optional target position in the base coin (else bot sizing)."},
    },
    "example": {
        "secret": "tds_…",
        "signal_id": "tv-42",
        "action": "long",
        "symbol": "BTCUSDT",
        "time": "2026-12-01T09:30:00Z",
    },
}


class StrategyBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"name": "TradingView breakout", "kind": "webhook", "max_signal_age_s": 60}},
    )

    name: str = Field(min_length=1, max_length=100)
    kind: StrategyKind = Field(default=StrategyKind.WEBHOOK, description="webhook (signals posted) or builtin.")
    description: str = Field(default="", max_length=2000)
    max_signal_age_s: int = Field(default=60, ge=5, le=86400, description="Older signals are refused (webhook).")
    builtin_name: str | None = Field(default=None, max_length=64, description="For builtin: ma_crossover or dca.")
    params: dict[str, Any] = Field(default_factory=dict, description="The built-in strategy's parameters.")


class StrategyCreated(BaseModel):
    """A new strategy. For a webhook strategy the signal ``secret`` is in this answer only (rotate to get a new
    one); post signals to ``signal_url_path``."""

    strategy: StrategyView
    secret: str | None
    signal_url_path: str | None


class PublishBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"public": True}})

    public: bool = Field(default=True, description="true: visible to every user; false: private again.")


PUBLISH = PublishBody()


@router.get("/strategies", response_model=Page[StrategyView], responses=responses())
async def list_strategies(who: Caller, ctx: Context, pages: Pages) -> Page[StrategyView]:
    """Your strategies and every published one, newest first."""
    return Page[StrategyView].slice(await StrategyService(ctx, who.email).list(), pages)


@router.get("/strategies/builtins", response_model=list[BuiltinStrategyView], responses=responses())
async def list_builtins(_who: Caller) -> list[BuiltinStrategyView]:
    """The built-in strategies the platform runs from market data, with their parameters (name, kind, help,
    required, default, choices, bounds): create one with ``POST /strategies {"kind": "builtin", …}``."""
    return builtin_catalog()


@router.post(
    "/strategies", response_model=StrategyCreated, status_code=status.HTTP_201_CREATED, responses=responses(403)
)
async def create_strategy(body: StrategyBody, who: Caller, ctx: Context) -> StrategyCreated:
    """Create a private strategy: a webhook strategy (its signal secret is shown in this answer only) or a
    built-in one (``builtin_name`` and ``params``)."""
    service = StrategyService(ctx, who.email)
    if body.kind is StrategyKind.WEBHOOK:
        if body.builtin_name is not None or body.params:
            raise InvalidInputError(
                "builtin_name" if body.builtin_name is not None else "params",
                "a webhook strategy has no built-in name or parameters",
                fix='Leave them out, or create a "builtin" strategy.',
            )
        made = await service.create_webhook(
            body.name, description=body.description, max_signal_age_s=body.max_signal_age_s
        )
        return StrategyCreated(strategy=made.strategy, secret=made.secret, signal_url_path=made.signal_url_path)
    if body.builtin_name is None:
        raise InvalidInputError("builtin_name", "a built-in strategy needs builtin_name", fix="e.g. ma_crossover.")
    view = await service.create_builtin(body.name, body.builtin_name, body.params, description=body.description)
    return StrategyCreated(strategy=view, secret=None, signal_url_path=None)


@router.get("/strategies/{strategy_id}", response_model=StrategyView, responses=responses(404))
async def get_strategy(strategy_id: StrategyId, who: Caller, ctx: Context) -> StrategyView:
    return await StrategyService(ctx, who.email).get(strategy_id)


@router.post("/strategies/{strategy_id}/publish", response_model=StrategyView, responses=responses(403, 404, 409))
async def publish_strategy(
    strategy_id: StrategyId, who: Caller, ctx: Context, body: PublishBody = PUBLISH
) -> StrategyView:
    """Publish a strategy to every user (or make it private again with ``{"public": false}``; the body is
    optional). Operators only."""
    return await StrategyService(ctx, who.email).publish(strategy_id, public=body.public)


@router.post(
    "/strategies/{strategy_id}/rotate-secret", response_model=NewStrategySecret, responses=responses(403, 404, 409)
)
async def rotate_secret(strategy_id: StrategyId, who: Caller, ctx: Context) -> NewStrategySecret:
    """A new signal secret for your webhook strategy, shown in this answer only; the old one stops working now."""
    return await StrategyService(ctx, who.email).rotate_secret(strategy_id)


@router.delete("/strategies/{strategy_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(403, 404, 409))
async def delete_strategy(strategy_id: StrategyId, who: Caller, ctx: Context) -> Response:
    """Delete your strategy and its signals (409 while a bot that is not stopped follows it)."""
    await StrategyService(ctx, who.email).delete(strategy_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/strategies/{strategy_id}/signals", response_model=Page[SignalView], responses=responses(404))
async def list_signals(strategy_id: StrategyId, who: Caller, ctx: Context, pages: Pages) -> Page[SignalView]:
    """Your strategy's accepted signals, newest first (refused ones are events: GET /events)."""
    items = await StrategyService(ctx, who.email).signals(strategy_id, limit=pages.limit, offset=pages.offset)
    return Page[SignalView].of(items, pages)


async def _read_body(request: Request) -> bytes:
    """The raw body, refused past the JSON size limit without reading further (any content type)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_JSON_BYTES:
            raise InvalidInputError(
                "body", f"the signal is larger than {MAX_JSON_BYTES:,} bytes", fix="Send only the signal's fields."
            )
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/strategies/{strategy_id}/signals",
    response_model=SignalAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(403, 409, 429),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SIGNAL_BODY_SCHEMA}},
        }
    },
    summary="Post a signal (TradingView webhook; authorised by the strategy's secret)",
)
async def post_signal(
    strategy_id: StrategyId,
    request: Request,
    api: State,
    secret_header: Annotated[
        str | None,
        Header(alias=SECRET_HEADER, max_length=512, description="The signal secret (instead of the body's)."),
    ] = None,
) -> SignalAccepted | JSONResponse:
    """A signal for a webhook strategy, authorised by the strategy's own secret (no session or token). Accepted:
    one pending order per running bot that trades the symbol, executed by the workers (202). Refused — with
    nothing stored or ordered — for a wrong secret (401, the same for an unknown strategy), a replayed
    ``signal_id`` (409), a stale or future ``time``, an unknown ``symbol`` or a malformed field (422)."""
    await api.signals.hit(strategy_id)
    raw = await _read_body(request)
    try:
        body = loads_limited(raw)
    except JsonLimitError as exc:
        raise InvalidInputError("body", str(exc), fix="Send a small, flat JSON object.") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInputError(
            "body",
            "the signal is not JSON",
            fix='Send a JSON object, e.g. {"signal_id": "…", "action": "long", "symbol": "BTCUSDT", "time": …}.',
        ) from None
    try:
        return await ingest_signal(api.ctx, strategy_id, body, secret=secret_header)
    except AuthenticationError as error:
        return problem_response(
            401,
            "signal-secret",
            "Wrong signal secret",
            error.message,
            field="secret",
            fix=error.fix,
            headers={"WWW-Authenticate": f'{SECRET_HEADER} realm="tradedock signals"'},
        )


__all__ = ["router"]
