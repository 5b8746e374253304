"""The HTTP API's hot reads: who is calling (API token or session cookie), a page of connections, one connection
with its last report — the same answers as `AccountService.check_token`/`check_session` and
`ConnectionService.list`/`show`, at a fraction of the CPU (issue 16 item 5).

How: each read is one SELECT on a plain DB-API connection held by a reader thread (`db.hot_reads`), and list and
show check the caller in the same thread call as their read, so such a request pays one thread hand-off instead
of an ORM session, its transaction and, on SQLite, ~30 hand-offs to aiosqlite. The views are built as everywhere
(validating 50 in one call costs less than pydantic's ``model_construct`` would). Nothing is cached: a revoked
token or a signed-out session fails on the very next request.

What belongs here: `ApiReads` and the rules it applies on those rows (token/session validity via
`services.accounts`; ids and prefixes via `db.ids`). When the database is one only SQLAlchemy can open (an
in-memory SQLite), it answers through the ORM services instead. What does not: writes (the last-used ``touch``
stays with `AccountService`), or any other read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TypeVar

from pydantic import TypeAdapter

from tradedock.db.hot_reads import ConnectionRow, HotReads, RunRow, SessionRow, TokenRow
from tradedock.db.ids import may_be_prefix, not_found, the_one_match, wanted_id
from tradedock.errors import NotFoundError
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

T = TypeVar("T")

#: A page's views validated in one call (as `ConnectionView.from_row` does one by one).
_VIEWS = TypeAdapter(list[ConnectionView])


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

    async def caller(self, presented: Presented) -> tuple[Principal, bool]:
        """As `AccountService.check_token` (a token) or `check_session` (else the cookie): who is calling, and
        whether the last-used (last-seen) time is due a touch. `AuthenticationError` when neither is valid."""
        who, due, _ = await self._caller_then(presented, None)
        return who, due

    async def connections_for(
        self, presented: Presented, *, limit: int, offset: int
    ) -> tuple[Principal, bool, list[ConnectionView]]:
        """`caller` and, in the same hand-off, the caller's connections as `ConnectionService.list` with
        ``limit``/``offset`` (oldest first)."""
        if self._hot is None:
            who, due = await self.caller(presented)
            views = await ConnectionService.for_owner_id(self._ctx, who.user_id).list(limit=limit, offset=offset)
            return who, due, views
        who, due, rows = await self._caller_then(presented, lambda hot, owner_id: hot.page(owner_id, limit, offset))
        return who, due, _VIEWS.validate_python([ConnectionView.row_fields(row) for row in rows or ()])

    async def connection_for(self, presented: Presented, id_or_prefix: str) -> tuple[Principal, bool, FirstLook]:
        """`caller` and, in the same hand-off, a first look for the caller's connection with exactly this id;
        `connection` turns it into the view (or the error) once the caller is admitted."""
        try:
            wanted: str | None = wanted_id(id_or_prefix)  # text that is not id-like is never queried
        except NotFoundError:
            wanted = None
        if self._hot is None or wanted is None:
            who, due = await self.caller(presented)
            return who, due, FirstLook(wanted, None)
        exact = wanted
        who, due, found = await self._caller_then(presented, lambda hot, owner_id: hot.detail(owner_id, exact))
        return who, due, FirstLook(wanted, found)

    async def connection(self, owner_id: str, id_or_prefix: str, first: FirstLook) -> ConnectionDetail:
        """As `ConnectionService.show`: an exact id, else a unique prefix of 4+ characters (`db.ids`)."""
        if first.wanted is None:
            raise not_found(id_or_prefix)
        if self._hot is None:
            return await ConnectionService.for_owner_id(self._ctx, owner_id).show(id_or_prefix)
        wanted, found = first.wanted, first.found
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

    async def _caller_then(
        self, presented: Presented, read: Callable[[HotReads, str], T] | None
    ) -> tuple[Principal, bool, T | None]:
        """Who is calling and, when the credentials are valid, ``read(hot, user_id)``: one hand-off for both."""
        if self._hot is None:
            async with self._ctx.reading() as session:
                accounts = AccountService(session, self._ctx.clock)
                if presented.token is not None:
                    who, due = await accounts.check_token(presented.token)
                elif presented.cookie is not None:
                    who, due = await accounts.check_session(presented.cookie)
                else:
                    raise signed_out()
            return who, due, None
        now = self._ctx.clock.now()
        token, cookie = presented.token, presented.cookie

        def work(hot: HotReads) -> tuple[TokenRow | SessionRow | None, T | None]:
            row: TokenRow | SessionRow | None
            if token is not None:
                row = hot.token(token_hash(token))
            elif cookie is not None:
                row = hot.session(cookie_hash(cookie))
                if row is not None and not session_usable(row.expires_at, row.last_seen_at, now):
                    row = None
            else:
                row = None
            return row, (read(hot, row.user_id) if row is not None and read is not None else None)

        row, result = await self._hot.run(work)
        if isinstance(row, TokenRow):
            return (
                Principal(row.user_id, row.email, row.is_operator, token_id=row.token_id),
                touch_due(row.last_used_at, now),
                result,
            )
        if isinstance(row, SessionRow):
            return (
                Principal(row.user_id, row.email, row.is_operator, session_id=row.session_id),
                touch_due(row.last_seen_at, now),
                result,
            )
        raise invalid_token() if token is not None else signed_out()


@dataclass(frozen=True)
class Presented:
    """What a request presented to prove who it is: a personal API token (it wins) or a session cookie."""

    token: str | None = None
    cookie: str | None = None


@dataclass(frozen=True)
class FirstLook:
    """`ApiReads.connection_for`'s read: the id as stored (``None``: not id-like) and the exact match, if any."""

    wanted: str | None
    found: tuple[ConnectionRow, RunRow | None] | None
