"""How stored values read back, whichever way they are read: the one definition for the ORM's column types
(`db.types`) and the plain DB-API reads (`db.direct`). No SQLAlchemy here.

What belongs here: a timestamp is always UTC-aware (SQLite keeps no offset: we only ever wrote UTC), sealed bytes
are bytes (a text planted in a ciphertext column comes back as bytes that cannot authenticate), an exact decimal
is a `Decimal` parsed from its text. What does not: writing values (the column types refuse bad ones).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


def utc_datetime(value: datetime | str | None) -> datetime | None:
    """A stored timestamp as an aware UTC datetime (SQLite's driver may give the stored text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def sealed_bytes(value: Any) -> bytes | None:
    """Stored sealed bytes; anything else SQLite kept in such a column comes back as (unauthenticatable) bytes,
    so the vault reports that one row as damaged instead of every query failing on a type error."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8", "surrogatepass")


def exact_decimal(value: str | None) -> Decimal | None:
    """A decimal stored as text."""
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"stored decimal {value!r} is not a number") from None
