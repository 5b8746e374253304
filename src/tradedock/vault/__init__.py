"""Envelope encryption of connection secrets (see ../shared/reference/security.md §2.6).

What belongs here: the public vault API re-exported for services — `Vault`, `open_vault`, `SealedSecrets`,
`SealContext`, `WrappedKey`. This package knows nothing about SQL or HTTP; the database layer stores what it
returns, and only services call `Vault.open`.
"""

from tradedock.vault.envelope import (
    AAD_VERSION,
    SealContext,
    SealedMaterial,
    SealedSecrets,
    WrappedKey,
    WrappedKeyMaterial,
)
from tradedock.vault.fingerprint import normalize_public_id
from tradedock.vault.keys import KeyRing, MasterKey, generate_key_line, load_key_ring, parse_key_spec
from tradedock.vault.vault import FINGERPRINT_KEY_NAME, Vault, open_vault

__all__ = [
    "AAD_VERSION",
    "FINGERPRINT_KEY_NAME",
    "KeyRing",
    "MasterKey",
    "SealContext",
    "SealedMaterial",
    "SealedSecrets",
    "Vault",
    "WrappedKey",
    "WrappedKeyMaterial",
    "generate_key_line",
    "load_key_ring",
    "normalize_public_id",
    "open_vault",
    "parse_key_spec",
]
