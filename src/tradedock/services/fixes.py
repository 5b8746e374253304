"""Fix it for me: settings a failed check names that the connected key may change itself, offered in the report
and applied on request (`tradedock fix ID`, later the API and dashboard), then re-verified.

What belongs here: which failed checks have a fix (`fix_offers`, a pure function of a report's checks), and
`FixService.apply`, which changes the setting through the exchange's `TradingAdapter` and re-verifies. What does
not: anything needing withdraw or transfer permission (never offered), or how a shell asks for confirmation.

A fix is offered only when (a) the exchange's adapter trades (`Capabilities.trading`), (b) the check failed on a
setting, and (c) ``permissions.required`` passed, i.e. the key may trade futures (the settings calls need it).
The exchange may still refuse (Bybit will not switch position mode while positions or orders are open): that
refusal is the answer, with the exchange's own fix, and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tradedock.domain import ConnectionStatus, ContractType, PositionMode
from tradedock.errors import InvalidInputError, TimestampRejectedError, UnexpectedResponseError
from tradedock.exchanges.base import TradingAdapter
from tradedock.exchanges.registry import get_spec
from tradedock.services import records
from tradedock.services.connections import ConnectionService
from tradedock.services.context import AppContext
from tradedock.services.views import FixOfferView, Outcome, View

Apply = Callable[[TradingAdapter, ContractType], Awaitable[None]]

POSITION_WORDS = {PositionMode.ONE_WAY: "one-way mode", PositionMode.HEDGE: "hedge mode"}


@dataclass(frozen=True)
class FixOffer:
    """One change TradeDock can make with the connected key. ``id`` is what `tradedock fix ID --fix` takes."""

    id: str
    check: str
    title: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "check": self.check, "title": self.title, "detail": self.detail}


def _position_mode(mode: PositionMode) -> Apply:
    async def apply(adapter: TradingAdapter, contract: ContractType) -> None:
        await adapter.set_position_mode(mode, contract)

    return apply


def _passed(checks: Iterable[Mapping[str, Any]], check_id: str) -> bool:
    return any(c.get("id") == check_id and c.get("outcome") == "pass" for c in checks)


def _offer_and_action(exchange: str, checks: Sequence[Mapping[str, Any]]) -> list[tuple[FixOffer, Apply]]:
    try:
        spec = get_spec(exchange)
    except KeyError:
        return []
    if not spec.capabilities.trading or not _passed(checks, "permissions.required"):
        return []
    found: list[tuple[FixOffer, Apply]] = []
    for check in checks:
        evidence = check.get("evidence") or {}
        if check.get("id") == "position.mode" and check.get("outcome") == "fail":
            try:
                required = PositionMode(str(evidence.get("required")))
                current = PositionMode(str(evidence.get("position_mode")))
            except ValueError:
                continue
            if required is current:
                continue
            offer = FixOffer(
                id=f"position_mode.{required.value}",
                check="position.mode",
                title=f"Switch {spec.name} futures from {POSITION_WORDS[current]} to {POSITION_WORDS[required]}",
                detail=f"TradeDock asks {spec.name} to change the position mode with this key. {spec.name} refuses "
                "while positions or orders are open on that market; close them first.",
            )
            found.append((offer, _position_mode(required)))
    return found


def fix_offers(exchange: str, checks: Sequence[Mapping[str, Any]]) -> list[FixOffer]:
    """The fixes a report's checks allow (empty when none, or when the key could not apply them)."""
    return [offer for offer, _ in _offer_and_action(exchange, checks)]


class FixOffersView(View):
    """The fixes a connection's last verification offers."""

    connection_id: str
    status: ConnectionStatus
    fixes: list[FixOfferView]


class FixResult(View):
    applied: FixOfferView
    outcome: Outcome  # the re-verification after the change


class FixService:
    """Offers and applies fixes for one owner's connections. Like `ConnectionService`, it keeps its own
    transactions short: load, then the exchange with no session open, then record (the re-check)."""

    def __init__(self, ctx: AppContext, owner: str = records.LOCAL_OWNER):
        self.ctx = ctx
        self.connections = ConnectionService(ctx, owner)

    async def _last(self, connection_id: str) -> tuple[str, str, str, list[dict[str, Any]]]:
        """(id, exchange, status, last run's checks as JSON) in one short read transaction."""
        detail = await self.connections.show(connection_id)
        checks = [c.to_json() for c in detail.last_report.checks] if detail.last_report else []
        return detail.id, detail.exchange, detail.status.value, checks

    async def offers(self, connection_id: str) -> FixOffersView:
        """The fixes the connection's last verification offers."""
        full_id, exchange, status, checks = await self._last(connection_id)
        offers = [FixOfferView(**o.to_dict()) for o in fix_offers(exchange, checks)]
        return FixOffersView(connection_id=full_id, status=ConnectionStatus(status), fixes=offers)

    async def apply(self, connection_id: str, fix_id: str) -> FixResult:
        """Apply one offered fix with the connection's key, then re-verify (the report is recorded as a check)."""
        full_id, exchange, _, checks = await self._last(connection_id)
        offered = _offer_and_action(exchange, checks)
        chosen = next(((offer, act) for offer, act in offered if offer.id == fix_id), None)
        if chosen is None:
            names = ", ".join(offer.id for offer, _ in offered) or "none"
            raise InvalidInputError(
                "fix",
                f"{fix_id!r} is not a fix offered for this connection (offered: {names})",
                fix=f"Run `tradedock check {full_id[:8]}` to refresh the report, then `tradedock fix {full_id[:8]}`.",
            )
        offer, act = chosen
        credentials, target = await self.connections.open_for_call(full_id)
        access = self.ctx.access
        flavor, _ = access.flavors(credentials.exchange, target.environment)
        adapter = access.adapter(credentials, target.environment, flavor)
        try:
            if not isinstance(adapter, TradingAdapter):
                raise UnexpectedResponseError(f"the {exchange} adapter cannot change settings")
            contract = target.contract or ContractType.USDT_M
            try:
                await act(adapter, contract)
            except TimestampRejectedError:
                # This server's clock is off: measure the exchange's clock once and sign with the offset.
                adapter.time_offset_ms = (await adapter.server_time()).offset_ms
                await act(adapter, contract)
        finally:
            await adapter.aclose()
        await self.connections.audit(full_id, "fix", {"fix": offer.id, "check": offer.check})
        outcome = await self.connections.check(full_id)
        return FixResult(applied=FixOfferView(**offer.to_dict()), outcome=outcome)
