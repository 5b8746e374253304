"""The connect wizard: pick an exchange, follow its guide (with the platform IPs to copy), fill in its own
fields, and read the verification report.

What belongs here: the HTML shape of `services.catalog` (the same guide as ``tradedock guide``) and
`ConnectionService.connect`. Secret fields are password inputs, trimmed, never echoed back into a page and never
put in a URL (the form posts its body). The wizard's form asks for the live report (``live=1``): the answer is
streamed check by check as the checks finish, then the verdict, then a link to the stored connection or the form
again (web/live.py). Without ``live`` a refused key answers 422 with the report and the form again and a stored one
redirects to its connection page. Either way an error keeps what the user typed except the secrets and names the
field. Also the helpers shared with Replace key. What does not: rules (services) or the connection page
(pages_connections).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from tradedock.domain import ContractType, Environment, MarginMode, PositionMode, Scope
from tradedock.errors import InvalidInputError, TradeDockError
from tradedock.services.catalog import ExchangeView, catalog, exchange_view
from tradedock.services.connections import ConnectionService, ConnectRequest, parse_exchange
from tradedock.services.views import Outcome
from tradedock.web.app import Visitor, checked_form, context, not_found, render, see_other, signed_in, text
from tradedock.web.live import LiveRun, stream_page

router = APIRouter()
E = TypeVar("E", Environment, Scope, ContractType, PositionMode, MarginMode)

#: The fields of the wizard's form besides the exchange's own credentials (kept on an error).
PLAIN_FIELDS = ("environment", "scope", "contract", "label", "position_mode", "margin_mode")
#: The choice that leaves a mode to the exchange ("Auto sync from exchange", the default).
AUTO = "auto"


def credentials_from(form: FormData, exchange: ExchangeView) -> dict[str, str]:
    """The exchange's own fields from a form, trimmed; empty ones left out (the service names what is missing)."""
    out: dict[str, str] = {}
    for field in exchange.credential_fields:
        value = text(form, field.name)
        if value:
            out[field.name] = value
    return out


def kept(form: FormData, exchange: ExchangeView) -> dict[str, str]:
    """What to put back into the form after an error: everything typed except the secrets — also where a secret
    was pasted into a plain field (a label holding the secret key is refused, and must not be shown either)."""
    secret = {f.name for f in exchange.credential_fields if f.secret}
    secrets = [value for name in secret if len(value := text(form, name)) >= 4]
    names = [*PLAIN_FIELDS, *(f.name for f in exchange.credential_fields if f.name not in secret)]
    typed = {name: text(form, name) for name in names}
    return {name: "" if any(s in value for s in secrets) else value for name, value in typed.items()}


def wants_live(form: FormData) -> bool:
    """The dashboard's own forms ask for the live report; other clients get the plain answer (303 / 422)."""
    return text(form, "live") == "1"


def error_of(exc: TradeDockError) -> tuple[str, str, str | None]:
    field = exc.field if isinstance(exc, InvalidInputError) else "credentials"
    return (field, exc.message, exc.fix)


def _default_environment(exchange: ExchangeView) -> str:
    available = [e.id for e in exchange.environments if e.available]
    return available[0] if available else Environment.LIVE.value


def _with_defaults(exchange: ExchangeView, typed: Mapping[str, str] | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "environment": _default_environment(exchange),
        "scope": exchange.default_scope,
        "contract": exchange.default_contract or "",
        "label": "",
        "position_mode": AUTO,
        "margin_mode": AUTO,
    }
    values.update(typed or {})
    return values


def wizard(
    request: Request,
    visitor: Visitor,
    exchange: ExchangeView,
    *,
    typed: Mapping[str, str] | None = None,
    error: tuple[str, str, str | None] | None = None,
    report: Outcome | None = None,
    status_code: int = 200,
) -> Response:
    values = _with_defaults(exchange, typed)
    return render(
        request,
        "connect_exchange.html",
        visitor,
        title=f"Connect {exchange.name} · TradeDock",
        exchange=exchange,
        typed=values,
        error=error,
        report=report,
        status_code=status_code,
    )


@router.get("/connect", response_class=HTMLResponse)
async def choose(request: Request) -> Response:
    visitor = await signed_in(request)
    return render(
        request, "connect.html", visitor, title="Connect an exchange · TradeDock", exchanges=catalog(context(request))
    )


def _exchange(request: Request, name: str) -> ExchangeView | None:
    try:
        return exchange_view(context(request), parse_exchange(name))
    except InvalidInputError:
        return None


def _not_found(request: Request, visitor: Visitor) -> Response:
    return not_found(
        request,
        visitor,
        heading="No such exchange",
        message="TradeDock does not connect this exchange.",
        fix="Pick one on the Connect page.",
    )


@router.get("/connect/{name}", response_class=HTMLResponse)
async def guide(name: str, request: Request) -> Response:
    visitor = await signed_in(request)
    exchange = _exchange(request, name)
    if exchange is None:
        return _not_found(request, visitor)
    return wizard(request, visitor, exchange)


@router.post("/connect/{name}", response_class=HTMLResponse)
async def connect(name: str, request: Request) -> Response:
    visitor, form = await checked_form(request)
    exchange = _exchange(request, name)
    if exchange is None:
        return _not_found(request, visitor)
    typed = kept(form, exchange)
    try:
        connect_request = ConnectRequest(
            exchange=parse_exchange(exchange.id),
            environment=_choice(Environment, "environment", typed["environment"]),
            scope=_choice(Scope, "scope", typed["scope"]),
            contract=_choice(ContractType, "contract", typed["contract"]) if typed["contract"] else None,
            label=typed["label"] or None,
            credentials=credentials_from(form, exchange),
            position_mode=_auto_or(PositionMode, "position_mode", typed["position_mode"]),
            margin_mode=_auto_or(MarginMode, "margin_mode", typed["margin_mode"]),
        )
        if connect_request.scope is Scope.SPOT:
            spot = {"contract": None, "position_mode": None, "margin_mode": None}
            connect_request = ConnectRequest(**{**connect_request.__dict__, **spot})
        service = ConnectionService(context(request), visitor.principal.email)
        if wants_live(form):
            run = LiveRun(lambda told: service.connect(connect_request, on_check=told))
            outcome = await run.first()
            if outcome is None:
                return stream_page(
                    request,
                    "connect_live.html",
                    run,
                    visitor=visitor,
                    title=f"Connect {exchange.name} · TradeDock",
                    exchange=exchange,
                    exchange_name=exchange.name,
                    typed=_with_defaults(exchange, typed),
                    problem=error_of,
                    report=None,
                )
        else:
            outcome = await service.connect(connect_request)
    except TradeDockError as exc:
        return wizard(request, visitor, exchange, typed=typed, error=error_of(exc), status_code=422)
    if not outcome.stored or outcome.connection_id is None:
        return wizard(request, visitor, exchange, typed=typed, report=outcome, status_code=422)
    return see_other(f"/connections/{outcome.connection_id}?done=connected")


def _choice(kind: type[E], field: str, value: str) -> E:
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(member.value for member in kind)
        raise InvalidInputError(field, f"{value!r} is not a {field}", fix=f"Choose one of: {names}.") from None


def _auto_or(kind: type[E], field: str, value: str) -> E | None:
    """None for "auto" (or nothing chosen): auto sync from the exchange; else the chosen mode."""
    return None if value in ("", AUTO) else _choice(kind, field, value)
