"""Bulk storing of keys without contacting the exchange: seal many connections and insert them in batches.

What belongs here: validating each key's fields like a connect does (`validate_credentials`), sealing it through
the vault, and storing a batch with `ConnectionRepository.add_many` (one duplicate-key query and three
executemany INSERTs per batch, each batch its own short transaction, one audit record per batch naming counts
only). A key already connected, or given twice, is refused and reported by its position; the others are stored.
A batch whose transaction fails stores nothing of that batch; earlier batches stay stored.

What does not: verification. Keys stored here were *not* checked against the exchange: the caller says which
status to record (imports of already-verified keys, the sandbox, benchmarks and tests seeding a fleet); the
monitor checks every connection on its first round.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tradedock.db.repositories.connections import NewConnection
from tradedock.domain import ExchangeId, mask
from tradedock.services import records
from tradedock.services.context import AppContext
from tradedock.services.credentials import check_label, validate_credentials
from tradedock.vault import SealContext

DEFAULT_BATCH_SIZE = 1000


@dataclass(frozen=True, repr=False)
class KeyToStore:
    """One key to store: its exchange, where and how it is used, and its credential fields."""

    exchange: ExchangeId
    environment: str
    label: str
    scope: str
    fields: Mapping[str, str]
    contract_type: str | None = None
    status: str = "connected"

    def __repr__(self) -> str:
        return f"KeyToStore(exchange={self.exchange.value!r}, label={self.label!r}, fields=***)"


@dataclass(frozen=True)
class StoredMany:
    """Connection ids in the order of the keys given (``None`` where refused), and the refused positions."""

    connection_ids: list[str | None] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return sum(1 for cid in self.connection_ids if cid is not None)


async def store_many(
    ctx: AppContext,
    owner: str,
    keys: Sequence[KeyToStore],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> StoredMany:
    """Validate, seal and store ``keys`` for user ``owner``, ``batch_size`` per transaction (see module doc).

    Bad input in any key raises `InvalidInputError` (naming the field) before anything is stored."""
    checked = []
    for key in keys:
        credentials, _ = validate_credentials(key.exchange, key.fields)
        check_label(key.label, credentials)
        checked.append((key, credentials))
    async with ctx.transaction() as session:
        owner_id = await records.Store(session, ctx.clock).owner_id(owner)
    result = StoredMany()
    for start in range(0, len(checked), batch_size):
        batch = []
        for key, credentials in checked[start : start + batch_size]:
            connection_id = str(uuid.uuid4())
            exchange = key.exchange.value
            batch.append(
                NewConnection(
                    connection_id=connection_id,
                    owner_id=owner_id,
                    exchange=exchange,
                    environment=key.environment,
                    label=key.label,
                    scope=key.scope,
                    status=key.status,
                    key_fingerprint=ctx.vault.fingerprint(exchange, credentials.public_id),
                    masked_key=mask(credentials.public_id),
                    sealed=ctx.vault.seal(dict(credentials.fields), SealContext(owner_id, connection_id, exchange)),
                    contract_type=key.contract_type,
                )
            )
        async with ctx.transaction() as session:
            store = records.Store(session, ctx.clock)
            done = await store.connections.add_many(batch)
            await store.audit(owner_id, None, "bulk_store", {"stored": len(done.added), "refused": len(done.refused)})
        refused = set(done.refused)
        for position, item in enumerate(batch, start=start):
            if item.connection_id in refused:
                result.refused.append(position)
                result.connection_ids.append(None)
            else:
                result.connection_ids.append(item.connection_id)
        if on_batch is not None:
            on_batch(result.stored)
    return result
