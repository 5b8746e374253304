"""Routes for "fix it for me": the fixes a connection's last verification offers, and applying one on request.

What belongs here: the HTTP shape of `services.fixes` — ``GET .../fixes`` lists the offers (nothing changes), and
``POST .../fixes/{fix_id}`` applies one only because the client asked for it explicitly, then re-verifies and
answers with the new status and the full report. An unknown or no longer offered fix is a 422 problem naming
``fix_id``; the exchange refusing (open positions) is a 422 problem with the exchange's fix, and nothing changes.
Connections are found by owner, so another user's connection is a 404 exactly like a missing one. What does not:
which fixes exist or how they are applied (services.fixes).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict

from tradedock.api.deps import Caller, Context
from tradedock.api.problems import responses
from tradedock.api.routes_connections import ConnectionId
from tradedock.domain import ConnectionStatus
from tradedock.errors import InvalidInputError
from tradedock.services.fixes import FixOffersView, FixService
from tradedock.services.views import FixOfferView, Outcome

router = APIRouter(tags=["fixes"])

FixId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        description="A fix id from `GET /connections/{connection_id}/fixes`.",
        examples=["position_mode.one_way"],
    ),
]


class FixAnswer(BaseModel):
    """The answer of applying a fix: what was changed, then the re-verification (status and full report)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "connection_id": "6f1c2d3e-0000-4000-8000-000000000000",
                "status": "connected",
                "applied": {
                    "id": "position_mode.one_way",
                    "check": "position.mode",
                    "title": "Switch Bybit futures from hedge mode to one-way mode",
                    "detail": "TradeDock asks Bybit to change the position mode with this key.",
                },
                "report": {"status": "connected", "checks": ["..."]},
            }
        }
    )

    connection_id: str | None
    status: ConnectionStatus
    applied: FixOfferView
    report: Outcome


@router.get("/connections/{connection_id}/fixes", response_model=FixOffersView, responses=responses(404))
async def list_fixes(connection_id: ConnectionId, who: Caller, ctx: Context) -> FixOffersView:
    """The fixes the connection's last verification offers (empty when none). Nothing is changed."""
    return await FixService(ctx, who.email).offers(connection_id)


@router.post(
    "/connections/{connection_id}/fixes/{fix_id}",
    response_model=FixAnswer,
    responses=responses(403, 404, 409, 503),
)
async def apply_fix(connection_id: ConnectionId, fix_id: FixId, who: Caller, ctx: Context) -> FixAnswer:
    """Apply one offered fix with the connection's key, then re-verify. The exchange refusing (for example while
    positions are open) is a 422 problem with its fix, and nothing changes."""
    try:
        result = await FixService(ctx, who.email).apply(connection_id, fix_id)
    except InvalidInputError as error:
        if error.field != "fix":
            raise
        raise InvalidInputError(
            "fix_id",
            str(error),
            fix=f"Re-verify with POST /api/v1/connections/{connection_id}/check, then pick an id from "
            f"GET /api/v1/connections/{connection_id}/fixes.",
        ) from None
    outcome = result.outcome
    return FixAnswer(connection_id=outcome.connection_id, status=outcome.status, applied=result.applied, report=outcome)


__all__ = ["router"]
