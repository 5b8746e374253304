"""Helpers shared by the repositories: JSON-safe conversion and the guard that keeps secrets out of JSON.

What belongs here: small pure functions the repositories apply before writing JSON columns. What does not:
queries (each repository module) or models.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

#: JSON keys that must never be written to the database in clear (audit details, evidence, balances).
SECRET_KEY_NAMES = frozenset(
    {"secret", "api_secret", "secret_key", "passphrase", "private_key", "password", "master_key", "dek"}
)


def jsonable(value: Any) -> Any:
    """Turn Decimals, datetimes, enums, tuples and sets into JSON-safe values (recursively)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [jsonable(v) for v in items]
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


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
