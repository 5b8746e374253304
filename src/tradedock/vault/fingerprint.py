"""Keyed fingerprints of public key ids: one exchange key ↔ one tenant (security.md §2.6 item 7).

What belongs here: normalising a public id (API key, Aster API-wallet address) and the keyed HMAC over it.
What does not: where the fingerprint key comes from (it is random, wrapped by the master key and kept in the
``vault_meta`` table; see `Vault.load_fingerprint_key`), or the unique index (the database).

Normalisation (decided here, documented in docs/operations-vault.md):
- every whitespace and zero-width character is removed (pasted keys often carry them; no exchange issues a
  key containing one) — the same cleaning `Credentials.trimmed` applies;
- case is kept: Bybit and Bitget API keys are case-sensitive, so a key in another case is another (invalid)
  key that verification rejects;
- except EVM addresses (``0x`` + 40 hex digits, Aster's API wallet): their case is only a checksum, so they are
  lower-cased.
The exchange name is part of the HMAC input, so equal strings on two exchanges never collide.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from tradedock.vault.envelope import encode_aad

_EVM_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_PLAIN = re.compile(r"[\x21-\x7e]*")
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")
FINGERPRINT_VERSION = "fp1"


def normalize_public_id(public_id: str) -> str:
    """Drop whitespace and zero-width characters; lower-case EVM addresses only."""
    if _PLAIN.fullmatch(public_id):
        cleaned = public_id  # printable ASCII without spaces: nothing to drop (checked in C)
    else:
        cleaned = "".join(ch for ch in public_id if not ch.isspace() and ch not in _INVISIBLE)
    if _EVM_ADDRESS.match(cleaned):
        return cleaned.lower()
    return cleaned


def compute_fingerprint(fingerprint_key: bytes, exchange: str, public_id: str) -> str:
    """HMAC-SHA256 (hex, 64 chars) of the normalised id; without the key it cannot be computed or guessed."""
    message = encode_aad(FINGERPRINT_VERSION, exchange.strip().lower(), normalize_public_id(public_id))
    return hmac.new(fingerprint_key, message, hashlib.sha256).hexdigest()
