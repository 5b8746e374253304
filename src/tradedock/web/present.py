"""How pages word and colour things: the five statuses, key-expiry countdowns, money, times, needs-action, and a
connection's events in words (check titles, never ids).

What belongs here: pure presentation helpers registered as Jinja filters (no I/O, no rules of connections).
What does not: templates or routes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tradedock.domain import ConnectionStatus
from tradedock.services.bot_views import BotEventView
from tradedock.services.views import ConnectionView, check_title
from tradedock.services.webhooks import EventView

#: Each status in its own words, and the CSS class that colours it (static/app.css).
STATUS_WORDS: dict[str, str] = {
    ConnectionStatus.CONNECTED.value: "Connected",
    ConnectionStatus.CONNECTED_WITH_WARNINGS.value: "Connected with warnings",
    ConnectionStatus.ACTION_REQUIRED.value: "Action required",
    ConnectionStatus.INVALID.value: "Invalid",
    ConnectionStatus.UNREACHABLE.value: "Unreachable",
}
NEEDS_ACTION = frozenset(
    {ConnectionStatus.ACTION_REQUIRED.value, ConnectionStatus.INVALID.value, ConnectionStatus.UNREACHABLE.value}
)
OUTCOME_WORDS = {"pass": "Passed", "warn": "Warning", "fail": "Failed", "error": "Error", "skip": "Skipped"}


def status_words(status: str) -> str:
    return STATUS_WORDS.get(str(status), str(status))


def status_class(status: str) -> str:
    return "status-" + str(status).replace("_", "-")


def outcome_words(outcome: str) -> str:
    return OUTCOME_WORDS.get(outcome, outcome)


def when(value: datetime | None) -> str:
    if value is None:
        return "never"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def days_left(expires_at: datetime | None, now: datetime) -> int | None:
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    return (expires_at - now).days


def expiry_words(expires_at: datetime | None, now: datetime) -> str:
    days = days_left(expires_at, now)
    if days is None:
        return "No expiry"
    if days < 0:
        return "Expired"
    if days == 0:
        return "Expires today"
    return f"Expires in {days} day{'s' if days != 1 else ''}"


def usd(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value.quantize(Decimal('0.01')):,} USD"


def needs_action(connection: ConnectionView, now: datetime, warn_days: int) -> str | None:
    """Why a connection needs the trader's attention (a status that is not usable as is, or a key expiring within
    the operator's ``expiry_warn_days``), or None."""
    if connection.status.value in NEEDS_ACTION:
        return status_words(connection.status.value)
    days = days_left(connection.key_expires_at, now)
    if days is not None and days <= warn_days:
        return expiry_words(connection.key_expires_at, now)
    return None


MODE_NAMES = {"position_mode": "Position mode", "margin_mode": "Margin mode", "account_mode": "Account mode"}


def _problems(data: dict[str, Any]) -> list[str]:
    problems = data.get("problems")
    if not isinstance(problems, list):
        return []
    return [
        f"{check_title(str(p.get('check', '')))}: {outcome_words(str(p.get('outcome', '')))} — {p.get('message', '')}"
        for p in problems
        if isinstance(p, dict)
    ]


def event_words(event: EventView) -> tuple[str, list[str]]:
    """A connection's event as a headline and its detail lines, in words (status words, check titles)."""
    data = event.data
    if event.type == "connection.status_changed":
        head = f"Status changed: {status_words(str(data.get('from')))} → {status_words(str(data.get('to')))}"
        return head, _problems(data)
    if event.type == "connection.mode_changed":
        changes = data.get("changes")
        if not isinstance(changes, dict):
            changes = {}
        lines = [
            f"{MODE_NAMES.get(name, name)}: {change.get('from')} → {change.get('to')}"
            for name, change in changes.items()
            if isinstance(change, dict)
        ]
        return "Changed on the exchange (auto sync)", lines + _problems(data)
    if event.type == "connection.balance_low":
        return "Balance low", [str(data.get("message", ""))]
    if event.type == "connection.key_expiring":
        return f"Key expires in {data.get('days_left')} days", [str(data.get("fix") or "")]
    if event.type == "connection.key_expired":
        return "Key expired", [str(data.get("fix") or "")]
    return event.type, [f"{k.replace('_', ' ')}: {v}" for k, v in data.items() if k not in ("connection_id",)]


def bot_event_words(event: BotEventView) -> tuple[str, str]:
    """A bot's event as a headline and one detail line."""
    data = event.data
    if event.type == "bot.state_changed":
        by = "you" if data.get("by") == "owner" else "TradeDock"
        was = data.get("from") or "new"
        return f"{str(was).capitalize()} → {str(data.get('to')).capitalize()}", f"{data.get('reason', '')} (by {by})"
    if event.type == "bot.start_refused":
        problems = data.get("problems") or []
        listed = f" ({'; '.join(str(p) for p in problems)})" if problems else ""
        return "Start refused", f"{data.get('message', '')}{listed} {data.get('fix') or ''}".strip()
    if event.type == "bot.order_done":
        head = f"Order {str(data.get('state', '')).replace('_', ' ')}"
        detail = f"{data.get('side', '')} {data.get('qty', '')} {data.get('symbol', '')}"
        if data.get("avg_price"):
            detail += f", {data.get('filled_qty')} filled at {data.get('avg_price')}"
        return head, detail
    if event.type == "bot.order_failed":
        return "Order not placed", f"{data.get('symbol', '')}: {data.get('error', '')}"
    return event.type, "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in data.items() if k != "bot_id")


FILTERS = {
    "status_words": status_words,
    "status_class": status_class,
    "outcome_words": outcome_words,
    "when": when,
    "usd": usd,
    "event_words": event_words,
    "check_title": check_title,
    "bot_event_words": bot_event_words,
}
