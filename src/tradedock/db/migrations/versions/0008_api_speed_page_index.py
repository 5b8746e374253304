"""An index that serves a page of an owner's connections in order (``WHERE owner_id = ? ORDER BY created_at, id
LIMIT ? OFFSET ?``: `GET /api/v1/connections`, `ConnectionRepository.list_for_owner`) without sorting all of
the owner's rows for every page: 1,000 connections, SQLite ~330 → ~100 µs a page (issue 16).

Revision ID: 0008_api_speed_page_index
Revises: 0007_connection_mode_choice
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008_api_speed_page_index"
down_revision: str | None = "0007_connection_mode_choice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_connections_owner_created", "connections", ["owner_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_connections_owner_created", table_name="connections")
