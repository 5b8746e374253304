"""The execution engine: bots' pending orders sent exactly once, resolved after a crash, reconciled with the
exchange. Run by the workers (`monitor/runner.py` calls `ExecutionService.run_round` once per round).

What belongs here: claiming bots under a lease (one worker executes a bot; its orders go one by one in signal
order), the per-order procedure and its outcomes, pausing a bot whose connection cannot trade, reconciling
positions and open orders, and the stop conditions. What does not: the writes of order rows, answers and pauses
(services.execution_records), sizing arithmetic (services.sizing), the owner's transitions (services.bots), SQL
(db.repositories.bots), wire formats (exchanges).

Per order (docs/architecture.md, "Bots and strategies"): (1) load in a short transaction; (2) read position,
mark, rules and balance with no session open, size, apply the exchange's rules (a violation is ``rejected``,
nothing sent); (3) commit ``sending`` (fenced by the bot's lease and the order's version) BEFORE the call; (4)
send once with the deterministic client order id (`placing.place_once`: never re-sent); (5) record. A ``sending``
row found later (its worker died) is looked up by client order id: found → recorded; reliably not found → sent
again with the same id (the exchange refuses a duplicate id anyway). No transaction is open during an exchange
call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Protocol, cast

from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.clock import Clock
from tradedock.config import Settings
from tradedock.db.models import Bot, BotOrder, Connection
from tradedock.db.repositories.bots import BotRepository, StrategyRepository
from tradedock.domain import USD_STABLECOINS, AccountMode, ContractType
from tradedock.errors import (
    AccountModeMismatchError,
    AgentNotApprovedError,
    CredentialsRejectedError,
    ExchangeUnreachableError,
    InvalidInputError,
    IpNotAllowedError,
    OrderRejectedError,
    PermissionDeniedError,
    RateLimitedError,
    TimestampRejectedError,
    TradeDockError,
    UserFixableError,
)
from tradedock.exchanges import placing
from tradedock.exchanges.base import ExchangeAdapter, TradingAdapter
from tradedock.exchanges.orders import OrderRequest, OrderState, OrderType
from tradedock.exchanges.registry import get_spec
from tradedock.services.bot_rules import (
    STATE_CHANGED,
    bot_event,
    execution_connection_id,
    pending_order,
)
from tradedock.services.bot_views import BotState, SignalAction, SizingKind
from tradedock.services.bot_views import OrderState as RowState
from tradedock.services.bots import Unfit, unfit_connection
from tradedock.services.connections import ConnectionService
from tradedock.services.context import AppContext
from tradedock.services.execution_records import ExecutionRound, Halt, OrderRecords, Work
from tradedock.services.monitor import worker_name
from tradedock.services.sizing import Sizing, net_position, plan, target_size

_log = logging.getLogger(__name__)

#: Errors that mean the key cannot trade any more: the bot pauses until the owner fixes the connection.
KEY_REFUSED = (
    CredentialsRejectedError,
    PermissionDeniedError,
    IpNotAllowedError,
    AgentNotApprovedError,
    AccountModeMismatchError,
)


@dataclass(frozen=True)
class ExecutionPolicy:
    lease: timedelta = timedelta(seconds=60)
    reconcile_every: timedelta = timedelta(seconds=60)
    batch: int = 8
    max_send_attempts: int = 3
    #: A signal's order still not sent after this (the exchange was down, the workers stopped) is skipped: a
    #: late trade on an old signal is worse than none.
    max_delay: timedelta = timedelta(minutes=5)
    lookups: int = placing.LOOKUPS
    lookup_pause_s: float = placing.LOOKUP_PAUSE_S

    @classmethod
    def from_settings(cls, settings: Settings) -> ExecutionPolicy:
        return cls(
            lease=timedelta(seconds=settings.bot_lease_s),
            reconcile_every=timedelta(seconds=settings.bot_reconcile_s),
        )


class Trader(ExchangeAdapter, TradingAdapter, Protocol):
    """An adapter that reads (balances) and trades: what every trading exchange's `create_adapter` returns."""


class ExecutionService:
    """One worker's engine. Any number may run at once, in any number of processes (bot leases)."""

    def __init__(
        self,
        ctx: AppContext,
        worker_id: str | None = None,
        *,
        policy: ExecutionPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.ctx = ctx
        self.worker_id = worker_id or worker_name()
        self.policy = policy or ExecutionPolicy.from_settings(ctx.settings)
        self.clock = clock or ctx.clock
        self.records = OrderRecords(ctx, self.worker_id, self.clock)

    async def run_round(self) -> ExecutionRound:
        """Claim the bots with work (or due a reconciliation) and work on each; one bot never stops the others."""
        result = ExecutionRound()
        now = self.clock.now()
        async with self.ctx.transaction() as session:
            ids = await BotRepository(session).claim(
                self.worker_id,
                now,
                now + self.policy.lease,
                self.policy.batch,
                reconcile_before=now - self.policy.reconcile_every,
            )
        result.bots = len(ids)
        await asyncio.gather(*(self._isolated(bot_id, result) for bot_id in ids))
        return result

    async def _isolated(self, bot_id: str, result: ExecutionRound) -> None:
        try:
            await self.work(bot_id, result)
        except Halt:  # the lease was lost (or the row moved): another worker has the bot now
            pass
        except Exception:  # batch isolation: a bug in one bot never stops the others
            result.errors += 1
            _log.exception("execution of bot %s failed unexpectedly", bot_id)
        finally:
            try:
                async with self.ctx.transaction() as session:
                    await BotRepository(session).release(bot_id, self.worker_id)
            except Exception:
                _log.exception("could not release the lease on bot %s", bot_id)

    # --- phase 1 -------------------------------------------------------------------------------------------

    async def _load(self, bot_id: str) -> Work | None:
        async with self.ctx.reading() as session:
            repo = BotRepository(session)
            bot = await repo.get(bot_id)
            if bot is None or bot.lease_owner != self.worker_id:
                return None
            orders = await repo.active_orders(bot_id)
            sizes = await StrategyRepository(session).signal_sizes([o.signal_id for o in orders if o.signal_id])
            connection_id = execution_connection_id(bot)
            connection = None if connection_id is None else await session.get(Connection, connection_id)
            return Work(bot, orders, sizes, connection, dict(bot.positions))

    # --- one bot -------------------------------------------------------------------------------------------

    async def work(self, bot_id: str, result: ExecutionRound) -> None:
        work = await self._load(bot_id)
        if work is None:
            return
        bot = work.bot
        running = bot.state == BotState.RUNNING.value
        unfit = unfit_connection(work.connection)
        if running and unfit is not None:
            await self.records.pause(work, unfit, result)
            running = False
        # Signal orders of a bot that is not running are not executed (stop orders and unresolved sends are).
        todo: list[BotOrder] = []
        now = self.clock.now()
        for order in work.orders:
            waiting = order.state == RowState.PENDING.value and order.origin == "signal"
            if waiting and not running:
                await self.records.finish(work, order, RowState.SKIPPED, error=f"not executed: the bot is {bot.state}")
                result.skipped += 1
            elif waiting and now - order.created_at > self.policy.max_delay:
                late = int((now - order.created_at).total_seconds())
                await self.records.finish(
                    work, order, RowState.SKIPPED, error=f"not executed: {late} s after its signal"
                )
                result.skipped += 1
            else:
                todo.append(order)
        if work.connection is None or (unfit is not None and not todo):
            return
        if unfit is not None and any(o.state == RowState.PENDING.value for o in todo):
            for order in [o for o in todo if o.state == RowState.PENDING.value]:
                await self.records.finish(work, order, RowState.FAILED, error=f"not sent: {unfit.message}")
                result.failed += 1
            todo = [o for o in todo if o.state != RowState.PENDING.value]
        adapter = await self._adapter(work)
        if adapter is None:
            return
        try:
            for order in todo:
                await self._order(work, adapter, order, result)
            await self._reconcile(work, adapter)
        except Halt:
            pass
        except KEY_REFUSED as refused:
            await self.records.pause(work, _key_refused(refused), result)
        except ExchangeUnreachableError as fault:
            _log.info("bot %s: exchange fault while reconciling (%s); next round", bot.id, fault.message)
        finally:
            await adapter.aclose()

    async def _adapter(self, work: Work) -> Trader | None:
        assert work.connection is not None
        connections = ConnectionService.for_owner_id(self.ctx, work.bot.owner_id)
        try:
            credentials, target = await connections.open_for_call(work.connection.id)
        except TradeDockError as error:
            _log.error("bot %s: its connection could not be opened: %s", work.bot.id, error.message)
            return None
        access = self.ctx.access
        flavor, _ = access.flavors(credentials.exchange, target.environment)
        adapter = access.adapter(credentials, target.environment, flavor)
        if not isinstance(adapter, TradingAdapter):
            await adapter.aclose()
            _log.error("bot %s: %s cannot trade", work.bot.id, credentials.exchange.value)
            return None
        return cast(Trader, adapter)

    # --- one order -----------------------------------------------------------------------------------------

    async def _order(self, work: Work, adapter: Trader, order: BotOrder, result: ExecutionRound) -> None:
        if order.state in (RowState.OPEN.value, RowState.PARTIALLY_FILLED.value):
            found = await adapter.get_order(order.symbol, client_order_id=order.client_order_id)
            if found is not None:
                await self.records.record(work, order, found, *_last_known(work, order.symbol))
            return
        if order.state == RowState.SENDING.value:
            found = await self._lookup(adapter, order)  # the sender died (or could not be told): what happened?
            if found is not None:
                await self.records.record(work, order, found, *_last_known(work, order.symbol))
                result.resolved += 1
                return
            order = await self.records.back_to_pending(work, order, "the exchange does not know it: it was not placed")
            if work.bot.state != BotState.RUNNING.value and order.origin == "signal":
                await self.records.finish(
                    work, order, RowState.SKIPPED, error=f"not executed: the bot is {work.bot.state}"
                )
                result.skipped += 1
                return
        if order.attempts >= self.policy.max_send_attempts:
            await self.records.finish(work, order, RowState.FAILED, error=f"not placed after {order.attempts} attempts")
            result.failed += 1
            return
        await self._send(work, adapter, order, result)

    async def _lookup(self, adapter: Trader, order: BotOrder) -> OrderState | None:
        """The order by its client order id; ``None`` only when the exchange reliably says it does not exist.
        The lookups failing raise (the row stays ``sending`` for the next round)."""
        error: ExchangeUnreachableError | None = None
        for attempt in range(self.policy.lookups):
            if attempt:
                await asyncio.sleep(self.policy.lookup_pause_s)
            try:
                return await adapter.get_order(order.symbol, client_order_id=order.client_order_id)
            except ExchangeUnreachableError as exc:
                error = exc
        assert error is not None
        raise error

    async def _send(self, work: Work, adapter: Trader, order: BotOrder, result: ExecutionRound) -> None:
        try:
            planned = await self._plan(work, adapter, order, result)
        except KEY_REFUSED:
            raise
        except TimestampRejectedError:  # our clock, not the order: try again next round
            raise Halt from None
        except UserFixableError as refused:  # below a minimum, leverage refused, …: nothing was sent
            await self.records.finish(work, order, RowState.REJECTED, error=f"not sent: {refused.message}")
            result.rejected += 1
            return
        if planned is None:
            return
        prepared, current, entry = planned
        order = await self.records.mark_sending(work, order, prepared)
        try:
            answer = await placing.place_once(
                adapter,
                prepared,
                exchange=get_spec(work.connection.exchange).name if work.connection else "exchange",
                lookups=self.policy.lookups,
                pause_s=self.policy.lookup_pause_s,
            )
        except RateLimitedError as limited:  # refused before it was processed: the same id goes next round
            await self.records.back_to_pending(work, order, f"rate limited: {limited.message}")
            raise Halt from None
        except (OrderRejectedError, InvalidInputError) as refused:
            await self.records.finish(work, order, RowState.REJECTED, error=refused.message)
            result.rejected += 1
            return
        except TimestampRejectedError as refused:  # refused before processing; our clock: next round
            await self.records.back_to_pending(work, order, refused.message)
            raise Halt from None
        except KEY_REFUSED as refused:
            await self.records.finish(work, order, RowState.FAILED, error=f"not placed: {refused.message}")
            result.failed += 1
            raise
        except ExchangeUnreachableError:
            found = await self._lookup(adapter, order)  # raises (stays sending) when nobody can tell
            if found is None:
                await self.records.back_to_pending(work, order, "the answer was lost and it was not placed")
                raise Halt from None
            answer = found
        result.sent += 1
        await self.records.record(work, order, answer, current, entry)

    async def _plan(
        self, work: Work, adapter: Trader, order: BotOrder, result: ExecutionRound
    ) -> tuple[OrderRequest, Decimal, Decimal | None] | None:
        """Phase 2 before the send: read position, mark (and balance), size, apply the exchange's rules. ``None``
        when there is nothing to order (recorded)."""
        bot = work.bot
        positions = await adapter.positions(order.symbol)
        current, entry, hedge = net_position(positions, order.symbol)
        if hedge:
            unfit = Unfit(
                "position_mode",
                "the account is in hedge mode; bots trade in one-way mode",
                "Switch the account to one-way mode, then start the bot again.",
            )
            await self.records.finish(work, order, RowState.FAILED, error=f"not sent: {unfit.message}")
            await self.records.pause(work, unfit, result)
            raise Halt
        mark = await adapter.mark_price(order.symbol)
        sizing = Sizing(SizingKind(bot.sizing_kind), bot.sizing_value, bot.leverage_cap, bot.max_position_quote)
        action = SignalAction(order.action)
        available = equity = None
        opening = action in (SignalAction.LONG, SignalAction.SHORT)
        if opening and (sizing.kind is SizingKind.BALANCE_PCT or sizing.leverage_cap is not None):
            available, equity = await self._futures_balance(work, adapter)
        signal_size = work.sizes.get(order.signal_id) if order.signal_id else None
        size = target_size(action, sizing, mark, signal_size=signal_size, available=available, equity=equity)
        if opening and size <= 0:
            unfit = Unfit("balance", "the futures wallet has no available balance", "Fund the futures wallet.")
            await self.records.finish(work, order, RowState.REJECTED, error=f"not sent: {unfit.message}")
            result.rejected += 1
            await self.records.pause(work, unfit, result)
            raise Halt
        planned = plan(action, current, size, explicit_size=signal_size is not None)
        if planned.qty == 0:
            await self.records.finish(work, order, RowState.SKIPPED, error=planned.why or "nothing to order")
            result.skipped += 1
            return None
        request = OrderRequest(
            order.symbol,
            planned.side,
            OrderType.MARKET,
            planned.qty,
            reduce_only=planned.reduce_only,
            client_order_id=order.client_order_id,
        )
        if bot.leverage_cap is not None and not planned.reduce_only:
            rules = await adapter.instrument_rules(order.symbol)
            cap = bot.leverage_cap if rules.max_leverage is None else min(bot.leverage_cap, rules.max_leverage)
            await adapter.set_leverage(order.symbol, cap.to_integral_value())
        return await placing.prepare(adapter, request), current, entry

    async def _futures_balance(self, work: Work, adapter: Trader) -> tuple[Decimal, Decimal]:
        """(available, total) USD stablecoins in the exchange's futures trading wallet."""
        connection = work.connection
        assert connection is not None
        profile = get_spec(connection.exchange).profile
        mode = AccountMode(connection.account_mode) if connection.account_mode else None
        wallet = profile.trading_wallet(futures=True, contract=ContractType.USDT_M, mode=mode)
        rows = [b for b in await adapter.balances() if b.wallet == wallet and b.coin.upper() in USD_STABLECOINS]
        return sum((b.available for b in rows), Decimal(0)), sum((b.total for b in rows), Decimal(0))

    # --- reconciliation and stop conditions ----------------------------------------------------------------

    async def _reconcile(self, work: Work, adapter: Trader) -> None:
        """The bot's positions and open orders as the exchange reports them; then its stop conditions."""
        bot = work.bot
        symbols = list(bot.symbols)
        positions: dict[str, dict[str, Any]] = {}
        for symbol in symbols:
            for p in await adapter.positions(symbol):
                if p.symbol != symbol or p.size == 0:
                    continue
                qty = p.size if p.long else -p.size
                positions[symbol] = {
                    "qty": format(qty, "f"),
                    "entry_price": format(p.entry_price, "f"),
                    "mark_price": None if p.mark_price is None else format(p.mark_price, "f"),
                    "unrealised_pnl": None if p.unrealised_pnl is None else format(p.unrealised_pnl, "f"),
                }
            open_ids = {o.client_order_id: o for o in await adapter.open_orders(symbol)}
            async with self.ctx.reading() as session:
                mine = await BotRepository(session).active_orders(bot.id)
            for row in mine:
                if row.state in (RowState.OPEN.value, RowState.PARTIALLY_FILLED.value) and row.symbol == symbol:
                    seen = open_ids.get(row.client_order_id)
                    if seen is None:
                        seen = await adapter.get_order(symbol, client_order_id=row.client_order_id)
                    if seen is not None:
                        await self.records.record(work, row, seen, *_last_known(work, symbol))
        async with self.ctx.transaction() as session:
            repo = BotRepository(session)
            await repo.update_if_leased(bot.id, self.worker_id, positions=positions, reconciled_at=self.clock.now())
            current = await repo.get(bot.id)
            if current is None:
                return
            await session.refresh(current)
            if current.state == BotState.RUNNING.value:
                await self._stop_conditions(session, current, positions)

    async def _stop_conditions(
        self, session: AsyncSession, bot: Bot, positions: Mapping[str, Mapping[str, Any]]
    ) -> None:
        """Take profit / max loss: in quote on the bot's total PnL (close everything and stop), in percent of a
        position's entry value (close that position). Orders are queued; the next round sends them."""
        stops = {k: Decimal(str(v)) for k, v in dict(bot.stops).items()}
        if not stops:
            return
        repo = BotRepository(session)
        unrealised = sum((Decimal(str(p.get("unrealised_pnl") or 0)) for p in positions.values()), Decimal(0))
        total = bot.realized_pnl + unrealised
        reason = None
        if "max_loss_quote" in stops and total <= -stops["max_loss_quote"]:
            reason = f"max loss reached: PnL {total:f} ≤ -{stops['max_loss_quote']:f}"
        elif "take_profit_quote" in stops and total >= stops["take_profit_quote"]:
            reason = f"take profit reached: PnL {total:f} ≥ {stops['take_profit_quote']:f}"
        if reason is not None:
            if await repo.update_if_leased(
                bot.id, self.worker_id, state=BotState.STOPPED.value, state_reason=reason, updated_at=self.clock.now()
            ):
                for symbol in positions:
                    await repo.add_order(
                        pending_order(
                            bot, symbol, SignalAction.CLOSE, self.clock, signal_id=None, origin="stop_condition"
                        )
                    )
                data = {"from": bot.state, "to": BotState.STOPPED.value, "reason": reason, "by": "platform"}
                await bot_event(session, self.clock, bot, STATE_CHANGED, data)
            return
        for symbol, p in positions.items():
            qty, entry = Decimal(str(p["qty"])), Decimal(str(p["entry_price"]))
            value = abs(qty) * entry
            if value <= 0:
                continue
            pct = Decimal(str(p.get("unrealised_pnl") or 0)) / value * 100
            hit = ("max_loss_pct" in stops and pct <= -stops["max_loss_pct"]) or (
                "take_profit_pct" in stops and pct >= stops["take_profit_pct"]
            )
            if hit and not any(o.symbol == symbol for o in await repo.active_orders(bot.id)):
                await repo.add_order(
                    pending_order(bot, symbol, SignalAction.CLOSE, self.clock, signal_id=None, origin="stop_condition")
                )


def tick_hook(worker_id: str) -> Callable[[AppContext], Awaitable[None]]:
    """The engine as a per-worker hook (`tradedock.monitor.queue.QueueWorker.worker_hooks`, PostgreSQL workers): one
    round per tick in every worker, each under its own bot leases, so the workers share the bots."""

    async def execute_bots(ctx: AppContext) -> None:
        await ExecutionService(ctx, worker_id).run_round()

    return execute_bots


def _last_known(work: Work, symbol: str) -> tuple[Decimal, Decimal | None]:
    """The position before an order whose sender is gone: the last reconciliation's (reconciled after every
    action, so it predates the order), for the PnL of the fill."""
    stored = work.positions.get(symbol) or {}
    entry = stored.get("entry_price")
    return Decimal(str(stored.get("qty") or 0)), None if entry is None else Decimal(str(entry))


def _key_refused(error: TradeDockError) -> Unfit:
    return Unfit(
        "key_refused",
        f"the exchange refused the connection's key: {error.message}",
        error.fix or "Replace the key (tradedock replace ID), then start the bot again.",
    )


__all__: Sequence[str] = ["ExecutionPolicy", "ExecutionRound", "ExecutionService", "tick_hook"]
