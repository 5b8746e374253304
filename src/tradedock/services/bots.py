"""Bots: a connection put to work on a strategy, and their state machine with its audit trail.

What belongs here: `BotService` — create (checks every field, the owner's connection, a strategy the owner may
see, and that each symbol exists on the connection's exchange), list, get (orders, positions, PnL, events), and
the transitions draft → running ⇄ paused → stopped. `start` re-verifies the connection and refuses, with an
event the owner's webhooks receive, when it is not fit to trade (`unfit`): not connected, hedge mode, no balance.
`stop(close_position=True)` queues reduce-only close orders the workers execute. What does not: executing orders
(services.execution), signals (services.strategies), SQL (db.repositories.bots).

Transitions are conditional on the bot's ``version`` (a lost race is a `ConflictError`, nothing changed); each
writes its ``bot.state_changed`` event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tradedock.db.models import Bot, Connection, new_id
from tradedock.db.repositories import UserRepository
from tradedock.db.repositories.bots import ACTIVE_ORDER_STATES, BotRepository, StrategyRepository
from tradedock.db.repositories.connections import looks_like_id
from tradedock.domain import ConnectionStatus, PositionMode
from tradedock.errors import BotNotReadyError, ConflictError, InvalidInputError, NotFoundError
from tradedock.exchanges.base import TradingAdapter
from tradedock.services import records
from tradedock.services.bot_rules import START_REFUSED, STATE_CHANGED, bot_event, execution_connection_id, pending_order
from tradedock.services.bot_views import (
    BotDetail,
    BotEventView,
    BotMode,
    BotOrderView,
    BotRequest,
    BotState,
    BotView,
    SignalAction,
    SizingKind,
    Visibility,
)
from tradedock.services.connections import ConnectionService
from tradedock.services.context import AppContext
from tradedock.services.signals import parse_symbol
from tradedock.services.views import Outcome

HEALTHY = (ConnectionStatus.CONNECTED.value, ConnectionStatus.CONNECTED_WITH_WARNINGS.value)
STOP_KEYS = ("max_loss_quote", "max_loss_pct", "take_profit_quote", "take_profit_pct")
MAX_SYMBOLS = 10
MAX_LEVERAGE = Decimal(125)
#: Which transitions the owner may ask for, from which states.
ALLOWED = {
    BotState.RUNNING: (BotState.DRAFT, BotState.PAUSED),
    BotState.PAUSED: (BotState.RUNNING,),
    BotState.STOPPED: (BotState.DRAFT, BotState.RUNNING, BotState.PAUSED),
}


@dataclass(frozen=True)
class Unfit:
    """Why a connection cannot trade for a bot now: a code, the owner's words, what to do, failing checks."""

    reason: str  # connection_missing | connection_status | position_mode | balance | key_refused | symbol_in_use
    message: str
    fix: str
    problems: Sequence[str] = ()

    def error(self) -> BotNotReadyError:
        return BotNotReadyError(self.message, reason=self.reason, problems=list(self.problems), fix=self.fix)


def unfit_connection(row: Connection | None) -> Unfit | None:
    """The stored connection's fitness (what the engine checks before every action, with no exchange call)."""
    if row is None:
        return Unfit("connection_missing", "the bot's connection was removed", "Create a new bot on a connection.")
    if row.status not in HEALTHY:
        return Unfit(
            "connection_status",
            f"connection {row.label!r} is {row.status.replace('_', ' ')}",
            f"Fix the connection (tradedock check {row.id[:8]}; replace the key if it was revoked), then start "
            "the bot again.",
        )
    if row.position_mode == PositionMode.HEDGE.value:
        return Unfit(
            "position_mode",
            f"connection {row.label!r} is in hedge mode; bots trade in one-way mode",
            f"Switch the account to one-way mode (tradedock fix {row.id[:8]}), then start the bot again.",
        )
    return None


def unfit_report(outcome: Outcome) -> Unfit | None:
    """A fresh verification's verdict on trading: the position mode and the balance first (they name the fix),
    then the status."""
    failing = [f"{c.id}: {c.message}" for c in outcome.checks if c.outcome in ("fail", "error")]
    for check in outcome.checks:
        if check.id == "position.mode" and check.outcome == "fail":
            return Unfit("position_mode", check.message, " ".join(check.fix) or "Switch to one-way mode.", failing)
        if check.id == "balance.minimum" and (
            check.outcome == "fail"
            or (check.outcome == "warn" and Decimal(str(check.evidence.get("trading_wallet_usd") or "0")) <= 0)
        ):
            return Unfit("balance", check.message, " ".join(check.fix) or "Fund the futures wallet.", failing)
    if outcome.status.value not in HEALTHY:
        return Unfit(
            "connection_status",
            f"the connection is {outcome.status.value.replace('_', ' ')}",
            "Fix the problems the check names (replace the key if it was revoked), then start the bot again.",
            failing,
        )
    return None


def bot_not_found(bot_id: str) -> NotFoundError:
    shown = bot_id if looks_like_id(bot_id) else "(not an id)"
    return NotFoundError(f"bot {shown} not found", fix="Run `tradedock bot list` to see your bots.")


def _positive(value: Decimal | None, field: str, fix: str, *, high: Decimal | None = None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value <= 0 or (high is not None and value > high):
        limit = f" and at most {high}" if high is not None else ""
        raise InvalidInputError(field, f"{field} must be above 0{limit}", fix=fix)
    return value


def checked_request(request: BotRequest) -> dict[str, Any]:
    """The bot's columns from a request, each field checked (the first problem names the field)."""
    name = request.name.strip()
    if not 1 <= len(name) <= 100 or not name.isprintable():
        raise InvalidInputError("name", "the name must be 1-100 printable characters", fix="Give a short name.")
    if not request.symbols or len(request.symbols) > MAX_SYMBOLS:
        raise InvalidInputError("symbols", f"give 1 to {MAX_SYMBOLS} symbols", fix='e.g. ["BTCUSDT"].')
    symbols = list(dict.fromkeys(parse_symbol(s) for s in request.symbols))
    if request.sizing_kind is SizingKind.BALANCE_PCT:
        sizing = _positive(
            request.sizing_value, "sizing_value", "A percent of the balance, e.g. 10.", high=Decimal(100)
        )
    else:
        sizing = _positive(request.sizing_value, "sizing_value", "A quote amount (USDT), e.g. 100.")
    leverage = _positive(request.leverage_cap, "leverage_cap", "e.g. 3 (times the balance).", high=MAX_LEVERAGE)
    max_position = _positive(request.max_position_quote, "max_position_quote", "A quote amount (USDT), e.g. 1000.")
    stops: dict[str, str] = {}
    for key, value in request.stops.items():
        if key not in STOP_KEYS:
            raise InvalidInputError("stops", "unknown stop condition", fix=f"Use some of: {', '.join(STOP_KEYS)}.")
        high = Decimal(100) if key.endswith("_pct") else None
        checked = _positive(value, f"stops.{key}", "A positive amount.", high=high)
        stops[key] = format(checked, "f")
    return {
        "name": name,
        "symbols": symbols,
        "sizing_kind": request.sizing_kind.value,
        "sizing_value": sizing,
        "leverage_cap": leverage,
        "max_position_quote": max_position,
        "stops": stops,
        "mode": request.mode.value,
    }


class BotService:
    """One user's bots. Opens its own short transactions; no transaction is held across an exchange call."""

    def __init__(self, ctx: AppContext, owner: str = records.LOCAL_OWNER) -> None:
        self.ctx = ctx
        self.owner = owner
        self._owner_id: str | None = None
        self.connections = ConnectionService(ctx, owner)

    async def _owner(self) -> str:
        if self._owner_id is None:
            async with self.ctx.transaction() as session:
                self._owner_id = (await UserRepository(session, self.ctx.clock).get_or_create(self.owner)).id
        return self._owner_id

    async def _bot(self, bot_id: str) -> Bot:
        owner_id = await self._owner()
        wanted = bot_id.strip().lower() if isinstance(bot_id, str) else ""
        if not looks_like_id(wanted):
            raise bot_not_found(bot_id)
        async with self.ctx.reading() as session:
            repo = BotRepository(session)
            row = await repo.find(owner_id, wanted)
            if row is None and records.MIN_PREFIX <= len(wanted) < records.FULL_ID:
                matches = [b for b in await repo.list_for_owner(owner_id) if b.id.startswith(wanted)]
                if len(matches) > 1:
                    raise InvalidInputError("id", f"{bot_id!r} matches {len(matches)} bots", fix="Give more of the id.")
                row = matches[0] if matches else None
        if row is None:
            raise bot_not_found(bot_id)
        return row

    # --- create / read -----------------------------------------------------------------------------------

    async def create(self, request: BotRequest) -> BotView:
        """A bot in ``draft``: the owner's connection, a strategy the owner may see, symbols the exchange lists."""
        owner_id = await self._owner()
        columns = checked_request(request)
        detail = await self.connections.show(request.connection_id)
        async with self.ctx.reading() as session:
            strategy = (
                await StrategyRepository(session).get(request.strategy_id)
                if looks_like_id(request.strategy_id)
                else None
            )
        if strategy is None or (strategy.owner_id != owner_id and strategy.visibility != Visibility.PUBLIC.value):
            raise InvalidInputError("strategy_id", "no such strategy", fix="Run `tradedock strategy list`.")
        await self._check_symbols(detail.id, columns["symbols"])
        now = self.ctx.clock.now()
        row = Bot(
            id=new_id(),
            owner_id=owner_id,
            connection_id=detail.id,
            strategy_id=strategy.id,
            state=BotState.DRAFT.value,
            positions={},
            realized_pnl=Decimal(0),
            fees_paid=Decimal(0),
            created_at=now,
            updated_at=now,
            version=1,
            **columns,
        )
        if request.mode is BotMode.PAPER:
            from tradedock.services.paper import provision_paper_account  # the sandbox is only needed here

            row.paper_connection_id = await provision_paper_account(self.ctx, self.owner, detail.exchange, row.name)
        async with self.ctx.transaction() as session:
            await BotRepository(session).add(row)
            await bot_event(session, self.ctx.clock, row, STATE_CHANGED, _change(None, BotState.DRAFT, "created"))
        return BotView.from_row(row)

    async def _check_symbols(self, connection_id: str, symbols: Sequence[str]) -> None:
        """Every symbol must be a USDT perpetual the exchange lists (public instrument reads, no session open)."""
        credentials, target = await self.connections.open_for_call(connection_id)
        access = self.ctx.access
        flavor, _ = access.flavors(credentials.exchange, target.environment)
        adapter = access.adapter(credentials, target.environment, flavor)
        try:
            if not isinstance(adapter, TradingAdapter):
                raise InvalidInputError("connection_id", f"{credentials.exchange.value} cannot trade yet", fix="")
            for symbol in symbols:
                try:
                    await adapter.instrument_rules(symbol)
                except InvalidInputError:
                    raise InvalidInputError(
                        "symbols",
                        f"{credentials.exchange.value} has no USDT perpetual {symbol}",
                        fix="Use the exchange's symbol, e.g. BTCUSDT.",
                    ) from None
        finally:
            await adapter.aclose()

    async def get(self, bot_id: str) -> BotDetail:
        """The bot with its positions and PnL, its 50 newest orders and its 50 newest events."""
        row = await self._bot(bot_id)
        async with self.ctx.reading() as session:
            repo = BotRepository(session)
            current = await repo.get(row.id)
            if current is None:
                raise bot_not_found(bot_id)
            orders = await repo.orders(row.id, limit=50, offset=0)
            events = await repo.events(row.id, limit=50, offset=0)
        return BotDetail.build(current, orders, events)

    async def orders(self, bot_id: str, *, limit: int = 50, offset: int = 0) -> list[BotOrderView]:
        row = await self._bot(bot_id)
        async with self.ctx.reading() as session:
            rows = await BotRepository(session).orders(row.id, limit=limit, offset=offset)
        return [BotOrderView.from_row(r) for r in rows]

    async def events(self, bot_id: str, *, limit: int = 50, offset: int = 0) -> list[BotEventView]:
        row = await self._bot(bot_id)
        async with self.ctx.reading() as session:
            rows = await BotRepository(session).events(row.id, limit=limit, offset=offset)
        return [BotEventView.from_row(r) for r in rows]

    # --- transitions -------------------------------------------------------------------------------------

    async def start(self, bot_id: str) -> BotView:
        """draft | paused → running, after a fresh verification of the connection the bot trades on."""
        row = await self._bot(bot_id)
        if row.state == BotState.RUNNING.value:
            return BotView.from_row(row)
        self._allowed(row, BotState.RUNNING)
        connection_id = execution_connection_id(row)
        problem: Unfit | None = None
        if connection_id is None:
            problem = unfit_connection(None)
        else:
            problem = await self._symbols_taken(row, connection_id)
        if problem is None and connection_id is not None:
            owner_service = ConnectionService.for_owner_id(self.ctx, row.owner_id)
            try:
                problem = unfit_report(await owner_service.check(connection_id))
            except NotFoundError:
                problem = unfit_connection(None)
        if problem is not None:
            async with self.ctx.transaction() as session:
                await BotRepository(session).update_if_version(row.id, row.version, state_reason=problem.message[:400])
                data = {"reason": problem.reason, "message": problem.message, "problems": list(problem.problems)}
                await bot_event(session, self.ctx.clock, row, START_REFUSED, {**data, "fix": problem.fix})
            raise problem.error()
        return await self._move(row, BotState.RUNNING, "started by the owner", started=True)

    async def _symbols_taken(self, row: Bot, connection_id: str) -> Unfit | None:
        """One bot per symbol and account: a position on the exchange is the account's, so two bots on one symbol
        would close each other's trades."""
        async with self.ctx.reading() as session:
            others = await BotRepository(session).list_for_owner(row.owner_id)
        active = (BotState.RUNNING.value, BotState.PAUSED.value)
        for other in others:
            shared = sorted(set(other.symbols) & set(row.symbols))
            if (
                other.id != row.id
                and other.state in active
                and execution_connection_id(other) == connection_id
                and shared
            ):
                return Unfit(
                    "symbol_in_use",
                    f"bot {other.name!r} already trades {', '.join(shared)} on this connection",
                    "Stop that bot first, or trade another symbol or account (positions are the account's).",
                )
        return None

    async def pause(self, bot_id: str) -> BotView:
        row = await self._bot(bot_id)
        self._allowed(row, BotState.PAUSED)
        return await self._move(row, BotState.PAUSED, "paused by the owner")

    async def stop(self, bot_id: str, *, close_position: bool = False) -> BotView:
        """Stop for good; with ``close_position`` the workers close each symbol's position (reduce-only)."""
        row = await self._bot(bot_id)
        if row.state == BotState.STOPPED.value and not close_position:
            return BotView.from_row(row)
        if row.state != BotState.STOPPED.value:
            self._allowed(row, BotState.STOPPED)
        reason = "stopped by the owner" + ("; closing the position" if close_position else "")
        # Only a bot that has traded closes anything: a draft never opened a position of its own.
        closes = row.symbols if close_position and row.started_at is not None else []
        return await self._move(row, BotState.STOPPED, reason, close_symbols=closes)

    async def delete(self, bot_id: str) -> None:
        """Delete a draft or stopped bot with nothing left to execute (its events stay)."""
        row = await self._bot(bot_id)
        if row.state not in (BotState.DRAFT.value, BotState.STOPPED.value):
            raise ConflictError("only a draft or stopped bot can be deleted", fix="Stop the bot first.")
        async with self.ctx.transaction() as session:
            repo = BotRepository(session)
            if await repo.active_orders(row.id):
                raise ConflictError("the bot still has orders in progress", fix="Wait for them, then delete it.")
            current = await repo.get(row.id)
            if current is not None:
                await repo.delete(current)
            await records.Store(session, self.ctx.clock).audit(row.owner_id, None, "bot_delete", {"id": row.id})

    def _allowed(self, row: Bot, to: BotState) -> None:
        if BotState(row.state) not in ALLOWED[to]:
            raise ConflictError(
                f"a {row.state} bot cannot become {to.value}",
                fix="Stopped bots are final; create a new bot." if row.state == BotState.STOPPED.value else None,
            )

    async def _move(
        self,
        row: Bot,
        to: BotState,
        reason: str,
        *,
        started: bool = False,
        close_symbols: Sequence[str] = (),
    ) -> BotView:
        now = self.ctx.clock.now()
        values: dict[str, Any] = {"state": to.value, "state_reason": reason, "updated_at": now}
        if started:
            values["started_at"] = now
        async with self.ctx.transaction() as session:
            repo = BotRepository(session)
            if not await repo.update_if_version(row.id, row.version, **values):
                raise ConflictError("the bot changed meanwhile; nothing was changed", fix="Look at it and try again.")
            for symbol in close_symbols:
                order = pending_order(row, symbol, SignalAction.CLOSE, self.ctx.clock, signal_id=None, origin="stop")
                await repo.add_order(order)
            await bot_event(session, self.ctx.clock, row, STATE_CHANGED, _change(BotState(row.state), to, reason))
            current = await repo.get(row.id)
            assert current is not None
            await session.refresh(current)
        return BotView.from_row(current)

    async def list(self) -> list[BotView]:
        owner_id = await self._owner()
        async with self.ctx.reading() as session:
            rows = await BotRepository(session).list_for_owner(owner_id)
        return [BotView.from_row(row) for row in rows]


def _change(before: BotState | None, after: BotState, reason: str, *, by: str = "owner") -> dict[str, Any]:
    return {"from": None if before is None else before.value, "to": after.value, "reason": reason, "by": by}


__all__ = ["ACTIVE_ORDER_STATES", "BotService", "Unfit", "unfit_connection", "unfit_report"]
