"""Integrity of one connection's sealed set, checked as a whole every time it is opened.

What belongs here: the rules that make a tampered set an *integrity error* rather than a wrong plaintext, a
missing-field verification failure or a traceback — every required field present and no stranger among them,
every blob authenticating under the connection's data key, and the decrypted public id matching the
fingerprint stored on the connection row (which is what binds the sealed rows to the connection's *current*
key: rows rolled back to an earlier key after a ``replace`` carry the old key's public id). What does not: the
cryptography (`envelope.py`) or deciding what the shell shows (it prints the error's message and fix).

Messages name the connection id, field names the exchange takes and the kind of damage — never a value. A
field name found in the database that the exchange does not take is described by its length only.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Collection

from tradedock.errors import VaultIntegrityError

logger = logging.getLogger("tradedock.vault.vault")

INTEGRITY_FIX = (
    "The stored secrets of this connection were changed outside TradeDock. Operator: restore the connection's "
    "rows from a backup taken after its last connect/replace, and find out who can write to the database "
    "(docs/operations-vault.md, 'Integrity errors'). Owner: replace the key with `tradedock replace ID` "
    "(a fresh key from the exchange) or remove the connection."
)


def integrity_error(connection_id: str, reason: str, detail: str) -> VaultIntegrityError:
    return VaultIntegrityError(
        f"Integrity error: the stored secrets of connection {connection_id} {detail}. Nothing was sent to the "
        "exchange and the connection's status was not changed.",
        connection_id=connection_id,
        reason=reason,
        fix=INTEGRITY_FIX.replace("ID", connection_id),
    )


def check_field_set(connection_id: str, stored: Collection[str], required: Collection[str]) -> None:
    """Every required field present, and nothing the exchange does not take."""
    missing = [name for name in required if name not in stored]
    if missing:
        raise integrity_error(
            connection_id, "field_missing", f"lack the field(s) {', '.join(missing)} (a stored row was deleted)"
        )
    strangers = [name for name in stored if name not in required]
    if strangers:
        sizes = ", ".join(f"{len(name)} characters" for name in strangers)
        detail = f"hold {len(strangers)} field(s) this exchange does not take (names of {sizes}; not shown)"
        raise integrity_error(connection_id, "field_unexpected", detail)


def check_fingerprint(connection_id: str, actual: str, expected: str) -> None:
    """The decrypted public id must be the key the connection row says it holds."""
    if not hmac.compare_digest(actual, expected):
        raise integrity_error(
            connection_id,
            "key_version_mismatch",
            "hold a different exchange key than the connection records (the sealed rows were rolled back to an "
            "earlier key, or copied from another connection)",
        )


def field_mismatch(connection_id: str, name: str) -> VaultIntegrityError:
    return integrity_error(
        connection_id,
        "field_altered",
        f"do not authenticate: field {name} was altered, or belongs to another connection, owner or field",
    )


def wrap_mismatch(connection_id: str, key_id: str) -> VaultIntegrityError:
    return integrity_error(
        connection_id,
        "data_key_altered",
        f"do not authenticate: the wrapped data key does not open with master key {key_id!r} (the row was "
        f"altered or moved from another connection, or the configured key {key_id!r} is not the original one)",
    )


def secrets_missing(connection_id: str) -> VaultIntegrityError:
    """The connection row exists but its wrapped data key row does not (deleted outside TradeDock)."""
    error = integrity_error(connection_id, "secrets_missing", "are missing (the wrapped data key row was deleted)")
    logger.warning("vault integrity error: connection %s: %s", connection_id, error.reason)
    return error
