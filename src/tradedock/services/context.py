"""The composition root: settings, clock, database, vault and exchange access wired together once per process.

What belongs here: `open_app()` (migrate the database once under a lock, open the vault, run the startup canary
and fail loudly on a wrong or missing master key), `upgrade_database()` (``tradedock db upgrade``), and the two
units of work services use: `AppContext.transaction()` (may write: ``BEGIN IMMEDIATE`` on SQLite) and
`AppContext.reading()` (read-only), and `hook_per_context` (a worker hook keeping one service object per context).
What does not: business rules (those are in `services.connections`), or
anything built at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tradedock.clock import Clock, SystemClock
from tradedock.config import Settings, ensure_home, load_settings
from tradedock.db import make_engine, make_sessionmaker
from tradedock.db.migrate import migrate
from tradedock.domain import ExchangeId
from tradedock.services.exchange_access import ExchangeAccess
from tradedock.services.vault_admin import check_vault
from tradedock.vault import Vault, open_vault

R = TypeVar("R")


@dataclass
class AppContext:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    vault: Vault
    access: ExchangeAccess
    notes: list[str] = field(default_factory=list)
    read_sessions: async_sessionmaker[AsyncSession] | None = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that may write: commit on success, roll back on any exception (including
        cancellation). Keep it short and never await an exchange inside it."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work (never queues behind a writer on SQLite). Writing in it is a bug."""
        sessions = self.read_sessions or self.sessions
        async with sessions() as session, session.begin():
            yield session

    async def aclose(self) -> None:
        await self.access.aclose()
        await self.engine.dispose()


async def upgrade_database(settings: Settings | None = None) -> bool:
    """``tradedock db upgrade``: apply pending migrations once, under the lock; ``True`` if any were applied."""
    settings = settings or load_settings()
    ensure_home(settings)
    engine = make_engine(settings.resolved_database_url)
    try:
        return await migrate(engine)
    finally:
        await engine.dispose()


async def open_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    transports: Mapping[ExchangeId, httpx.AsyncBaseTransport] | None = None,
) -> AppContext:
    """Open TradeDock: data dir, migrations (once, under a lock), vault, startup canary. Raises `MasterKeyError`."""
    settings = settings or load_settings()
    ensure_home(settings)
    clock = clock or SystemClock()
    engine = make_engine(settings.resolved_database_url)
    try:
        await migrate(engine)
        vault = open_vault(settings)
        sessions = make_sessionmaker(engine)
        async with sessions() as session, session.begin():
            health = await check_vault(session, vault)
        health.raise_for_problems()
    except BaseException:
        await engine.dispose()
        raise
    access = ExchangeAccess(settings=settings, clock=clock, transports=dict(transports or {}))
    context = AppContext(
        settings, clock, engine, sessions, vault, access, read_sessions=make_sessionmaker(engine, write=False)
    )
    if vault.created_key_file is not None:
        context.notes.append(first_run_note(vault.created_key_file))
    return context


def first_run_note(path: Path) -> str:
    """What a user must hear once, when TradeDock generated the master key on first run."""
    return (
        f"A new master key was generated at {path}. Back it up now, apart from the database (a password manager "
        "or offline copy): without it no stored exchange key can ever be opened again. If it is lost, start over: "
        "delete the database, then reconnect every exchange key (see docs/operations-vault.md, 'Backups')."
    )


def hook_per_context(
    name: str, make: Callable[[AppContext], R], step: Callable[[R], Awaitable[Any]]
) -> Callable[[AppContext], Awaitable[None]]:
    """A worker hook (``monitor.queue.TickHook``, named ``name`` in its log lines) that runs ``step`` on one object
    per app context, made by ``make`` on first use: what that object remembers (pacing, when it last ran) lasts as
    long as the process."""
    made: dict[int, R] = {}

    async def hook(ctx: AppContext) -> None:
        runner = made.get(id(ctx))
        if runner is None:
            runner = made[id(ctx)] = make(ctx)
        await step(runner)

    hook.__name__ = hook.__qualname__ = name
    return hook
