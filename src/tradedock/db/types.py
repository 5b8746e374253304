"""Column types that enforce TradeDock's storage rules at the boundary to the database.

What belongs here: `UtcDateTime` (only timezone-aware datetimes in, always UTC-aware out, on SQLite too),
`Ciphertext` (bytes only: a plaintext ``str`` is refused before it can reach the database), `DecimalText`
(exact decimals on every backend without float rounding), and `JsonDocument` (JSON, JSONB on PostgreSQL).
What does not: tables (models.py) or queries (repositories/).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, LargeBinary, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

#: Smallest sealed blob: 12-byte nonce + 16-byte GCM tag.
MIN_SEALED_BYTES = 28


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC; naive datetimes are a bug and are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given; use an aware UTC time from tradedock.clock")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # SQLite keeps no offset; we only ever wrote UTC.
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Ciphertext(TypeDecorator[bytes]):
    """Sealed bytes (``nonce || ciphertext || tag``). Text is refused: plaintext never gets this far."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError(
                f"refusing to store {type(value).__name__} in a ciphertext column: only sealed bytes from the "
                "vault belong here"
            )
        data = bytes(value)
        if len(data) < MIN_SEALED_BYTES:
            raise ValueError(f"refusing to store {len(data)} bytes in a ciphertext column: too short to be sealed")
        return data

    def process_result_value(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        # SQLite keeps whatever type was written: a text (or number) planted in a ciphertext column comes back
        # as bytes that cannot authenticate, so the vault reports that one connection as damaged instead of
        # every query failing on a type error.
        return str(value).encode("utf-8", "surrogatepass")


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal stored as text (SQLite has no exact decimal type; floats would round balances)."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"expected Decimal, got {type(value).__name__}")
        return format(value, "f")

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError(f"stored decimal {value!r} is not a number") from None


class JsonDocument(TypeDecorator[Any]):
    """JSON everywhere, JSONB on PostgreSQL."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())
