"""The start-up canary's verdict from what it read — no database here, so both start-ups share it: the
SQLAlchemy one (`services.vault_admin.check_vault`, which may also write) and the CLI's read-only light one
(`services.light_read`).

What belongs here: which configured master keys the vault-internal rows (``vault_meta``: the fingerprint key and
the ``canary:<key id>`` sentinels) prove or disprove, which keys in use are not configured, the problems in words,
and the error a start-up raises. What does not: reading or writing rows (the callers), the cryptography
(`tradedock.vault`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from tradedock.errors import MasterKeyError, VaultError
from tradedock.vault import Vault

RESTORE_FIX = (
    "Configure the master key(s) this database was sealed with (TRADEDOCK_MASTER_KEY or TRADEDOCK_MASTER_KEY_FILE, "
    "restored from your backup); see docs/operations-vault.md."
)


class NamedWrappedKey(Protocol):
    """A ``vault_meta`` row: an ORM `db.models.VaultMeta` or a `db.direct.MetaRecord`."""

    @property
    def name(self) -> str: ...
    @property
    def kek_id(self) -> str: ...
    @property
    def wrapped(self) -> bytes: ...
    @property
    def aad_version(self) -> int: ...


@dataclass
class KeyProof:
    """Per master key id in use (``per_key``: connections wrapped under it): not configured (``unknown``), proven
    by a row it opens, or shown wrong (same id, other bytes). A caller may prove the rest (``unproven``) on a
    sample connection and add them to ``proven`` or ``wrong``."""

    primary_key_id: str
    key_ids: tuple[str, ...]
    per_key: dict[str, int]
    unknown: dict[str, int]
    proven: set[str] = field(default_factory=set)
    wrong: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return sum(self.per_key.values())

    @property
    def unproven(self) -> list[str]:
        return [k for k in self.per_key if k not in self.unknown and k not in self.proven and k not in self.wrong]

    @property
    def failures(self) -> int:
        """Connections under a configured key id whose key is the wrong one."""
        return sum(count for kek_id, count in self.per_key.items() if kek_id in self.wrong)

    def problems(self) -> list[str]:
        """Each problem in one sentence (empty: every connection opens, the primary key is the right one)."""
        problems: list[str] = []
        unknown, failures = sum(self.unknown.values()), self.failures
        if unknown or failures:
            parts = []
            if unknown:
                named = ", ".join(f"{kek_id!r} ({count})" for kek_id, count in sorted(self.unknown.items()))
                parts.append(f"{unknown} are sealed under master key id(s) not configured: {named}")
            if failures:
                parts.append(f"{failures} do not unwrap with the configured key of the same id (wrong key material)")
            problems.append(
                f"{unknown + failures} of {self.total} connection(s) cannot be opened with the configured "
                f"master key(s) [{', '.join(self.key_ids)}]: " + "; ".join(parts) + "."
            )
        if self.primary_key_id in self.wrong and not failures:
            problems.append(
                f"The primary master key {self.primary_key_id!r} does not open the sentinel sealed under it: "
                "the configured key with that id is not the one this database was sealed with."
            )
        return problems


def prove_keys(vault: Vault, per_key: Mapping[str, int], meta_rows: Iterable[NamedWrappedKey]) -> KeyProof:
    """What the vault-internal rows prove: a handful of unwraps, whatever the number of connections."""
    proof = KeyProof(
        primary_key_id=vault.primary_key_id,
        key_ids=vault.key_ids,
        per_key=dict(per_key),
        unknown={kek_id: count for kek_id, count in per_key.items() if kek_id not in vault.key_ids},
    )
    opened: set[str] = set()
    for row in meta_rows:
        if row.kek_id not in vault.key_ids:
            continue
        try:
            vault.unwrap_key(row.name, row)
        except VaultError:
            proof.wrong.add(row.kek_id)
        else:
            opened.add(row.kek_id)
    proof.proven = opened - proof.wrong
    return proof


def load_fingerprint_key(vault: Vault, row: NamedWrappedKey) -> str | None:
    """Load the stored fingerprint key into the vault; the problem in words if it cannot be opened."""
    try:
        vault.load_fingerprint_key(row)
    except VaultError as exc:
        return f"The vault's fingerprint key cannot be opened: {exc.message}"
    return None


def vault_error(problems: Iterable[str]) -> MasterKeyError:
    """What a start-up raises when the canary found problems (every one of them, and how to restore)."""
    return MasterKeyError(" ".join(problems), fix=RESTORE_FIX)
