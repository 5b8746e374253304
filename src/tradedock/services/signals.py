"""Reading a strategy signal: the body's fields, each checked, and its time against our clock.

What belongs here: pure functions turning a TradingView-style JSON object into a `ParsedSignal`, refusing a
malformed, stale or future one with a `SignalRefusedError` that names the field (docs/architecture.md, "Bots and
strategies"). What does not: the secret, replays, symbols of bots or storage (services.strategies).

The values of refused fields are never echoed back (a sender may have pasted a secret in the wrong field).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from tradedock.errors import SignalRefusedError
from tradedock.services.bot_views import SignalAction

FIELDS = ("secret", "signal_id", "action", "symbol", "time", "size")
SIGNAL_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
SYMBOL = re.compile(r"[A-Z0-9]{2,28}")
#: A signal may be this far ahead of our clock (the sender's clock may run a little fast).
FUTURE_TOLERANCE = timedelta(seconds=10)
#: Unix milliseconds below this are taken for seconds by mistake (year 2001 in ms).
_MIN_UNIX_MS = 10**12


@dataclass(frozen=True)
class ParsedSignal:
    signal_id: str
    action: SignalAction
    symbol: str
    time: datetime
    size: Decimal | None


def malformed(field: str, message: str, fix: str) -> SignalRefusedError:
    return SignalRefusedError(field, "malformed", message, fix=fix)


def parse_signal_id(raw: object) -> str:
    if not isinstance(raw, str) or not SIGNAL_ID.fullmatch(raw):
        raise malformed(
            "signal_id",
            "signal_id is missing or not 1-64 characters of letters, digits and . _ : -",
            'Send a unique id per signal, e.g. "signal_id": "{{strategy.order.id}}-{{timenow}}".',
        )
    return raw


def parse_action(raw: object) -> SignalAction:
    try:
        return SignalAction(str(raw).strip().lower()) if isinstance(raw, str) else SignalAction("")
    except ValueError:
        raise malformed(
            "action", "action is missing or unknown", 'Use one of "long", "short", "close", "flat".'
        ) from None


def parse_symbol(raw: object) -> str:
    if isinstance(raw, str):
        symbol = raw.strip().upper()
        if symbol.endswith(".P"):  # TradingView's perpetual suffix (BTCUSDT.P)
            symbol = symbol[:-2]
        if SYMBOL.fullmatch(symbol):
            return symbol
    raise malformed("symbol", "symbol is missing or not an exchange symbol", 'Use e.g. "BTCUSDT".')


def parse_time(raw: object) -> datetime:
    fix = 'Send the signal time as ISO 8601 with an offset ("2026-12-01T09:30:00Z") or unix milliseconds.'
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw < _MIN_UNIX_MS:
            raise malformed("time", "time looks like unix seconds; milliseconds are expected", fix)
        try:
            return datetime.fromtimestamp(raw / 1000, tz=UTC)
        except (OverflowError, ValueError, OSError):
            raise malformed("time", "time is out of range", fix) from None
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise malformed("time", "time is not an ISO 8601 date and time", fix) from None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise malformed("time", "time has no offset (it could be any time zone)", fix)
        return parsed.astimezone(UTC)
    raise malformed("time", "time is missing", fix)


def parse_size(raw: object) -> Decimal | None:
    if raw is None:
        return None
    fix = 'Give the target position in the base coin as a positive decimal string, e.g. "0.01", or leave it out.'
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise malformed("size", "size is not a number", fix)
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise malformed("size", "size is not a number", fix) from None
    if not value.is_finite() or value <= 0 or value > Decimal(10) ** 12:
        raise malformed("size", "size must be a positive number", fix)
    return value


def parse_fields(body: Mapping[str, Any]) -> ParsedSignal:
    """The signal's fields (not the secret), each checked; the first problem is refused naming the field."""
    unknown = sorted(name for name in body if name not in FIELDS)
    if unknown:
        first = unknown[0]
        # Echo a field name only when it cannot be a pasted secret (short, plain, not a signal secret).
        name = first if len(first) <= 24 and first.isidentifier() and not first.startswith("tds_") else "body"
        raise malformed(name, f"unknown field ({len(unknown)} in all)", f"Send only: {', '.join(FIELDS)}.")
    return ParsedSignal(
        signal_id=parse_signal_id(body.get("signal_id")),
        action=parse_action(body.get("action")),
        symbol=parse_symbol(body.get("symbol")),
        time=parse_time(body.get("time")),
        size=parse_size(body.get("size")),
    )


def check_fresh(signal_time: datetime, now: datetime, max_age_s: int) -> None:
    """Refuse a signal older than ``max_age_s`` (stale) or further ahead than the tolerance (future)."""
    age = now - signal_time
    if age > timedelta(seconds=max_age_s):
        raise SignalRefusedError(
            "time",
            "stale",
            f"the signal is {int(age.total_seconds())} s old; this strategy accepts signals up to {max_age_s} s old",
            fix="Send signals as they happen (check the sender's clock), or raise the strategy's max signal age.",
        )
    if -age > FUTURE_TOLERANCE:
        raise SignalRefusedError(
            "time",
            "future",
            f"the signal's time is {int(-age.total_seconds())} s ahead of the platform's clock",
            fix="Check the sender's clock and time zone; send the time with its offset.",
        )
