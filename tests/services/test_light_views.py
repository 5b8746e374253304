"""`services.light_views` (what ``tradedock list`` and ``show`` print with ``--json``, built without pydantic) gives
exactly the views' ``to_json()`` — same keys in the same order, same text — on records covering every kind of
value: datetimes (UTC, naive, other offsets, microseconds), money, every status, missing values, expiry,
evidence, markup-looking labels, check ids with and without a title."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tradedock.db.direct import CheckRecord, ConnectionRecord, RunRecord
from tradedock.domain import ConnectionStatus
from tradedock.services.light_views import connection_json, detail_json, json_time
from tradedock.services.views import ConnectionDetail, ConnectionView

BASE = ConnectionRecord(
    id="0b9c5b1e-5f7a-4d0e-9c1a-2f3e4d5c6b7a",
    exchange="bybit",
    environment="live",
    label="[/bold] [red]Main [prod][/red] \\[x] ✓",
    scope="futures",
    contract_type="usdt_m",
    status="connected",
    masked_key="AbCd…wXyZ",
    key_fingerprint="0123456789abcdef",
    account_uid="100200",
    account_mode="unified",
    position_mode="one_way",
    margin_mode="cross",
    position_mode_choice="hedge",
    margin_mode_choice=None,
    key_expires_at=datetime(2027, 3, 1, 12, 0, tzinfo=UTC),
    last_checked_at=datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC),
    last_balance_usd=Decimal("1234567.8900"),
    created_at=datetime(2026, 11, 30, 8, 0, 0, 500, tzinfo=UTC),
)

WHEN = [
    None,
    datetime(2026, 12, 1, tzinfo=UTC),
    datetime(2026, 12, 1, 1, 2, 3, 400000, tzinfo=UTC),
    datetime(2026, 12, 1, 1, 2, 3, 7, tzinfo=ZoneInfo("UTC")),
    datetime(2026, 12, 1, 1, 2, 3),  # naive: taken as UTC
    datetime(2026, 12, 1, 1, 2, 3, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 12, 1, 1, 2, 3, tzinfo=timezone(timedelta(hours=-8))),
    datetime(1, 1, 1, tzinfo=UTC),
]
MONEY = [None, Decimal(0), Decimal("0.00"), Decimal("1E+2"), Decimal("-5.5"), Decimal("1E-8"), Decimal("12345678.123")]


def variants() -> list[ConnectionRecord]:
    rows = [BASE]
    rows += [BASE._replace(status=status.value) for status in ConnectionStatus]
    rows += [BASE._replace(key_expires_at=when, last_checked_at=when) for when in WHEN]
    rows += [BASE._replace(created_at=when) for when in WHEN if when is not None]
    rows += [BASE._replace(last_balance_usd=amount) for amount in MONEY]
    rows.append(
        BASE._replace(
            exchange="bitget",
            label="",
            contract_type=None,
            account_uid=None,
            account_mode=None,
            position_mode=None,
            margin_mode=None,
            position_mode_choice=None,
            margin_mode_choice="isolated",
            key_expires_at=None,
            last_checked_at=None,
            last_balance_usd=None,
            key_fingerprint="abc",
        )
    )
    return rows


RUN = RunRecord(
    id="run-1",
    status="connected_with_warnings",
    trigger="monitor",
    started_at=datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC),
    duration_ms=420,
    results=(
        CheckRecord("credentials.format", "pass", "Looks right.", [], {}),
        CheckRecord(
            "key.expiry",
            "warn",
            "The key expires in 9 days [bold]x[/bold].",
            ["Create a new key.", "Run tradedock replace ID."],
            {"expires_at": "2026-12-10T00:00:00Z", "days_left": 9, "reported": True, "nested": {"a": [1, 2.5, None]}},
        ),
        CheckRecord(
            "balance.minimum", "fail", "Too little.", ["Top up."], {"usd": "12.5", "inf": float("inf"), "x": [1e20]}
        ),
        CheckRecord("retired.check", "error", "No title any more.", [], {"nan": float("nan"), "ünï": "✓"}),
    ),
)


def _text(value: object) -> str:
    return json.dumps(value, indent=2)


@pytest.mark.parametrize("row", variants(), ids=lambda row: f"{row.status}-{row.key_expires_at}-{row.last_balance_usd}")
def test_a_connection_is_what_the_view_gives(row: ConnectionRecord) -> None:
    assert _text(connection_json(row)) == _text(ConnectionView.from_row(row).to_json())
    assert _text(detail_json(row, None)) == _text(ConnectionDetail.from_row_and_run(row, None).to_json())


@pytest.mark.parametrize("status", [s.value for s in ConnectionStatus])
def test_a_detail_with_its_report_is_what_the_view_gives(status: str) -> None:
    run = replace(RUN, status=status)
    for row in (BASE, variants()[-1]):
        light, view = detail_json(row, run), ConnectionDetail.from_row_and_run(row, run).to_json()
        assert _text(light) == _text(view)
    titles = [check["title"] for check in detail_json(BASE, RUN)["last_report"]["checks"]]
    assert titles == ["Credential format", "Key expiry", "Balance in the trading wallet", None]


def test_an_unknown_status_fails_as_the_view_does() -> None:
    row = BASE._replace(status="sleeping")
    with pytest.raises(ValueError, match="sleeping"):
        ConnectionView.from_row(row)
    with pytest.raises(ValueError, match="sleeping"):
        connection_json(row)


def test_times_are_written_with_z_for_utc() -> None:
    assert json_time(datetime(2026, 12, 1, 1, 2, 3, tzinfo=UTC)) == "2026-12-01T01:02:03Z"
    assert json_time(datetime(2026, 12, 1, 1, 2, 3, 5)) == "2026-12-01T01:02:03.000005Z"
    assert json_time(datetime(2026, 12, 1, tzinfo=timezone(timedelta(hours=2)))) == "2026-12-01T00:00:00+02:00"
