"""Connections keep the trader's position and margin mode choice: NULL = "Auto sync from exchange" (every existing
connection and the default), else the mode the connection must be in.

Revision ID: 0007_connection_mode_choice
Revises: 0006_procrastinate
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_connection_mode_choice"
down_revision: str | None = "0006_procrastinate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("position_mode_choice", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("margin_mode_choice", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("margin_mode_choice")
        batch.drop_column("position_mode_choice")
