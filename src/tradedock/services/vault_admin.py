"""Vault administration: the startup canary (`check_vault`) and master-key rotation.

What belongs here: proving each master key in use against a sentinel sealed under it (not every row), loading
(or on an empty database creating) the fingerprint key, and re-wrapping data keys under the primary master
key. What does not: the cryptography (tradedock.vault) or SQL (tradedock.db.repositories).

Transactions: `check_vault` and `rotate_master_key` flush inside the caller's session (the shell commits).
`rotate_in_batches` — what ``tradedock vault rotate`` runs — owns its transactions instead: it reads a batch
in one short transaction, re-wraps in memory, and writes it in another, committed before the next batch. A
kill loses at most one batch of work; running it again resumes (only rows not yet under the primary key are
visited), and other writers wait at most one batch's write, never the whole rotation.
"""

from __future__ import annotations

import asyncio
import secrets as secrets_module
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.db.repositories import SecretRepository, VaultMetaRepository
from tradedock.db.repositories.secrets import SealedRow, WebhookWrapRepository, WrapSwap
from tradedock.errors import VaultError
from tradedock.services.vault_canary import RESTORE_FIX, load_fingerprint_key, prove_keys, vault_error
from tradedock.vault import FINGERPRINT_KEY_NAME, SealContext, Vault

DEFAULT_BATCH_SIZE = 500
#: Pause after each committed rotation batch, so writers waiting on SQLite's lock (whose busy handler polls
#: every few to 100 ms) get in before the next batch takes it.
BATCH_PAUSE_S = 0.05
#: ``vault_meta`` names of the canary sentinels: ``canary:<master key id>`` holds random bytes sealed under it.
SENTINEL_PREFIX = "canary:"


@dataclass(frozen=True)
class RotationResult:
    """What a rotation did. ``remaining_on_old`` must be 0 before an old master key may be removed."""

    primary_key_id: str
    moved: int
    remaining_on_old: int
    per_key: dict[str, int]
    failed: int = 0
    meta_moved: int = 0
    webhooks_moved: int = 0

    @property
    def complete(self) -> bool:
        return self.remaining_on_old == 0 and self.failed == 0


@dataclass(frozen=True)
class VaultHealth:
    """The canary's verdict. ``ok`` is False whenever any stored secret cannot be opened."""

    primary_key_id: str
    key_ids: tuple[str, ...]
    total_connections: int
    per_key: dict[str, int]
    unknown_key_ids: dict[str, int]
    unwrap_failures: int
    fingerprint_key: str  # "loaded", "created", "missing" or "unopenable"
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unopenable(self) -> int:
        """Connections whose secrets cannot be opened with the configured master keys."""
        return sum(self.unknown_key_ids.values()) + self.unwrap_failures

    @property
    def message(self) -> str:
        """Every problem in one sentence each, or a one-line all-clear."""
        if self.problems:
            return " ".join(self.problems)
        return (
            f"Vault healthy: {self.total_connections} connection(s) open with master key(s) "
            f"[{', '.join(self.key_ids)}], primary {self.primary_key_id!r}."
        )

    @property
    def fix(self) -> str | None:
        return RESTORE_FIX if self.problems else None

    def raise_for_problems(self) -> None:
        """Raise `MasterKeyError` describing every problem (callers fail loudly at start-up)."""
        if self.problems:
            raise vault_error(self.problems)


def _context(row: SealedRow) -> SealContext:
    return SealContext(owner_id=row.owner_id, connection_id=row.connection_id, exchange=row.exchange)


async def _fingerprint_key_state(session: AsyncSession, vault: Vault, total_connections: int) -> tuple[str, str | None]:
    """Load the fingerprint key into the vault, creating it on a database without connections."""
    meta = VaultMetaRepository(session)
    row = await meta.get(FINGERPRINT_KEY_NAME)
    if row is None:
        if total_connections:
            return "missing", (
                f"The vault's fingerprint key is missing from the database although {total_connections} "
                "connection(s) exist; duplicate-key detection cannot work. Restore the database from a backup."
            )
        wrapped = vault.new_fingerprint_key()
        inserted = await meta.insert(
            FINGERPRINT_KEY_NAME, kek_id=wrapped.kek_id, wrapped=wrapped.wrapped, aad_version=wrapped.aad_version
        )
        if inserted is not None:
            return "created", None
        row = await meta.get(FINGERPRINT_KEY_NAME)  # another process created it first: use theirs
        if row is None:
            raise VaultError("the fingerprint key row vanished while being created; retry")
    problem = load_fingerprint_key(vault, row)
    return ("unopenable", problem) if problem else ("loaded", None)


async def _ensure_sentinel(session: AsyncSession, vault: Vault, proven: set[str]) -> None:
    """Seal a sentinel under the primary master key if no vault-internal row proves it yet."""
    if vault.primary_key_id in proven:
        return
    name = f"{SENTINEL_PREFIX}{vault.primary_key_id}"
    wrapped = vault.wrap_key(name, secrets_module.token_bytes(32))
    await VaultMetaRepository(session).insert(
        name, kek_id=wrapped.kek_id, wrapped=wrapped.wrapped, aad_version=wrapped.aad_version
    )  # None = another process sealed it first: fine


async def check_vault(session: AsyncSession, vault: Vault, *, batch_size: int = DEFAULT_BATCH_SIZE) -> VaultHealth:
    """The startup canary: which connections the configured master keys cannot open; load the fingerprint key.

    O(master keys), not O(connections): per master key id in use, a sentinel sealed under it (``vault_meta``
    rows ``canary:<key id>``, and the fingerprint key) must unwrap — a key with the right id but the wrong bytes
    fails there as surely as on every row. A key in use with no sentinel yet (an older database) is proven by
    unwrapping one of its connections. A sentinel under the primary key is sealed when missing. Call once at
    start-up in a write transaction, then ``raise_for_problems()``. (``batch_size`` is kept for callers.)
    """
    del batch_size
    secrets = SecretRepository(session)
    proof = prove_keys(vault, await secrets.count_by_kek_id(), await VaultMetaRepository(session).list_all())
    for kek_id in proof.unproven:
        sample = await secrets.first_for_key(kek_id)
        if sample is None:
            continue
        try:
            vault.verify(sample.secrets, _context(sample))
        except VaultError:
            proof.wrong.add(kek_id)
        else:
            proof.proven.add(kek_id)
    problems = proof.problems()
    state, problem = await _fingerprint_key_state(session, vault, proof.total)
    if problem:
        problems.append(problem)
    if not problems:  # a start-up about to refuse (wrong or missing key) writes nothing under the configured key
        await _ensure_sentinel(session, vault, proof.proven)
    return VaultHealth(
        primary_key_id=vault.primary_key_id,
        key_ids=vault.key_ids,
        total_connections=proof.total,
        per_key=proof.per_key,
        unknown_key_ids=proof.unknown,
        unwrap_failures=proof.failures,
        fingerprint_key=state,
        problems=tuple(problems),
    )


async def rotate_master_key(
    session: AsyncSession,
    vault: Vault,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    after_batch: Callable[[int], Awaitable[None]] | None = None,
) -> RotationResult:
    """Re-wrap every data key not under the primary master key; field ciphertexts are untouched.

    Idempotent and resumable: only rows not yet on the primary are visited, and each swap is conditional on the
    row still being under the key it was read with (a concurrent replace wins). ``after_batch(moved_so_far)``
    lets the shell commit between batches. Rows no configured key can open are counted in ``failed``.
    """
    secrets = SecretRepository(session)
    primary = vault.primary_key_id
    moved = failed = 0
    async for batch in secrets.iter_batches(batch_size=batch_size, exclude_kek_id=primary):
        for row in batch:
            try:
                rewrapped = vault.rewrap(row.secrets, _context(row))
            except VaultError:
                failed += 1
                continue
            if await secrets.update_wrap(
                row.connection_id,
                expected_kek_id=row.secrets.kek_id,
                kek_id=rewrapped.kek_id,
                wrapped_dek=rewrapped.wrapped_dek,
                aad_version=rewrapped.aad_version,
            ):
                moved += 1
        await session.flush()
        if after_batch is not None:
            await after_batch(moved)
    meta_moved = await _rewrap_meta(session, vault)
    per_key = await secrets.count_by_kek_id()
    return RotationResult(
        primary_key_id=primary,
        moved=moved,
        remaining_on_old=sum(count for kek_id, count in per_key.items() if kek_id != primary),
        per_key=per_key,
        failed=failed,
        meta_moved=meta_moved,
    )


@dataclass(frozen=True)
class RotationProgress:
    """Reported after each committed batch of `rotate_in_batches`."""

    batches: int
    moved: int
    failed: int


Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def rotate_in_batches(
    transaction: Transaction,
    vault: Vault,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[RotationProgress], None] | None = None,
    reading: Transaction | None = None,
    pause_s: float = BATCH_PAUSE_S,
) -> RotationResult:
    """Re-wrap every data key not under the primary master key, one committed batch at a time.

    ``transaction()`` opens one unit of work that commits on exit (``AppContext.transaction``); ``reading()``,
    if given, a read-only one for the batch reads (``AppContext.reading``: on SQLite it never queues behind a
    writer). Each batch is
    read in one transaction and written in the next, each swap conditional on the row still being under the
    key it was read with (a concurrent replace, which seals under the primary, wins). Rows no configured key
    opens are counted in ``failed`` and skipped. Safe to kill at any point and to run again.
    """
    primary = vault.primary_key_id
    moved = failed = batches = 0
    after = ""
    while True:
        async with (reading or transaction)() as session:
            batch = await SecretRepository(session).wraps_after(after, batch_size=batch_size, exclude_kek_id=primary)
        if not batch:
            break
        after = batch[-1].row_id
        swaps = []
        for row in batch:
            try:
                swaps.append((row, vault.rewrap(row, SealContext(row.owner_id, row.row_id, row.exchange))))
            except VaultError:
                failed += 1
        async with transaction() as session:
            moved += await SecretRepository(session).update_wraps(
                [WrapSwap(row.row_id, row.kek_id, new.kek_id, new.wrapped_dek, new.aad_version) for row, new in swaps]
            )
        batches += 1
        if on_batch is not None:
            on_batch(RotationProgress(batches=batches, moved=moved, failed=failed))
        await asyncio.sleep(pause_s)  # let writers queued on the lock (other processes too) go first
    webhooks_moved, webhooks_failed = await _rewrap_webhooks(transaction, reading or transaction, vault, batch_size)
    async with transaction() as session:
        meta_moved = await _rewrap_meta(session, vault)
        per_key = await SecretRepository(session).count_by_kek_id()
        webhook_keys = await WebhookWrapRepository(session).count_by_kek_id()
    return RotationResult(
        primary_key_id=primary,
        moved=moved,
        remaining_on_old=sum(count for kek_id, count in per_key.items() if kek_id != primary)
        + sum(count for kek_id, count in webhook_keys.items() if kek_id != primary),
        per_key=per_key,
        failed=failed + webhooks_failed,
        meta_moved=meta_moved,
        webhooks_moved=webhooks_moved,
    )


#: The ``exchange`` part of a webhook secret's seal context (services.webhooks seals with the same value).
WEBHOOK_SEAL_KIND = "webhook"


async def _rewrap_webhooks(
    transaction: Transaction, reading: Transaction, vault: Vault, batch_size: int
) -> tuple[int, int]:
    """Re-wrap webhook signing secrets' data keys like connections', batch by batch; (moved, failed)."""
    primary = vault.primary_key_id
    moved = failed = 0
    after = ""
    while True:
        async with reading() as session:
            batch = await WebhookWrapRepository(session).batch_after(
                after, batch_size=batch_size, exclude_kek_id=primary
            )
        if not batch:
            return moved, failed
        after = batch[-1].row_id
        swaps = []
        for row in batch:
            try:
                swaps.append((row, vault.rewrap(row, SealContext(row.owner_id, row.row_id, WEBHOOK_SEAL_KIND))))
            except VaultError:
                failed += 1
        async with transaction() as session:
            wraps = WebhookWrapRepository(session)
            for row, rewrapped in swaps:
                moved += await wraps.update_wrap(
                    row.row_id,
                    expected_kek_id=row.kek_id,
                    kek_id=rewrapped.kek_id,
                    wrapped_dek=rewrapped.wrapped_dek,
                    aad_version=rewrapped.aad_version,
                )


async def _rewrap_meta(session: AsyncSession, vault: Vault) -> int:
    meta = VaultMetaRepository(session)
    moved = 0
    for row in await meta.list_all():
        if row.kek_id == vault.primary_key_id:
            continue
        wrapped = vault.rewrap_key(row.name, row)
        await meta.update_wrap(
            row.name, kek_id=wrapped.kek_id, wrapped=wrapped.wrapped, aad_version=wrapped.aad_version
        )
        moved += 1
    return moved
