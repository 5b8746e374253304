"""Column types that enforce TradeDock's storage rules at the boundary to the database.

What belongs here: `UtcDateTime` (only timezone-aware datetimes in, always UTC-aware out, on SQLite too),
`Ciphertext` (bytes only: a plaintext ``str`` is refused before it can reach the database), `DecimalText`
(exact decimals on every backend without float rounding), `JsonDocument` (JSON, JSONB on PostgreSQL) and
`json_text` (the text of a JSON column's value, the serializer every engine is given).
How values read back is `db.values` (shared with the light reads of `db.direct`). What does not: tables
(models.py) or queries (repositories/).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from json import JSONEncoder, encoder
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, LargeBinary, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

from tradedock.db.values import exact_decimal, sealed_bytes, utc_datetime

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
        return utc_datetime(value)  # SQLite keeps no offset; we only ever wrote UTC


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
        return sealed_bytes(value)  # SQLite keeps whatever type was written: see `db.values.sealed_bytes`


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
        return exact_decimal(value)


class JsonDocument(TypeDecorator[Any]):
    """JSON everywhere, JSONB on PostgreSQL."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


#: ``json.dumps``'s encoder (default settings), made once: a batch record writes ~30 JSON documents per check, and
#: ``json.dumps`` builds a new C encoder for each. Without circular-reference markers, which a reused encoder cannot
#: keep (our documents come from `repositories.support.json_document`, which a cycle never gets through).
_ENCODER = JSONEncoder()
_MAKE_C_ENCODER = getattr(encoder, "c_make_encoder", None)  # what json.dumps uses; None without the C accelerator
_ENCODE = (
    None
    if _MAKE_C_ENCODER is None
    else _MAKE_C_ENCODER(None, _ENCODER.default, encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True)
)


def json_text(value: Any) -> str:
    """The text a JSON column stores for ``value``: exactly ``json.dumps(value)`` (what SQLAlchemy and psycopg use
    by default), at less than half its cost for the small documents TradeDock writes."""
    if _ENCODE is None:
        return _ENCODER.encode(value)
    return "".join(_ENCODE(value, 0))
