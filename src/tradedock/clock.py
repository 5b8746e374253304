"""The only source of "now" in TradeDock: a `Clock` protocol, the system clock and a frozen clock for tests.

Code that needs the time takes a `Clock`; nothing calls `time.time()` or `datetime.now()` directly. Signing
timestamps are this clock plus the exchange offset measured during verification.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current UTC time (timezone-aware)."""
        ...

    def now_ms(self) -> int:
        """Milliseconds since the epoch."""
        ...

    def now_us(self) -> int:
        """Microseconds since the epoch (Aster V3 nonces)."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def now_us(self) -> int:
        return time.time_ns() // 1_000


class FrozenClock:
    """A clock that only moves when told to; for tests."""

    def __init__(self, at: datetime | None = None) -> None:
        self._at = at or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._at

    def now_ms(self) -> int:
        return int(self._at.timestamp() * 1000)

    def now_us(self) -> int:
        return int(self._at.timestamp() * 1_000_000)

    def advance(self, **kwargs: float) -> None:
        self._at += timedelta(**kwargs)

    def set(self, at: datetime) -> None:
        self._at = at
