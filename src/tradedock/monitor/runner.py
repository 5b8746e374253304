"""`MonitorRunner`: rounds of `MonitorService` in a loop, as an asyncio task (serve) or the main task (worker).

What belongs here: the loop, its stop signal and its pacing. What does not: what a round does (services.monitor;
each round also runs the built-in strategies once, services.builtin_strategies, then the bots' execution engine
once, services.execution, and prunes old history every ten minutes, services.retention).
"""

from __future__ import annotations

import asyncio
import logging

from tradedock.eventloop import rest
from tradedock.services.builtin_strategies import BuiltinStrategyRunner
from tradedock.services.context import AppContext
from tradedock.services.execution import ExecutionService
from tradedock.services.monitor import MonitorService, RoundResult
from tradedock.services.retention import HistoryRetention

_log = logging.getLogger(__name__)


class MonitorRunner:
    def __init__(self, ctx: AppContext, *, service: MonitorService | None = None) -> None:
        self.ctx = ctx
        self.service = service or MonitorService(ctx)
        self.execution = ExecutionService(ctx, self.service.worker_id)
        self.builtins = BuiltinStrategyRunner(ctx)
        self.retention = HistoryRetention(ctx)
        self.stopping = asyncio.Event()
        self.rounds = 0
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Rounds until `stop()`; a round that fails is logged and the next one starts after the poll delay."""
        poll = self.ctx.settings.monitor_poll_s
        try:
            while not self.stopping.is_set():
                result: RoundResult | None = None
                try:
                    result = await self.service.run_round()
                except Exception:  # the loop outlives any one round (database restart, bug in one part, …)
                    _log.exception("monitor round failed; retrying in %.0f s", poll)
                await self._run_builtins()  # built-in strategies' signals first, so their orders go out this round
                executed = await self._execute()
                await self._prune()
                self.rounds += 1
                if executed or (result is not None and (result.claimed or result.deliveries)):
                    continue  # there may be more due right away
                await rest(self.stopping, poll)
        finally:
            await self.service.aclose()

    async def _prune(self) -> None:
        """History retention (services.retention), every ten minutes at most."""
        try:
            await self.retention.prune_if_due()
        except Exception:  # the loop outlives any one round
            _log.exception("history retention failed")

    async def _run_builtins(self) -> None:
        """One round of the built-in strategies (services.builtin_strategies): signals from market data."""
        try:
            await self.builtins.run_round()
        except Exception:  # the loop outlives any one round
            _log.exception("built-in strategy round failed")

    async def _execute(self) -> bool:
        """One round of the bots' execution engine; whether orders moved (more may be due right away)."""
        try:
            return (await self.execution.run_round()).worked
        except Exception:  # the loop outlives any one round
            _log.exception("bot execution round failed")
            return False

    def start(self) -> asyncio.Task[None]:
        """Run in the background of the current event loop (`tradedock serve`), after meeting the workers already
        running (`MonitorService.meet`: they count this process before its first request to an exchange)."""
        self._task = asyncio.create_task(self._meet_then_run(), name="tradedock-monitor")
        return self._task

    async def _meet_then_run(self) -> None:
        try:
            await self.service.meet(self.stopping)
        except Exception:  # e.g. the database not up yet: the rounds beat, and retry, on their own
            _log.exception("monitor: meeting the other workers failed; starting the rounds")
        await self.run()

    async def stop(self) -> None:
        self.stopping.set()
        if self._task is not None:
            await self._task
