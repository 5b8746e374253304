"""How pages word statuses and expiry, and what the My Exchanges banner flags (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tradedock.domain import ConnectionStatus
from tradedock.services.views import ConnectionView
from tradedock.web.present import STATUS_WORDS, expiry_words, needs_action, status_class, usd

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _connection(status: ConnectionStatus, expires_at: datetime | None) -> ConnectionView:
    return ConnectionView(
        id="con_1", exchange="bybit", environment="live", label="Main", scope="futures", contract="usdt_m",
        status=status, masked_key="…abcd", fingerprint="12345678", account_uid="1", account_mode=None,
        position_mode=None, margin_mode=None, key_expires_at=expires_at, last_checked_at=NOW,
        balance_usd=Decimal("1234.5"), created_at=NOW,
    )  # fmt: skip


def test_every_status_has_its_own_words_and_colour() -> None:
    assert set(STATUS_WORDS) == {s.value for s in ConnectionStatus}
    assert len({status_class(s.value) for s in ConnectionStatus}) == 5
    assert STATUS_WORDS["connected_with_warnings"] == "Connected with warnings"


@pytest.mark.parametrize(
    ("delta", "words"),
    [(None, "No expiry"), (timedelta(days=-1), "Expired"), (timedelta(hours=5), "Expires today"),
     (timedelta(days=1, hours=1), "Expires in 1 day"), (timedelta(days=30, hours=1), "Expires in 30 days")],
)  # fmt: skip
def test_expiry_countdown(delta: timedelta | None, words: str) -> None:
    assert expiry_words(None if delta is None else NOW + delta, NOW) == words


def test_the_banner_flags_unusable_statuses_and_keys_expiring_within_the_operators_window() -> None:
    assert needs_action(_connection(ConnectionStatus.CONNECTED, None), NOW, 14) is None
    assert needs_action(_connection(ConnectionStatus.CONNECTED_WITH_WARNINGS, None), NOW, 14) is None
    for status in (ConnectionStatus.ACTION_REQUIRED, ConnectionStatus.INVALID, ConnectionStatus.UNREACHABLE):
        assert needs_action(_connection(status, None), NOW, 14) == STATUS_WORDS[status.value]
    soon = _connection(ConnectionStatus.CONNECTED, NOW + timedelta(days=10, hours=1))
    assert needs_action(soon, NOW, 14) == "Expires in 10 days"
    assert needs_action(soon, NOW, 7) is None
    assert usd(Decimal("1234.5")) == "1,234.50 USD" and usd(None) == "—"
