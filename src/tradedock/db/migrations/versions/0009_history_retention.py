"""Indexes for history retention (`services.retention`): the verification runs and the audit entries of one action
older than a date are found without reading the whole table (``verification_runs.started_at``,
``audit_log (action, at)``).

Revision ID: 0009_history_retention
Revises: 0008_api_speed_page_index
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009_history_retention"
down_revision: str | None = "0008_api_speed_page_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_verification_runs_started_at", "verification_runs", ["started_at"])
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_at", table_name="audit_log")
    op.drop_index("ix_verification_runs_started_at", table_name="verification_runs")
