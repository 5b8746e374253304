"""Helpers shared by the repositories: JSON-safe conversion and the guard that keeps secrets out of JSON.

What belongs here: small pure functions the repositories apply before writing JSON columns. What does not:
queries (each repository module) or models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from tradedock.domain import to_jsonable

#: JSON keys that must never be written to the database in clear (audit details, evidence, balances).
SECRET_KEY_NAMES = frozenset(
    {"secret", "api_secret", "secret_key", "passphrase", "private_key", "password", "master_key", "dek"}
)


def jsonable(value: Any) -> Any:
    """JSON-safe values for a JSON column: the one conversion, `tradedock.domain.to_jsonable`."""
    return to_jsonable(value)


def refuse_secret_keys(value: Any, where: str) -> None:
    """Raise if a JSON document has a key named like a secret: such a value never belongs in the database."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).lower() in SECRET_KEY_NAMES:
                raise ValueError(f"{where}: refusing to store a value under {key!r}; secrets never go into JSON")
            refuse_secret_keys(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            refuse_secret_keys(item, where)


def violates(exc: IntegrityError, column_or_constraint: str) -> bool:
    """Whether an IntegrityError names this column or constraint (SQLite and PostgreSQL messages both do)."""
    return column_or_constraint in str(exc.orig)
