"""The strategies catalog: the user's own strategies and the ones operators published, and creating one.

What belongs here: the HTML shape of `StrategyService` list / create_webhook / create_builtin / publish and of
the built-in catalog (`services.builtin_strategies.builtin_catalog`). A webhook strategy's signal secret is shown
once, on the page that answers its creation, with the URL and a TradingView-style body to post; only its first
characters are listed afterwards. A built-in strategy is created with its own parameters (one form per built-in,
no JavaScript). What does not: rules of strategies or signals (services).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tradedock.errors import InvalidInputError, TradeDockError
from tradedock.services.builtin_strategies import builtin_catalog
from tradedock.services.strategies import StrategyService
from tradedock.web.app import Visitor, checked_form, context, not_found, render, see_other, signed_in, text

router = APIRouter()


def _field_of(exc: TradeDockError, default: str) -> str:
    return exc.field if isinstance(exc, InvalidInputError) else default


async def strategies_page(request: Request, visitor: Visitor, *, status_code: int = 200, **values: Any) -> Response:
    strategies = await StrategyService(context(request), visitor.principal.email).list()
    values.setdefault("error", None)
    values.setdefault("created", None)
    values.setdefault("typed", {})
    values.setdefault("form", "")
    created_id = values.pop("created_id", "")
    if created_id and values["created"] is None:
        values["created_builtin"] = next((s for s in strategies if s.id == created_id), None)
    values.setdefault("created_builtin", None)
    return render(
        request,
        "strategies.html",
        visitor,
        title="Strategies · TradeDock",
        strategies=strategies,
        builtins=builtin_catalog(),
        base_url=str(request.base_url).rstrip("/"),
        status_code=status_code,
        **values,
    )


@router.get("/strategies", response_class=HTMLResponse)
async def strategies(request: Request, created: str = "") -> Response:
    visitor = await signed_in(request)
    return await strategies_page(request, visitor, created_id=created[:64])


@router.post("/strategies/webhook", response_class=HTMLResponse)
async def create_webhook(request: Request) -> Response:
    visitor, form = await checked_form(request)
    typed = {"name": text(form, "name"), "description": text(form, "description"), "max_age": text(form, "max_age")}
    try:
        max_age = _integer(typed["max_age"] or "60", "max_signal_age_s")
        created = await StrategyService(context(request), visitor.principal.email).create_webhook(
            typed["name"], description=typed["description"], max_signal_age_s=max_age
        )
    except TradeDockError as exc:
        error = (_field_of(exc, "name"), exc.message, exc.fix)
        return await strategies_page(request, visitor, status_code=422, typed=typed, error=error, form="webhook")
    return await strategies_page(request, visitor, created=created)


@router.post("/strategies/builtin/{builtin}", response_class=HTMLResponse)
async def create_builtin(builtin: str, request: Request) -> Response:
    visitor, form = await checked_form(request)
    chosen = next((b for b in builtin_catalog() if b.name == builtin), None)
    if chosen is None:
        return not_found(
            request,
            visitor,
            heading="No such built-in strategy",
            message="TradeDock has no built-in strategy by this name.",
            fix="Pick one on the Strategies page.",
        )
    params = {p.name: value for p in chosen.params if (value := text(form, f"{builtin}.{p.name}"))}
    typed = {"name": text(form, "name"), "description": text(form, "description"), **params}
    try:
        view = await StrategyService(context(request), visitor.principal.email).create_builtin(
            typed["name"], builtin, params, description=typed["description"]
        )
    except TradeDockError as exc:
        error = (_field_of(exc, "params"), exc.message, exc.fix)
        return await strategies_page(request, visitor, status_code=422, typed=typed, error=error, form=builtin)
    return see_other(f"/strategies?created={view.id}")


@router.post("/strategies/{strategy_id}/publish", response_class=HTMLResponse)
async def publish(strategy_id: str, request: Request) -> Response:
    visitor, form = await checked_form(request)
    public = text(form, "public") != "no"
    try:
        await StrategyService(context(request), visitor.principal.email).publish(strategy_id, public=public)
    except TradeDockError as exc:
        return await strategies_page(request, visitor, status_code=403, error=("strategy", exc.message, exc.fix))
    return see_other("/strategies")


def _integer(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInputError(field, f"{value!r} is not a whole number", fix="e.g. 60 (seconds).") from None
