"""Pages of "fix it for me": the confirmation page of one offered fix, and applying it after the trader confirms.

What belongs here: the HTML shape of `services.fixes` — GET shows what will change (nothing changes), POST (a form
with the session's CSRF token) applies it and re-verifies, then redirects to the connection page. A fix that is not
offered, or another user's connection, is a "not found" page; the exchange refusing shows its fix and nothing
changes. What does not: which fixes exist or how they are applied (services.fixes).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tradedock.errors import InvalidInputError, NotFoundError, TradeDockError
from tradedock.services.fixes import FixService
from tradedock.web.app import Visitor, checked_form, context, not_found, render, see_other, signed_in

router = APIRouter()


def _not_offered(request: Request, visitor: Visitor) -> Response:
    return not_found(
        request,
        visitor,
        heading="No such fix",
        message="This fix is not offered for a connection in your account (the last check may have changed).",
        fix="Open the connection and re-check it to see what can be fixed.",
    )


@router.get("/connections/{connection_id}/fixes/{fix_id}", response_class=HTMLResponse)
async def confirm_fix(connection_id: str, fix_id: str, request: Request) -> Response:
    visitor = await signed_in(request)
    ctx = context(request)
    service = FixService(ctx, visitor.principal.email)
    try:
        detail = await service.connections.show(connection_id)
        offers = await service.offers(detail.id)
    except NotFoundError:
        return _not_offered(request, visitor)
    fix = next((f for f in offers.fixes if f.id == fix_id), None)
    if fix is None:
        return _not_offered(request, visitor)
    return render(request, "fix.html", visitor, title=f"{fix.title} · TradeDock", c=detail, fix=fix)


@router.post("/connections/{connection_id}/fixes/{fix_id}", response_class=HTMLResponse)
async def apply_fix(connection_id: str, fix_id: str, request: Request) -> Response:
    visitor, _form = await checked_form(request)
    try:
        result = await FixService(context(request), visitor.principal.email).apply(connection_id, fix_id)
    except (NotFoundError, InvalidInputError):
        return _not_offered(request, visitor)
    except TradeDockError as exc:
        return render(
            request,
            "error.html",
            visitor,
            title="Not fixed · TradeDock",
            status_code=409,
            heading="The exchange did not make the change",
            message=exc.message,
            fix=exc.fix,
        )
    return see_other(f"/connections/{result.outcome.connection_id}?done=fixed")
