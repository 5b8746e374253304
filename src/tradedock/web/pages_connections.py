"""Pages of connections: My Exchanges, one connection (report, history, balances, key facts), Re-check, Replace
key and Remove.

What belongs here: the HTML shape of `ConnectionService` list / show / check / replace / remove / balances and
`services.history`. Replace uses the connect form's fields; the old key stays untouched unless the new one passes
(the service's rule). Re-check and Replace from the dashboard's own forms stream the live report (web/live.py).
Remove asks for confirmation and reminds the trader to delete the key on the exchange.
Another user's connection is the same "not found" page as a missing one. What does not: rules (services).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tradedock.clock import Clock
from tradedock.errors import AccountChangedError, NotFoundError, TradeDockError
from tradedock.services.catalog import exchange_view
from tradedock.services.connections import ConnectionService, parse_exchange
from tradedock.services.fixes import fix_offers
from tradedock.services.history import connection_history
from tradedock.services.views import STATUS_ORDER, BalancesView, ConnectionDetail, Outcome
from tradedock.services.webhooks import WebhookService
from tradedock.web.app import Visitor, checked_form, context, not_found, render, see_other, signed_in
from tradedock.web.live import LiveRun, stream_page
from tradedock.web.pages_connect import credentials_from, error_of, kept, wants_live
from tradedock.web.present import expiry_words, needs_action

router = APIRouter()


def _now(request: Request) -> Clock:
    return context(request).clock


@router.get("/", response_class=HTMLResponse)
async def my_exchanges(request: Request, status: str = "", removed: str = "") -> Response:
    visitor = await signed_in(request)
    connections = await ConnectionService(context(request), visitor.principal.email).list()
    now = _now(request).now()
    warn_days = context(request).settings.expiry_warn_days
    attention = [(c, reason) for c in connections if (reason := needs_action(c, now, warn_days)) is not None]
    statuses = [s.value for s in STATUS_ORDER]
    shown = [c for c in connections if not status or c.status.value == status]
    return render(
        request,
        "exchanges.html",
        visitor,
        title="My Exchanges · TradeDock",
        connections=shown,
        total=len(connections),
        attention=attention,
        statuses=statuses,
        status=status if status in statuses else "",
        removed=removed[:64],
        expiry={c.id: expiry_words(c.key_expires_at, now) for c in connections},
    )


def _missing(request: Request, visitor: Visitor) -> Response:
    return not_found(
        request,
        visitor,
        heading="No such connection",
        message="There is no connection with this id in your account.",
        fix="Open My Exchanges to see yours.",
    )


async def _page(
    request: Request, visitor: Visitor, connection_id: str, *, report: Outcome | None = None, done: str = ""
) -> Response:
    ctx = context(request)
    service = ConnectionService(ctx, visitor.principal.email)
    try:
        detail: ConnectionDetail = await service.show(connection_id)
        runs = await connection_history(ctx, visitor.principal.email, detail.id, limit=20, offset=0)
    except NotFoundError:
        return _missing(request, visitor)
    async with ctx.reading() as session:
        events = await WebhookService(session, ctx.clock, ctx.vault, visitor.principal.user_id).list_events(
            limit=200, offset=0
        )
    balances: BalancesView | None = None
    balance_error: str | None = None
    try:
        balances = await service.balances(detail.id)
    except TradeDockError as exc:
        balance_error = exc.message
    last_checks = [check.to_json() for check in detail.last_report.checks] if detail.last_report else []
    return render(
        request,
        "connection.html",
        visitor,
        title=f"{detail.label} · TradeDock",
        c=detail,
        runs=runs,
        events=[e for e in events if e.connection_id == detail.id][:20],
        balances=balances,
        balance_error=balance_error,
        report=report,
        done=done,
        fixes=fix_offers(detail.exchange, last_checks),
        expiry=expiry_words(detail.key_expires_at, ctx.clock.now()),
    )


@router.get("/connections/{connection_id}", response_class=HTMLResponse)
async def connection(connection_id: str, request: Request, done: str = "") -> Response:
    visitor = await signed_in(request)
    return await _page(request, visitor, connection_id, done=done if done in ("connected", "replaced", "fixed") else "")


@router.post("/connections/{connection_id}/check", response_class=HTMLResponse)
async def recheck(connection_id: str, request: Request) -> Response:
    visitor, form = await checked_form(request)
    service = ConnectionService(context(request), visitor.principal.email)
    try:
        if wants_live(form):
            detail = await service.show(connection_id)
            run = LiveRun(lambda told: service.check(detail.id, on_check=told))
            outcome = await run.first()
            if outcome is None:
                return stream_page(
                    request,
                    "check_live.html",
                    run,
                    visitor=visitor,
                    title=f"Re-check {detail.label} · TradeDock",
                    c=detail,
                    exchange_name=exchange_view(context(request), parse_exchange(detail.exchange)).name,
                    problem=error_of,
                )
        else:
            outcome = await service.check(connection_id)
    except NotFoundError:
        return _missing(request, visitor)
    except TradeDockError as exc:
        return render(
            request,
            "error.html",
            visitor,
            title="Not checked · TradeDock",
            status_code=409,
            heading="The check did not run",
            message=exc.message,
            fix=exc.fix,
        )
    return await _page(request, visitor, connection_id, report=outcome)


async def _replace_page(request: Request, visitor: Visitor, connection_id: str, **values: Any) -> Response:
    ctx = context(request)
    try:
        detail = await ConnectionService(ctx, visitor.principal.email).show(connection_id)
    except NotFoundError:
        return _missing(request, visitor)
    exchange = exchange_view(ctx, parse_exchange(detail.exchange))
    values.setdefault("typed", {})
    values.setdefault("error", None)
    values.setdefault("report", None)
    values.setdefault("account_changed", False)
    status_code = int(str(values.pop("status_code", 200)))
    return render(
        request,
        "replace.html",
        visitor,
        title=f"Replace key · {detail.label} · TradeDock",
        c=detail,
        exchange=exchange,
        status_code=status_code,
        **values,
    )


@router.get("/connections/{connection_id}/replace", response_class=HTMLResponse)
async def replace_form(connection_id: str, request: Request) -> Response:
    visitor = await signed_in(request)
    return await _replace_page(request, visitor, connection_id)


@router.post("/connections/{connection_id}/replace", response_class=HTMLResponse)
async def replace(connection_id: str, request: Request) -> Response:
    visitor, form = await checked_form(request)
    ctx = context(request)
    service = ConnectionService(ctx, visitor.principal.email)
    try:
        detail = await service.show(connection_id)
    except NotFoundError:
        return _missing(request, visitor)
    exchange = exchange_view(ctx, parse_exchange(detail.exchange))
    typed = kept(form, exchange)
    allow = form.get("allow_account_change") == "yes"
    new_key = credentials_from(form, exchange)
    try:
        if wants_live(form):
            run = LiveRun(lambda told: service.replace(detail.id, new_key, allow_account_change=allow, on_check=told))
            outcome = await run.first()
            if outcome is None:
                return stream_page(
                    request,
                    "replace_live.html",
                    run,
                    visitor=visitor,
                    title=f"Replace key · {detail.label} · TradeDock",
                    c=detail,
                    exchange=exchange,
                    exchange_name=exchange.name,
                    typed=typed,
                    problem=_replace_problem,
                    is_account_change=lambda exc: isinstance(exc, AccountChangedError),
                )
        else:
            outcome = await service.replace(detail.id, new_key, allow_account_change=allow)
    except AccountChangedError as exc:
        return await _replace_page(
            request,
            visitor,
            detail.id,
            typed=typed,
            status_code=409,
            account_changed=True,
            error=_replace_problem(exc),
        )
    except TradeDockError as exc:
        return await _replace_page(request, visitor, detail.id, typed=typed, status_code=422, error=error_of(exc))
    if not outcome.stored:
        return await _replace_page(request, visitor, detail.id, typed=typed, status_code=422, report=outcome)
    return see_other(f"/connections/{detail.id}?done=replaced")


def _replace_problem(exc: TradeDockError) -> tuple[str, str, str | None]:
    if isinstance(exc, AccountChangedError):
        return ("allow_account_change", exc.message, exc.fix)
    return error_of(exc)


@router.get("/connections/{connection_id}/remove", response_class=HTMLResponse)
async def remove_form(connection_id: str, request: Request) -> Response:
    visitor = await signed_in(request)
    try:
        detail = await ConnectionService(context(request), visitor.principal.email).show(connection_id)
    except NotFoundError:
        return _missing(request, visitor)
    return render(request, "remove.html", visitor, title=f"Remove {detail.label} · TradeDock", c=detail)


@router.post("/connections/{connection_id}/remove")
async def remove(connection_id: str, request: Request) -> Response:
    visitor, _form = await checked_form(request)
    try:
        removed = await ConnectionService(context(request), visitor.principal.email).remove(connection_id)
    except NotFoundError:
        return _missing(request, visitor)
    return see_other(f"/?removed={removed.removed.exchange}")
