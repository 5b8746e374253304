"""Bots and strategies (issue 15): strategies, accepted signals, bots, the one order per bot and signal, and
``events.bot_id`` so a bot's audit trail (``bot.*`` events) is one indexed query.

Revision ID: 0005_bots
Revises: 0004_monitor
Create Date: 2026-12-01

Types are spelled with plain SQLAlchemy types (not tradedock.db.types), as in 0001: decimals are String(64).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_bots"
down_revision: str | None = "0004_monitor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _decimal() -> sa.String:
    return sa.String(64)


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("bot_id", sa.String(36), nullable=True))
    op.create_index("ix_events_bot_created", "events", ["bot_id", "created_at"])
    op.create_table(
        "strategies",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=True),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("builtin_name", sa.String(64), nullable=True),
        sa.Column("params", _json(), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=True),
        sa.Column("secret_hint", sa.String(16), nullable=True),
        sa.Column("max_signal_age_s", sa.Integer(), nullable=False, server_default="60"),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_strategies_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
    )
    op.create_index(op.f("ix_strategies_owner_id"), "strategies", ["owner_id"])
    op.create_table(
        "strategy_signals",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("strategy_id", sa.String(36), nullable=False),
        sa.Column("signal_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("target_size", _decimal(), nullable=True),
        sa.Column("signal_time", _utc(), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.Column("outcome", sa.String(400), nullable=False),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_strategy_signals_strategy_id_strategies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_signals")),
        sa.UniqueConstraint("strategy_id", "signal_id", name=op.f("uq_strategy_signals_strategy_id_signal_id")),
    )
    op.create_index("ix_strategy_signals_strategy_received", "strategy_signals", ["strategy_id", "received_at"])
    op.create_table(
        "bots",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("connection_id", sa.String(36), nullable=True),
        sa.Column("strategy_id", sa.String(36), nullable=True),
        sa.Column("symbols", _json(), nullable=False),
        sa.Column("sizing_kind", sa.String(16), nullable=False),
        sa.Column("sizing_value", _decimal(), nullable=False),
        sa.Column("leverage_cap", _decimal(), nullable=True),
        sa.Column("max_position_quote", _decimal(), nullable=True),
        sa.Column("stops", _json(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("paper_connection_id", sa.String(36), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_reason", sa.String(400), nullable=True),
        sa.Column("positions", _json(), nullable=False),
        sa.Column("realized_pnl", _decimal(), nullable=False),
        sa.Column("fees_paid", _decimal(), nullable=False),
        sa.Column("reconciled_at", _utc(), nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", _utc(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("started_at", _utc(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_bots_owner_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["connection_id"], ["connections.id"], name=op.f("fk_bots_connection_id_connections"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"], ["strategies.id"], name=op.f("fk_bots_strategy_id_strategies"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["paper_connection_id"],
            ["connections.id"],
            name=op.f("fk_bots_paper_connection_id_connections"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bots")),
    )
    op.create_index(op.f("ix_bots_owner_id"), "bots", ["owner_id"])
    op.create_index(op.f("ix_bots_connection_id"), "bots", ["connection_id"])
    op.create_index(op.f("ix_bots_strategy_id"), "bots", ["strategy_id"])
    op.create_table(
        "bot_orders",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("bot_id", sa.String(36), nullable=False),
        sa.Column("signal_id", sa.String(36), nullable=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("client_order_id", sa.String(36), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("side", sa.String(8), nullable=True),
        sa.Column("qty", _decimal(), nullable=True),
        sa.Column("reduce_only", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("exchange_order_id", sa.String(64), nullable=True),
        sa.Column("filled_qty", _decimal(), nullable=False),
        sa.Column("avg_price", _decimal(), nullable=True),
        sa.Column("fee", _decimal(), nullable=True),
        sa.Column("error", sa.String(400), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("sent_at", _utc(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.ForeignKeyConstraint(["bot_id"], ["bots.id"], name=op.f("fk_bot_orders_bot_id_bots"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["signal_id"],
            ["strategy_signals.id"],
            name=op.f("fk_bot_orders_signal_id_strategy_signals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_orders")),
        sa.UniqueConstraint("bot_id", "signal_id", name=op.f("uq_bot_orders_bot_id_signal_id")),
        sa.UniqueConstraint("client_order_id", name=op.f("uq_bot_orders_client_order_id")),
    )
    op.create_index("ix_bot_orders_state", "bot_orders", ["state", "bot_id"])


def downgrade() -> None:
    op.drop_table("bot_orders")
    op.drop_table("bots")
    op.drop_table("strategy_signals")
    op.drop_table("strategies")
    op.drop_index("ix_events_bot_created", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("bot_id")
