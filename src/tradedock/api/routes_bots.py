"""Routes for bots: create one from a connection and a strategy, list, show (orders, positions, PnL, events),
start, pause, stop (optionally closing the position), delete.

What belongs here: the HTTP shape of `services.bots.BotService`. The create body is the service's own
`BotRequest`; every call acts as the signed-in user and bots are found by owner, so another user's bot is a 404
exactly like a missing one. ``start`` re-verifies the connection; a connection that is not fit to trade is a 422
``/problems/bot-not-ready`` with the ``reason`` code, the failing ``problems`` and the fix. A transition the state
machine does not allow (a stopped bot is final) or a lost race is 409. What does not: the rules (services.bots)
or executing orders (services.execution, in the workers).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from tradedock.api.deps import Caller, Context, Page, Pages
from tradedock.api.problems import responses
from tradedock.services.bot_views import BotDetail, BotEventView, BotOrderView, BotRequest, BotView
from tradedock.services.bots import BotService

router = APIRouter(tags=["bots"])

BotId = Annotated[str, Path(min_length=1, max_length=64, description="A bot id (or a unique prefix).")]

BOT_EXAMPLE: JsonDict = {
    "name": "BTC breakout",
    "connection_id": "6f1c2d3e-0000-4000-8000-000000000000",
    "strategy_id": "0b6d2a4c-0000-4000-8000-000000000000",
    "symbols": ["BTCUSDT"],
    "sizing_kind": "fixed_quote",
    "sizing_value": "100",
    "leverage_cap": "3",
    "max_position_quote": "1000",
    "stops": {"max_loss_pct": "10"},
    "mode": "live",
}


class BotBody(BotRequest):
    """`BotRequest` as the API's create body (the same fields and checks), with its documented example."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra={"example": BOT_EXAMPLE})


class StopBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"close_position": True}})

    close_position: bool = Field(
        default=False, description="Also close the bot's positions (reduce-only market orders, sent by the workers)."
    )


NO_CLOSE = StopBody()


@router.get("/bots", response_model=Page[BotView], responses=responses())
async def list_bots(who: Caller, ctx: Context, pages: Pages) -> Page[BotView]:
    """Your bots, with their state, positions and PnL."""
    return Page[BotView].slice(await BotService(ctx, who.email).list(), pages)


@router.post("/bots", response_model=BotView, status_code=status.HTTP_201_CREATED, responses=responses(403, 404, 503))
async def create_bot(body: BotBody, who: Caller, ctx: Context) -> BotView:
    """A bot in ``draft`` on one of your connections and a strategy you can see; each symbol must be a perpetual
    the exchange lists. ``mode: paper`` trades a fresh sandbox account instead of the connection's. Start it with
    ``POST /bots/{id}/start``."""
    return await BotService(ctx, who.email).create(body)


@router.get("/bots/{bot_id}", response_model=BotDetail, responses=responses(404))
async def get_bot(bot_id: BotId, who: Caller, ctx: Context) -> BotDetail:
    """The bot (state, positions with mark and unrealised PnL, realised PnL, fees), its newest orders and its
    audit trail (``bot.*`` events)."""
    return await BotService(ctx, who.email).get(bot_id)


@router.get("/bots/{bot_id}/orders", response_model=Page[BotOrderView], responses=responses(404))
async def bot_orders(bot_id: BotId, who: Caller, ctx: Context, pages: Pages) -> Page[BotOrderView]:
    items = await BotService(ctx, who.email).orders(bot_id, limit=pages.limit, offset=pages.offset)
    return Page[BotOrderView].of(items, pages)


@router.get("/bots/{bot_id}/events", response_model=Page[BotEventView], responses=responses(404))
async def bot_events(bot_id: BotId, who: Caller, ctx: Context, pages: Pages) -> Page[BotEventView]:
    items = await BotService(ctx, who.email).events(bot_id, limit=pages.limit, offset=pages.offset)
    return Page[BotEventView].of(items, pages)


@router.post("/bots/{bot_id}/start", response_model=BotView, responses=responses(403, 404, 409, 503))
async def start_bot(bot_id: BotId, who: Caller, ctx: Context) -> BotView:
    """draft or paused → running, after re-verifying the connection. Not connected, hedge mode or no balance:
    422 ``/problems/bot-not-ready`` naming the reason (the owner also gets a ``bot.start_refused`` event)."""
    return await BotService(ctx, who.email).start(bot_id)


@router.post("/bots/{bot_id}/pause", response_model=BotView, responses=responses(403, 404, 409))
async def pause_bot(bot_id: BotId, who: Caller, ctx: Context) -> BotView:
    """running → paused: no new order is sent until it is started again."""
    return await BotService(ctx, who.email).pause(bot_id)


@router.post("/bots/{bot_id}/stop", response_model=BotView, responses=responses(403, 404, 409))
async def stop_bot(bot_id: BotId, who: Caller, ctx: Context, body: StopBody = NO_CLOSE) -> BotView:
    """Stop for good (from any state). With ``close_position`` the workers close its positions (the body is
    optional)."""
    return await BotService(ctx, who.email).stop(bot_id, close_position=body.close_position)


@router.delete("/bots/{bot_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(403, 404, 409))
async def delete_bot(bot_id: BotId, who: Caller, ctx: Context) -> Response:
    """Delete a draft or stopped bot with no order in progress (its events stay in GET /events)."""
    await BotService(ctx, who.email).delete(bot_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


__all__ = ["router"]
