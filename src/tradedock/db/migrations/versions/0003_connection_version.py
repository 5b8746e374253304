"""Connections get a ``version`` for optimistic concurrency: the record phase of a check, replace or balance
refresh updates the row only if its version is still the one it loaded (a lost race is retried or reported).

Revision ID: 0003_connection_version
Revises: 0002_accounts
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_connection_version"
down_revision: str | None = "0002_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("version")
