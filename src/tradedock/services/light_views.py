"""The JSON of ``tradedock list`` and ``show`` built straight from the `db.direct` records — no pydantic.

Why: building the `services.views` models (and importing pydantic for them) was about half of those commands'
start (issue 9). These functions return exactly what ``ConnectionView.from_row(row).to_json()`` and
``ConnectionDetail.from_row_and_run(row, run).to_json()`` return — the same keys in the same order, datetimes as
pydantic writes them (ISO 8601, ``Z`` for UTC), money as `domain.decimal_text`, statuses checked against
`ConnectionStatus`, evidence as pydantic dumps JSON values (a non-finite float becomes ``null``), check titles
from the static table (`verification.report.CHECK_TITLES`). tests/services/test_light_views.py compares them
with the views on many records; a field added to a view must be added here (the test fails until it is).

What does not belong here: reading (`db.direct`, `services.light_read`) or rendering (`cli.output`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from tradedock.db.direct import ConnectionRecord, RunRecord
from tradedock.domain import ConnectionStatus, decimal_text
from tradedock.verification.report import CHECK_TITLES

_ZERO = timedelta(0)


def json_time(value: datetime | None) -> str | None:
    """A view's datetime as pydantic writes it in JSON (a naive one taken as UTC, as the views take it)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.isoformat()
    if value.utcoffset() == _ZERO:
        return text[: -len("+00:00")] + "Z"
    return text


def json_value(value: Any) -> Any:
    """A JSON value (evidence, from a JSON column) as pydantic dumps an ``Any`` in JSON mode."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    return value


def connection_json(row: ConnectionRecord) -> dict[str, Any]:
    """``ConnectionView.from_row(row).to_json()``."""
    balance = row.last_balance_usd
    return {
        "id": row.id,
        "exchange": row.exchange,
        "environment": row.environment,
        "label": row.label,
        "scope": row.scope,
        "contract": row.contract_type,
        "status": ConnectionStatus(row.status).value,
        "masked_key": row.masked_key,
        "fingerprint": row.key_fingerprint[:8],
        "account_uid": row.account_uid,
        "account_mode": row.account_mode,
        "position_mode": row.position_mode,
        "margin_mode": row.margin_mode,
        "key_expires_at": json_time(row.key_expires_at),
        "last_checked_at": json_time(row.last_checked_at),
        "balance_usd": None if balance is None else decimal_text(balance),
        "created_at": json_time(row.created_at),
        "position_mode_choice": row.position_mode_choice or "auto",
        "margin_mode_choice": row.margin_mode_choice or "auto",
    }


def run_json(run: RunRecord) -> dict[str, Any]:
    """``RunView.from_run(run).to_json()``."""
    return {
        "status": ConnectionStatus(run.status).value,
        "trigger": run.trigger,
        "started_at": json_time(run.started_at),
        "duration_ms": run.duration_ms,
        "checks": [
            {
                "id": result.check_id,
                "outcome": result.outcome,
                "title": CHECK_TITLES.get(result.check_id),
                "message": result.message,
                "fix": list(result.fix),
                "evidence": json_value(result.evidence),
            }
            for result in run.results
        ],
    }


def detail_json(row: ConnectionRecord, run: RunRecord | None) -> dict[str, Any]:
    """``ConnectionDetail.from_row_and_run(row, run).to_json()``."""
    return {**connection_json(row), "last_report": None if run is None else run_json(run)}
