"""Strategies and their signals: webhook and built-in strategies, publishing, the signal secret, and ingestion.

What belongs here: `StrategyService` (create, list visible, get, publish, rotate the secret, delete),
`ingest_signal` (a webhook signal: secret, fields, freshness, replay, symbol — each refusal names the field and
nothing is ordered), `emit_signal` (built-in strategies: the same path without a secret) and
`active_builtin_strategies` (what the built-in strategy runner works on). An accepted signal and its pending bot
orders (one per running bot trading the symbol; UNIQUE(bot, signal)) are written in one transaction; the
workers execute them (services.execution). What does not: the bots' state machine (services.bots), exchange
calls, parsing details (services.signals).

The signal secret is ``tds_`` + 32 random bytes, shown once; only its SHA-256 is stored and it is compared in
constant time. An unknown strategy and a wrong secret are the same `AuthenticationError`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from tradedock.db.models import Strategy, StrategySignal, new_id
from tradedock.db.repositories import UserRepository
from tradedock.db.repositories.bots import BotRepository, StrategyRepository
from tradedock.db.repositories.connections import looks_like_id
from tradedock.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    SignalRefusedError,
)
from tradedock.services import records
from tradedock.services.bot_rules import SIGNAL_REFUSED, pending_order
from tradedock.services.bot_views import (
    BotState,
    NewStrategySecret,
    SignalAccepted,
    SignalAction,
    SignalView,
    StrategyKind,
    StrategyView,
    Visibility,
)
from tradedock.services.context import AppContext
from tradedock.services.notifications import emit
from tradedock.services.signals import ParsedSignal, check_fresh, parse_action, parse_fields, parse_symbol
from tradedock.strategies.catalog import BUILTINS

_log = logging.getLogger(__name__)

SECRET_PREFIX = "tds_"
SECRET_HINT = 8
MAX_PARAMS_BYTES = 4096
NAME = re.compile(r"[^\x00-\x1f\x7f]{1,100}")
MAX_SIGNAL_AGE_S = (5, 86400)
#: Bot states that keep a strategy in use (a stopped bot does not).
IN_USE = (BotState.DRAFT.value, BotState.RUNNING.value, BotState.PAUSED.value)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signal_url_path(strategy_id: str) -> str:
    return f"/api/v1/strategies/{strategy_id}/signals"


def strategy_not_found(strategy_id: str) -> NotFoundError:
    shown = strategy_id if looks_like_id(strategy_id) else "(not an id)"
    return NotFoundError(f"strategy {shown} not found", fix="Run `tradedock strategy list` to see your strategies.")


def _bad_secret() -> AuthenticationError:
    return AuthenticationError(
        "unknown strategy or wrong signal secret; nothing was ordered",
        fix="Send the secret shown when the strategy was created (or rotate it and update the sender).",
    )


def checked_name(name: str) -> str:
    text = name.strip() if isinstance(name, str) else ""
    if not NAME.fullmatch(text):
        raise InvalidInputError("name", "the name must be 1-100 printable characters", fix="Give a short name.")
    return text


def checked_max_age(value: int) -> int:
    low, high = MAX_SIGNAL_AGE_S
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInputError(
            "max_signal_age_s", f"must be whole seconds from {low} to {high}", fix="Use e.g. 60 (one minute)."
        )
    return value


def checked_params(builtin_name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The built-in strategy's own check of its parameters (`tradedock.strategies`), stored as it normalises them."""
    strategy = BUILTINS.get(builtin_name) if isinstance(builtin_name, str) else None
    if strategy is None:
        raise InvalidInputError("builtin_name", "unknown built-in strategy", fix=f"Use one of: {', '.join(BUILTINS)}.")
    if not isinstance(params, Mapping):
        raise InvalidInputError("params", "params must be a JSON object", fix="See the built-in strategy's params.")
    document = strategy.validate(params)
    if len(json.dumps(document, default=str)) > MAX_PARAMS_BYTES:
        raise InvalidInputError("params", f"params are larger than {MAX_PARAMS_BYTES} bytes", fix="Keep them short.")
    return dict(json.loads(json.dumps(document, default=str)))


class StrategyService:
    """One user's strategies (and the public catalog). Opens its own short transactions."""

    def __init__(self, ctx: AppContext, owner: str = records.LOCAL_OWNER) -> None:
        self.ctx = ctx
        self.owner = owner
        self._owner_id: str | None = None

    async def _owner(self) -> str:
        if self._owner_id is None:
            async with self.ctx.transaction() as session:
                self._owner_id = (await UserRepository(session, self.ctx.clock).get_or_create(self.owner)).id
        return self._owner_id

    async def _visible(self, strategy_id: str, owner_id: str, *, owned: bool = False) -> Strategy:
        if not looks_like_id(strategy_id):
            raise strategy_not_found(strategy_id)
        async with self.ctx.reading() as session:
            row = await StrategyRepository(session).get(strategy_id)
        if row is None or (row.owner_id != owner_id and (owned or row.visibility != Visibility.PUBLIC.value)):
            raise strategy_not_found(strategy_id)
        return row

    async def create_webhook(
        self, name: str, *, description: str = "", max_signal_age_s: int = 60
    ) -> NewStrategySecret:
        """A private webhook strategy; its signal secret is in this answer only."""
        owner_id = await self._owner()
        secret = new_secret()
        row = self._row(owner_id, name, description, StrategyKind.WEBHOOK, checked_max_age(max_signal_age_s))
        row.secret_hash, row.secret_hint = hash_secret(secret), secret[:SECRET_HINT]
        async with self.ctx.transaction() as session:
            await StrategyRepository(session).add(row)
            await records.Store(session, self.ctx.clock).audit(owner_id, None, "strategy_create", {"id": row.id})
        return NewStrategySecret(
            strategy=StrategyView.from_row(row, owner_id), secret=secret, signal_url_path=signal_url_path(row.id)
        )

    async def create_builtin(
        self, name: str, builtin_name: str, params: Mapping[str, Any], *, description: str = ""
    ) -> StrategyView:
        owner_id = await self._owner()
        row = self._row(owner_id, name, description, StrategyKind.BUILTIN, 60)
        row.builtin_name = builtin_name
        row.params = checked_params(builtin_name, params)
        async with self.ctx.transaction() as session:
            await StrategyRepository(session).add(row)
            await records.Store(session, self.ctx.clock).audit(owner_id, None, "strategy_create", {"id": row.id})
        return StrategyView.from_row(row, owner_id)

    def _row(self, owner_id: str, name: str, description: str, kind: StrategyKind, max_age: int) -> Strategy:
        if not isinstance(description, str) or len(description) > 2000:
            raise InvalidInputError("description", "at most 2000 characters", fix="Shorten the description.")
        now = self.ctx.clock.now()
        return Strategy(
            id=new_id(),
            owner_id=owner_id,
            visibility=Visibility.PRIVATE.value,
            kind=kind.value,
            name=checked_name(name),
            description=description.strip(),
            params={},
            max_signal_age_s=max_age,
            created_at=now,
            updated_at=now,
            version=1,
        )

    async def get(self, strategy_id: str) -> StrategyView:
        owner_id = await self._owner()
        return StrategyView.from_row(await self._visible(strategy_id, owner_id), owner_id)

    async def signals(self, strategy_id: str, *, limit: int = 50, offset: int = 0) -> list[SignalView]:
        """The strategy's accepted signals, newest first (its owner only)."""
        owner_id = await self._owner()
        row = await self._visible(strategy_id, owner_id, owned=True)
        async with self.ctx.reading() as session:
            rows = await StrategyRepository(session).signals(row.id, limit=limit, offset=offset)
        return [SignalView.from_row(r) for r in rows]

    async def publish(self, strategy_id: str, *, public: bool = True) -> StrategyView:
        """Make a strategy visible to every user (or private again). Operators only."""
        owner_id = await self._owner()
        async with self.ctx.reading() as session:
            user = await UserRepository(session, self.ctx.clock).get(owner_id)
        if user is None or not user.is_operator:
            raise NotAllowedError("only operators can publish strategies", fix="Ask an operator to publish it.")
        row = await self._visible(strategy_id, owner_id)
        visibility = Visibility.PUBLIC if public else Visibility.PRIVATE
        await self._update(row, owner_id, "strategy_publish", visibility=visibility.value)
        return await self.get(row.id)

    async def rotate_secret(self, strategy_id: str) -> NewStrategySecret:
        """A new signal secret (the old one stops working at once); shown in this answer only."""
        owner_id = await self._owner()
        row = await self._visible(strategy_id, owner_id, owned=True)
        if row.kind != StrategyKind.WEBHOOK.value:
            raise InvalidInputError("strategy", "built-in strategies have no signal secret", fix="")
        secret = new_secret()
        await self._update(row, owner_id, "strategy_rotate", secret_hash=hash_secret(secret), secret_hint=secret[:8])
        view = await self.get(row.id)
        return NewStrategySecret(strategy=view, secret=secret, signal_url_path=signal_url_path(row.id))

    async def _update(self, row: Strategy, owner_id: str, action: str, **values: Any) -> None:
        async with self.ctx.transaction() as session:
            if not await StrategyRepository(session).update_if_version(
                row.id, row.version, updated_at=self.ctx.clock.now(), **values
            ):
                raise ConflictError("the strategy changed meanwhile; nothing was changed", fix="Try again.")
            await records.Store(session, self.ctx.clock).audit(owner_id, None, action, {"id": row.id})

    async def delete(self, strategy_id: str) -> None:
        """Delete the owner's strategy and its signals; refused while a bot (not stopped) uses it."""
        owner_id = await self._owner()
        row = await self._visible(strategy_id, owner_id, owned=True)
        async with self.ctx.transaction() as session:
            repo = StrategyRepository(session)
            if await repo.bots_using(row.id, IN_USE):
                raise ConflictError(
                    "bots still use this strategy; nothing was deleted", fix="Stop (or delete) those bots first."
                )
            current = await repo.get(row.id)
            if current is not None:
                await repo.delete(current)
            await records.Store(session, self.ctx.clock).audit(owner_id, None, "strategy_delete", {"id": row.id})

    async def list(self) -> list[StrategyView]:
        """The caller's strategies and every public one, newest first."""
        owner_id = await self._owner()
        async with self.ctx.reading() as session:
            rows = await StrategyRepository(session).list_visible(owner_id)
        return [StrategyView.from_row(row, owner_id) for row in rows]


# --- signals ---------------------------------------------------------------------------------------------------


async def ingest_signal(
    ctx: AppContext, strategy_id: str, body: Mapping[str, Any], *, secret: str | None = None
) -> SignalAccepted:
    """A webhook strategy's signal: refused (nothing stored, nothing ordered) unless the secret matches and every
    field, the time, the id (never seen) and the symbol (traded by a bot of the strategy) are right."""
    if not isinstance(body, Mapping):
        raise SignalRefusedError("body", "malformed", "the signal must be a JSON object", fix="Send a JSON object.")
    given = secret if secret is not None else body.get("secret")
    row = None
    if looks_like_id(strategy_id):
        async with ctx.reading() as session:
            row = await StrategyRepository(session).get(strategy_id)
    expected = row.secret_hash if row is not None and row.secret_hash else "0" * 64
    matches = hmac.compare_digest(hash_secret(given if isinstance(given, str) else ""), expected)
    if row is None or not matches or not isinstance(given, str):
        raise _bad_secret()
    try:
        if row.kind != StrategyKind.WEBHOOK.value:
            raise SignalRefusedError(
                "strategy", "not_accepting", "built-in strategies make their own signals", fix="Use a webhook strategy."
            )
        _refuse_echoed_secret(body, given)
        parsed = parse_fields({k: v for k, v in body.items() if k != "secret"})
        check_fresh(parsed.time, ctx.clock.now(), row.max_signal_age_s)
        return await _accept(ctx, row, parsed)
    except SignalRefusedError as refused:
        await _refused_event(ctx, row, body, refused)
        raise


async def emit_signal(
    ctx: AppContext,
    strategy_id: str,
    *,
    signal_id: str,
    action: SignalAction | str,
    symbol: str,
    time: datetime,
    size: Decimal | None = None,
) -> SignalAccepted:
    """A built-in strategy's signal: the same checks and fan-out as a webhook signal, without a secret."""
    async with ctx.reading() as session:
        row = await StrategyRepository(session).get(strategy_id)
    if row is None:
        raise strategy_not_found(strategy_id)
    parsed = parse_fields(
        {"signal_id": signal_id, "action": str(action), "symbol": symbol, "time": time.isoformat()}
        | ({} if size is None else {"size": str(size)})
    )
    check_fresh(parsed.time, ctx.clock.now(), row.max_signal_age_s)
    return await _accept(ctx, row, parsed)


def _replay(signal_id: str) -> SignalRefusedError:
    return SignalRefusedError(
        "signal_id",
        "replay",
        "this signal_id was already received; a signal is executed once",
        fix="Send each signal with a new signal_id.",
    )


async def _accept(ctx: AppContext, strategy: Strategy, parsed: ParsedSignal) -> SignalAccepted:
    now = ctx.clock.now()
    try:
        async with ctx.transaction() as session:
            repo = StrategyRepository(session)
            if await repo.signal_known(strategy.id, parsed.signal_id):
                raise _replay(parsed.signal_id)
            bots = [b for b in await BotRepository(session).of_strategy(strategy.id) if b.state in IN_USE]
            if not any(parsed.symbol in b.symbols for b in bots):
                raise SignalRefusedError(
                    "symbol",
                    "unknown_symbol",
                    f"no bot following this strategy trades {parsed.symbol}",
                    fix="Send a symbol your bots trade (e.g. BTCUSDT), or add it to a bot.",
                )
            signal = StrategySignal(
                id=new_id(),
                strategy_id=strategy.id,
                signal_id=parsed.signal_id,
                action=parsed.action.value,
                symbol=parsed.symbol,
                target_size=parsed.size,
                signal_time=parsed.time,
                received_at=now,
                outcome="",
            )
            await repo.add_signal(signal)
            running = [b for b in bots if b.state == BotState.RUNNING.value and parsed.symbol in b.symbols]
            bots_repo = BotRepository(session)
            for bot in running:
                await bots_repo.add_order(
                    pending_order(bot, parsed.symbol, parsed.action, ctx.clock, signal_id=signal.id, origin="signal")
                )
            skipped = len(bots) - len(running)
            signal.outcome = f"{len(running)} bot order(s); {skipped} bot(s) not running or not trading the symbol"
            await session.flush()
            view = SignalView.from_row(signal)
    except IntegrityError:  # the same signal_id accepted by a concurrent request a moment ago, or a deletion
        async with ctx.reading() as session:
            repo = StrategyRepository(session)
            if await repo.get(strategy.id) is None:
                raise strategy_not_found(strategy.id) from None
            if await repo.signal_known(strategy.id, parsed.signal_id):
                raise _replay(parsed.signal_id) from None
        raise
    return SignalAccepted(signal=view, orders_created=len(running), bots_skipped=skipped)


def _refuse_echoed_secret(body: Mapping[str, Any], secret: str) -> None:
    """A field other than ``secret`` holding the secret (an alert template pasting it into ``signal_id``) would be
    stored and shown: refused, naming the field, never the value."""
    for name, value in body.items():
        if name != "secret" and isinstance(value, str) and secret in value:
            raise SignalRefusedError(
                str(name)[:40] if str(name).isidentifier() else "body",
                "holds_secret",
                "this field holds the strategy's secret; it would be stored and shown with the signal",
                fix="Send the secret only in 'secret' (or the X-TradeDock-Secret header); rotate it if it was shared.",
            )


async def _refused_event(
    ctx: AppContext, strategy: Strategy, body: Mapping[str, Any], refused: SignalRefusedError
) -> None:
    """Tell the strategy's owner (events, webhooks) why a signal with a good secret was refused."""
    if strategy.owner_id is None:
        return
    raw_id = body.get("signal_id")
    shown_id = raw_id if isinstance(raw_id, str) and len(raw_id) <= 64 and raw_id.isprintable() else None
    data = {
        "strategy_id": strategy.id,
        "signal_id": shown_id if refused.reason == "replay" or refused.field not in ("signal_id", "body") else None,
        "field": refused.field,
        "reason": refused.reason,
        "message": refused.message,
    }
    try:
        async with ctx.transaction() as session:
            await emit(session, ctx.clock, strategy.owner_id, SIGNAL_REFUSED, data)
    except Exception:  # the refusal itself is the answer; a failed event must not hide it
        _log.exception("could not record the refusal of a signal for strategy %s", strategy.id)


# --- built-in strategies ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveBuiltin:
    """A built-in strategy with running bots: what the built-in runner computes signals for. ``connections``
    maps each symbol to one connection id whose exchange supplies its market data."""

    strategy_id: str
    builtin_name: str
    params: Mapping[str, Any]
    max_signal_age_s: int
    connections: Mapping[str, str]


async def active_builtin_strategies(ctx: AppContext) -> list[ActiveBuiltin]:
    async with ctx.reading() as session:
        pairs = await StrategyRepository(session).builtins_with_running_bots()
    found: dict[str, ActiveBuiltin] = {}
    for strategy, bot in pairs:
        current = found.get(strategy.id)
        connections = dict(current.connections) if current else {}
        for symbol in bot.symbols:
            if bot.connection_id is not None:
                connections.setdefault(symbol, bot.connection_id)
        found[strategy.id] = ActiveBuiltin(
            strategy.id, strategy.builtin_name or "", dict(strategy.params), strategy.max_signal_age_s, connections
        )
    return list(found.values())


__all__ = [
    "ActiveBuiltin",
    "StrategyService",
    "active_builtin_strategies",
    "emit_signal",
    "ingest_signal",
    "parse_action",
    "parse_symbol",
]
