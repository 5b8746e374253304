"""Bots: "Create bot" from a connection, the list of bots, and a bot's page (orders, position, PnL, events) with
Start, Pause and Stop (optionally closing the position).

What belongs here: the HTML shape of `BotService` create / list / get / start / pause / stop and the form that
builds a `BotRequest` (connection, strategy, symbol, sizing as a fixed quote amount or a percent of the futures
balance, leverage cap, max position, stop conditions, paper or live). Every form carries the session's CSRF token;
errors keep what was typed and name the field. A refused start shows the reason, the failing checks and the fix.
Another user's bot or connection is the same "not found" page as a missing one. What does not: the state machine
or execution (services.bots, services.execution).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from tradedock.errors import BotNotReadyError, InvalidInputError, NotFoundError, TradeDockError
from tradedock.services.bot_views import BotMode, BotRequest, SizingKind
from tradedock.services.bots import STOP_KEYS, BotService
from tradedock.services.connections import ConnectionService
from tradedock.services.strategies import StrategyService
from tradedock.web.app import Visitor, checked_form, context, not_found, render, see_other, signed_in, text

router = APIRouter()

#: The bot form's fields besides the stop conditions (kept on an error; none is a secret).
BOT_FIELDS = (
    "name",
    "strategy_id",
    "symbol",
    "sizing_kind",
    "sizing_value",
    "leverage_cap",
    "max_position_quote",
    "mode",
)
DONE = {"start": "started", "pause": "paused", "stop": "stopped"}
STOP_WORDS = {
    "max_loss_quote": "Stop after losing (USDT)",
    "max_loss_pct": "Stop after losing (% of the position)",
    "take_profit_quote": "Take profit at (USDT)",
    "take_profit_pct": "Take profit at (% of the position)",
}


def _missing(request: Request, visitor: Visitor, what: str = "bot") -> Response:
    return not_found(
        request,
        visitor,
        heading=f"No such {what}",
        message=f"There is no {what} with this id in your account.",
        fix="Open My Exchanges or My bots to see yours.",
    )


def _decimal(value: str, field: str) -> Decimal | None:
    if not value:
        return None
    try:
        return Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise InvalidInputError(field, f"{value!r} is not a number", fix="e.g. 100 or 2.5.") from None


def _choice(kind: type[SizingKind] | type[BotMode], field: str, value: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(m.value for m in kind)
        raise InvalidInputError(field, f"{value!r} is not a choice", fix=f"Choose one of: {names}.") from None


def bot_request(form: FormData, connection_id: str) -> BotRequest:
    """The `BotRequest` a form describes; a value that is not a number or a choice names its field."""
    sizing = _decimal(text(form, "sizing_value"), "sizing_value")
    if sizing is None:
        raise InvalidInputError("sizing_value", "give the size of a position", fix="e.g. 100 (USDT) or 10 (%).")
    stops = {key: amount for key in STOP_KEYS if (amount := _decimal(text(form, key), f"stops.{key}")) is not None}
    return BotRequest(
        name=text(form, "name"),
        connection_id=connection_id,
        strategy_id=text(form, "strategy_id"),
        symbols=[text(form, "symbol")] if text(form, "symbol") else [],
        sizing_kind=_choice(SizingKind, "sizing_kind", text(form, "sizing_kind")),
        sizing_value=sizing,
        leverage_cap=_decimal(text(form, "leverage_cap"), "leverage_cap"),
        max_position_quote=_decimal(text(form, "max_position_quote"), "max_position_quote"),
        stops=stops,
        mode=_choice(BotMode, "mode", text(form, "mode")),
    )


async def _new_bot_page(
    request: Request, visitor: Visitor, connection_id: str, *, status_code: int = 200, **values: Any
) -> Response:
    ctx = context(request)
    try:
        connection = await ConnectionService(ctx, visitor.principal.email).show(connection_id)
    except NotFoundError:
        return _missing(request, visitor, "connection")
    strategies = await StrategyService(ctx, visitor.principal.email).list()
    typed: dict[str, str] = {
        "name": f"Bot on {connection.label}"[:100],
        "strategy_id": strategies[0].id if strategies else "",
        "symbol": "BTCUSDT",
        "sizing_kind": SizingKind.FIXED_QUOTE.value,
        "sizing_value": "100",
        "leverage_cap": "",
        "max_position_quote": "",
        "mode": BotMode.PAPER.value,
        **{key: "" for key in STOP_KEYS},
    }
    typed.update(values.pop("typed", {}))
    values.setdefault("error", None)
    return render(
        request,
        "bot_new.html",
        visitor,
        title=f"Create a bot · {connection.label} · TradeDock",
        c=connection,
        strategies=strategies,
        typed=typed,
        stop_words=STOP_WORDS,
        status_code=status_code,
        **values,
    )


@router.get("/connections/{connection_id}/bots/new", response_class=HTMLResponse)
async def new_bot(connection_id: str, request: Request) -> Response:
    return await _new_bot_page(request, await signed_in(request), connection_id)


@router.post("/connections/{connection_id}/bots/new", response_class=HTMLResponse)
async def create_bot(connection_id: str, request: Request) -> Response:
    visitor, form = await checked_form(request)
    typed = {name: text(form, name) for name in (*BOT_FIELDS, *STOP_KEYS)}
    try:
        created = await BotService(context(request), visitor.principal.email).create(bot_request(form, connection_id))
    except NotFoundError:
        return _missing(request, visitor, "connection")
    except TradeDockError as exc:
        field = exc.field if isinstance(exc, InvalidInputError) else "connection_id"
        error = (field.replace("symbols", "symbol"), exc.message, exc.fix)
        return await _new_bot_page(request, visitor, connection_id, status_code=422, typed=typed, error=error)
    return see_other(f"/bots/{created.id}?done=created")


@router.get("/bots", response_class=HTMLResponse)
async def bots(request: Request) -> Response:
    visitor = await signed_in(request)
    ctx = context(request)
    listed = await BotService(ctx, visitor.principal.email).list()
    labels = {c.id: c.label for c in await ConnectionService(ctx, visitor.principal.email).list()}
    return render(request, "bots.html", visitor, title="My bots · TradeDock", bots=listed, labels=labels)


async def _bot_page(
    request: Request, visitor: Visitor, bot_id: str, *, status_code: int = 200, **values: Any
) -> Response:
    ctx = context(request)
    try:
        detail = await BotService(ctx, visitor.principal.email).get(bot_id)
    except NotFoundError:
        return _missing(request, visitor)
    bot = detail.bot
    labels = {c.id: c.label for c in await ConnectionService(ctx, visitor.principal.email).list()}
    strategy_name = None
    if bot.strategy_id:
        try:
            strategy_name = (await StrategyService(ctx, visitor.principal.email).get(bot.strategy_id)).name
        except NotFoundError:
            strategy_name = None
    unrealised = sum((p.unrealised_pnl or Decimal(0) for p in bot.positions), Decimal(0))
    values.setdefault("error", None)
    values.setdefault("done", "")
    return render(
        request,
        "bot.html",
        visitor,
        title=f"{bot.name} · TradeDock",
        d=detail,
        b=bot,
        labels=labels,
        strategy_name=strategy_name,
        unrealised=unrealised,
        stop_words=STOP_WORDS,
        status_code=status_code,
        **values,
    )


@router.get("/bots/{bot_id}", response_class=HTMLResponse)
async def bot(bot_id: str, request: Request, done: str = "") -> Response:
    visitor = await signed_in(request)
    return await _bot_page(request, visitor, bot_id, done=done if done in ("created", *DONE.values()) else "")


@router.post("/bots/{bot_id}/{action}", response_class=HTMLResponse)
async def act(bot_id: str, action: str, request: Request) -> Response:
    visitor, form = await checked_form(request)
    service = BotService(context(request), visitor.principal.email)
    try:
        if action == "start":
            view = await service.start(bot_id)
        elif action == "pause":
            view = await service.pause(bot_id)
        elif action == "stop":
            view = await service.stop(bot_id, close_position=form.get("close_position") == "yes")
        else:
            return _missing(request, visitor)
    except NotFoundError:
        return _missing(request, visitor)
    except BotNotReadyError as exc:
        problems = "; ".join(exc.problems)
        message = exc.message + (f" ({problems})" if problems else "")
        return await _bot_page(request, visitor, bot_id, status_code=409, error=(exc.reason, message, exc.fix))
    except TradeDockError as exc:
        return await _bot_page(request, visitor, bot_id, status_code=409, error=("state", exc.message, exc.fix))
    return see_other(f"/bots/{view.id}?done={DONE[action]}")
