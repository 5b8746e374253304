"""History retention: what the monitor writes on every re-check does not pile up for ever.

Each re-check writes a verification run (with its 13 check results) and an audit entry: 10,000 connections checked
hourly make 240,000 runs, 3.1 million result rows and 240,000 audit entries a day. The monitor deletes those older
than ``history_days`` (`Settings.history_days`, default 90; 0 keeps everything): verification runs of any trigger
except each connection's latest (the report behind its status), and the audit entries of the monitor's own
re-checks (``schedule``). What users and operators did (connect, check, replace, remove, …) stays in the audit log.

What belongs here: when to prune and in what steps. What does not: the queries (db.repositories), the loops that
call it (monitor.runner for `serve` and SQLite workers, monitor.queue's tick for PostgreSQL workers).

Deletes go in batches of `BATCH`, each in its own short transaction (no long lock on the tables the monitor writes),
at most `MAX_BATCHES` per call: a backlog (the first run on an old database) is worked off over a few calls. Any
number of workers may prune at once: they delete the same oldest rows, and a row deleted twice is simply not there.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tradedock.clock import Clock
from tradedock.db.repositories import AuditRepository, VerificationRunRepository
from tradedock.services.context import AppContext, hook_per_context
from tradedock.services.monitor_batch import TRIGGER

_log = logging.getLogger(__name__)

#: How often one process prunes (a call sooner does nothing).
EVERY = timedelta(minutes=10)
#: Rows deleted per transaction (a run takes its check results with it: ~14 rows each).
BATCH = 1000
#: Transactions per call at most.
MAX_BATCHES = 20


@dataclass(frozen=True)
class Pruned:
    runs: int = 0
    audit_entries: int = 0


class HistoryRetention:
    """Prunes old history; one per process (it remembers when it last ran)."""

    def __init__(self, ctx: AppContext, clock: Clock | None = None) -> None:
        self.ctx = ctx
        self.clock = clock or ctx.clock
        self._last: datetime | None = None

    async def prune_if_due(self) -> Pruned:
        """`prune` unless this process pruned less than `EVERY` ago or retention is off (``history_days`` 0)."""
        now = self.clock.now()
        if self.ctx.settings.history_days == 0 or (self._last is not None and now - self._last < EVERY):
            return Pruned()
        self._last = now
        return await self.prune(now)

    async def prune(self, now: datetime) -> Pruned:
        """Delete the runs and the monitor's audit entries older than ``history_days`` before ``now``."""
        before = now - timedelta(days=self.ctx.settings.history_days)
        runs = audits = 0
        for _ in range(MAX_BATCHES):
            async with self.ctx.transaction() as session:
                deleted = await VerificationRunRepository(session).delete_older(before, BATCH)
            runs += deleted
            if deleted < BATCH:
                break
        for _ in range(MAX_BATCHES):
            async with self.ctx.transaction() as session:
                deleted = await AuditRepository(session).delete_older(TRIGGER, before, BATCH)
            audits += deleted
            if deleted < BATCH:
                break
        if runs or audits:
            _log.info("history retention: deleted %d verification run(s) and %d monitor audit entries", runs, audits)
        return Pruned(runs, audits)


def retention_tick_hook() -> Callable[[AppContext], Awaitable[None]]:
    """A worker tick hook (``monitor.queue.TickHook``) pruning old history, with one `HistoryRetention` (and so one
    memory of the last prune) per process."""
    return hook_per_context("prune_history", HistoryRetention, HistoryRetention.prune_if_due)
