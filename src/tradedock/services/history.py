"""A connection's verification history: its stored runs, newest first, as typed views.

What belongs here: paging through ``verification_runs`` of one owner's connection. The connection is looked up
by owner first, so another owner's connection is `NotFoundError` exactly like a missing one. What does not:
running verifications (services.connections).
"""

from __future__ import annotations

from tradedock.db.ids import not_found
from tradedock.db.repositories import VerificationRunRepository
from tradedock.services import records
from tradedock.services.context import AppContext
from tradedock.services.views import RunView


async def connection_history(
    ctx: AppContext, owner: str, connection_id: str, *, limit: int, offset: int
) -> list[RunView]:
    async with ctx.reading() as session:
        store = records.Store(session, ctx.clock)
        user = await store.users.get_by_name(owner)  # a read: never creates the owner
        if user is None:
            raise not_found(connection_id)
        row = await store.connection(user.id, connection_id)
        owner_id = user.id
        runs = await VerificationRunRepository(session).list_for_connection(
            owner_id, row.id, limit=limit, offset=offset
        )
        return [RunView.from_run(run) for run in runs]
