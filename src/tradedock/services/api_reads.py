"""The HTTP API's hot reads: who is calling (API token or session cookie), a page of connections, one connection
with its last report — the same answers as `AccountService.check_token`/`check_session` and
`ConnectionService.list`/`show`, at a fraction of the CPU (issue 16 item 5).

How: each read is one SELECT on a plain DB-API connection held by a reader thread (`db.hot_reads`), so a request
pays one thread hand-off per statement instead of an ORM session, its transaction and, on SQLite, ~30 hand-offs to
aiosqlite (the views are built as everywhere: validating 50 of them costs less than pydantic's
``model_construct`` would). Nothing is cached: a revoked token or a signed-out session fails on the very next request.

What belongs here: `ApiReads` and the rules it applies on those rows (token/session validity via
`services.accounts`; ids and prefixes via `db.ids`). When the database is one only SQLAlchemy can open (an
in-memory SQLite), it answers through the ORM services instead. What does not: writes (the last-used ``touch``
stays with `AccountService`), or any other read.
"""

from __future__ import annotations

from types import TracebackType

from tradedock.db.hot_reads import HotReads
from tradedock.db.ids import may_be_prefix, not_found, the_one_match, wanted_id
from tradedock.services.accounts import (
    AccountService,
    Principal,
    cookie_hash,
    invalid_token,
    session_usable,
    signed_out,
    token_hash,
    touch_due,
)
from tradedock.services.connections import ConnectionService
from tradedock.services.context import AppContext
from tradedock.services.views import ConnectionDetail, ConnectionView


class ApiReads:
    """The API's hot reads for one app. Close with `aclose` (or ``async with``)."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._hot = HotReads.open(ctx.settings.resolved_database_url)

    @property
    def direct(self) -> bool:
        """Whether reads go the fast way (`db.hot_reads`) rather than through the ORM services."""
        return self._hot is not None

    async def aclose(self) -> None:
        if self._hot is not None:
            hot, self._hot = self._hot, None
            hot.close()

    async def __aenter__(self) -> ApiReads:
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.aclose()

    async def from_token(self, token: str) -> tuple[Principal, bool]:
        """As `AccountService.check_token`: the principal and whether its last-used time is due a touch."""
        if self._hot is None:
            async with self._ctx.reading() as session:
                return await AccountService(session, self._ctx.clock).check_token(token)
        row = await self._hot.run(lambda hot: hot.token(token_hash(token)))
        if row is None:
            raise invalid_token()
        found = Principal(row.user_id, row.email, row.is_operator, token_id=row.token_id)
        return found, touch_due(row.last_used_at, self._ctx.clock.now())

    async def from_session(self, cookie: str) -> tuple[Principal, bool]:
        """As `AccountService.check_session`."""
        if self._hot is None:
            async with self._ctx.reading() as session:
                return await AccountService(session, self._ctx.clock).check_session(cookie)
        row = await self._hot.run(lambda hot: hot.session(cookie_hash(cookie)))
        now = self._ctx.clock.now()
        if row is None or not session_usable(row.expires_at, row.last_seen_at, now):
            raise signed_out()
        found = Principal(row.user_id, row.email, row.is_operator, session_id=row.session_id)
        return found, touch_due(row.last_seen_at, now)

    async def connections(self, owner_id: str, *, limit: int, offset: int) -> list[ConnectionView]:
        """As `ConnectionService.list` with ``limit``/``offset``."""
        if self._hot is None:
            return await ConnectionService.for_owner_id(self._ctx, owner_id).list(limit=limit, offset=offset)
        rows = await self._hot.run(lambda hot: hot.page(owner_id, limit, offset))
        return [ConnectionView.from_row(row) for row in rows]

    async def connection(self, owner_id: str, id_or_prefix: str) -> ConnectionDetail:
        """As `ConnectionService.show`: an exact id, else a unique prefix of 4+ characters (`db.ids`)."""
        if self._hot is None:
            return await ConnectionService.for_owner_id(self._ctx, owner_id).show(id_or_prefix)
        wanted = wanted_id(id_or_prefix)  # text that is not id-like is never queried
        found = await self._hot.run(lambda hot: hot.detail(owner_id, wanted))
        if found is None:
            if not may_be_prefix(wanted):
                raise not_found(wanted)
            ids = await self._hot.run(lambda hot: hot.ids_with_prefix(owner_id, wanted))
            full_id = the_one_match(id_or_prefix, wanted, ids)
            found = await self._hot.run(lambda hot: hot.detail(owner_id, full_id))
            if found is None:  # removed in between
                raise not_found(wanted)
        row, run = found
        return ConnectionDetail.from_row_and_run(row, run)
