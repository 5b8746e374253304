"""The operator's pages: health, users, egress IPs and policy — operators only (a 403 page for anyone else).

What belongs here: the HTML shape of `services.health`, `AccountService.list_users` / `create_user`, and a
read-only view of the settings that are the platform's policy (each with the variable that changes it). Users can be
listed and created (an e-mail, a first password typed by the operator — never shown back — and the operator role);
the services have no way yet to disable a user or change a role, so neither is offered. What does not: the rules of
accounts (services) or the trader's own pages.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tradedock.errors import InvalidInputError, TradeDockError
from tradedock.services.accounts import AccountService
from tradedock.services.catalog import catalog
from tradedock.services.health import HealthService
from tradedock.web.app import Visitor, checked_form, context, render, see_other, signed_in, text

router = APIRouter()


class NotOperator(Exception):
    """A signed-in user who is not an operator asked for an operator's page."""


def _operator(visitor: Visitor) -> Visitor:
    if not visitor.principal.is_operator:
        raise NotOperator
    return visitor


async def operator_visitor(request: Request) -> Visitor:
    return _operator(await signed_in(request))


async def not_operator(request: Request, _exc: Exception) -> Response:
    return render(
        request,
        "error.html",
        await signed_in(request),
        title="Not allowed · TradeDock",
        status_code=403,
        heading="Only an operator can see this",
        message="This page is for the operator of this TradeDock.",
        fix="Ask the operator if you need to know.",
    )


@router.get("/operator/health", response_class=HTMLResponse)
async def health(request: Request) -> Response:
    visitor = await operator_visitor(request)
    service: HealthService = request.app.state.api.health
    view = await service.view()
    return render(
        request,
        "health.html",
        visitor,
        title="Health · TradeDock",
        section="health",
        health=view.model_dump(mode="json"),
    )


# --- users -------------------------------------------------------------------------------------------------


async def _users_page(request: Request, visitor: Visitor, **values: Any) -> Response:
    ctx = context(request)
    async with ctx.reading() as session:
        users = await AccountService(session, ctx.clock).list_users(visitor.principal, limit=500, offset=0)
    values.setdefault("error", None)
    created_id = values.pop("created_id", "")
    values["created"] = next((u for u in users if created_id and u.id == created_id), None)
    values.setdefault("typed", {"email": "", "operator": False})
    status_code = int(values.pop("status_code", 200))
    return render(
        request,
        "operator_users.html",
        visitor,
        title="Users · TradeDock",
        section="users",
        users=users,
        status_code=status_code,
        **values,
    )


@router.get("/operator/users", response_class=HTMLResponse)
async def users(request: Request, created: str = "") -> Response:
    return await _users_page(request, await operator_visitor(request), created_id=created[:64])


@router.post("/operator/users", response_class=HTMLResponse)
async def create_user(request: Request) -> Response:
    visitor, form = await checked_form(request)
    _operator(visitor)
    ctx = context(request)
    email = text(form, "email")
    password = form.get("password")
    make_operator = form.get("operator") == "yes"
    try:
        if not isinstance(password, str) or not password:
            raise InvalidInputError("password", "enter a first password for the user", fix="Tell it to them privately.")
        if not email:
            raise InvalidInputError("email", "enter the user's e-mail address", fix="It is their sign-in name.")
        async with ctx.transaction() as session:
            created = await AccountService(session, ctx.clock).create_user(email, password, is_operator=make_operator)
    except TradeDockError as exc:
        field = exc.field if isinstance(exc, InvalidInputError) else "email"
        return await _users_page(
            request,
            visitor,
            status_code=422,
            typed={"email": email, "operator": make_operator},
            error=(field, exc.message, exc.fix),
        )
    return see_other(f"/operator/users?created={created.id}")


# --- egress IPs and policy -----------------------------------------------------------------------------------


@router.get("/operator/egress", response_class=HTMLResponse)
async def egress(request: Request) -> Response:
    visitor = await operator_visitor(request)
    ips = list(context(request).settings.egress_ips)
    return render(request, "operator_egress.html", visitor, title="Egress IPs · TradeDock", section="egress", ips=ips)


@router.get("/operator/policy", response_class=HTMLResponse)
async def policy(request: Request) -> Response:
    visitor = await operator_visitor(request)
    ctx = context(request)
    s = ctx.settings
    rules: list[tuple[str, str, str]] = [
        ("Withdraw permission on a key", f"{s.withdraw_policy.value} the check", "TRADEDOCK_WITHDRAW_POLICY"),
        ("Transfer permission on a key", f"{s.transfer_policy.value} the check", "TRADEDOCK_TRANSFER_POLICY"),
        ("Warn about a key expiring within", f"{s.expiry_warn_days} days", "TRADEDOCK_EXPIRY_WARN_DAYS"),
        ("Warn about a clock off by more than", f"{s.clock_warn_ms} ms", "TRADEDOCK_CLOCK_WARN_MS"),
        ("Open sign-up", "yes" if s.open_signup else "no", "TRADEDOCK_OPEN_SIGNUP"),
        ("Secure cookies (HTTPS only)", "yes" if s.secure_cookies else "no", "TRADEDOCK_SECURE_COOKIES"),
        (
            "Re-check every connection every",
            f"{s.monitor_interval_s:g} s (± {s.monitor_jitter:.0%})",
            "TRADEDOCK_MONITOR_INTERVAL_S",
        ),
        ("Webhook attempts before giving up", str(s.webhook_max_attempts), "TRADEDOCK_WEBHOOK_MAX_ATTEMPTS"),
        ("Disable a webhook after failures in a row", str(s.webhook_disable_after), "TRADEDOCK_WEBHOOK_DISABLE_AFTER"),
    ]
    minimums = [
        (e.name, e.requirements.minimum_futures_balance_usd, e.requirements.position_mode) for e in catalog(ctx)
    ]
    return render(
        request,
        "operator_policy.html",
        visitor,
        title="Policy · TradeDock",
        section="policy",
        rules=rules,
        minimums=minimums,
        overridden=sorted(s.balance_minimums),
    )


def install_handlers(app: Any) -> None:
    app.add_exception_handler(NotOperator, not_operator)


__all__ = ["install_handlers", "router"]
