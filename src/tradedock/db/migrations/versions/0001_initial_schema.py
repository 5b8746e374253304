"""Initial schema: users, connections, sealed secrets, verification runs, check results, audit log, vault meta.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Types are spelled with plain SQLAlchemy types (not tradedock.db.types) so this file keeps meaning the same
thing when the application's column types evolve.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "connections",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("environment", sa.String(32), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("contract_type", sa.String(32), nullable=True),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("key_fingerprint", sa.String(64), nullable=False),
        sa.Column("masked_key", sa.String(40), nullable=False),
        sa.Column("account_uid", sa.String(100), nullable=True),
        sa.Column("account_mode", sa.String(40), nullable=True),
        sa.Column("position_mode", sa.String(40), nullable=True),
        sa.Column("margin_mode", sa.String(40), nullable=True),
        sa.Column("key_expires_at", _utc(), nullable=True),
        sa.Column("last_checked_at", _utc(), nullable=True),
        sa.Column("last_balance_usd", sa.String(64), nullable=True),
        sa.Column("balances_json", _json(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_connections_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.UniqueConstraint("key_fingerprint", name=op.f("uq_connections_key_fingerprint")),
    )
    op.create_index(op.f("ix_connections_owner_id"), "connections", ["owner_id"])
    op.create_table(
        "connection_secrets",
        sa.Column("connection_id", sa.String(36), nullable=False),
        sa.Column("kek_id", sa.String(32), nullable=False),
        sa.Column("wrapped_dek", sa.LargeBinary(), nullable=False),
        sa.Column("aad_version", sa.Integer(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_connection_secrets_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_connection_secrets")),
    )
    op.create_index(op.f("ix_connection_secrets_kek_id"), "connection_secrets", ["kek_id"])
    op.create_table(
        "connection_secret_fields",
        sa.Column("connection_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connection_secrets.connection_id"],
            name=op.f("fk_connection_secret_fields_connection_id_connection_secrets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "field", name=op.f("pk_connection_secret_fields")),
    )
    op.create_table(
        "verification_runs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("connection_id", sa.String(36), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_verification_runs_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_runs")),
    )
    op.create_index("ix_verification_runs_connection_started", "verification_runs", ["connection_id", "started_at"])
    op.create_table(
        "check_results",
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("check_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("fix", _json(), nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["verification_runs.id"],
            name=op.f("fk_check_results_run_id_verification_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "check_id", name=op.f("pk_check_results")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("connection_id", sa.String(36), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("detail", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_connection_id"), "audit_log", ["connection_id"])
    op.create_index("ix_audit_log_owner_at", "audit_log", ["owner_id", "at"])
    op.create_table(
        "vault_meta",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kek_id", sa.String(32), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("aad_version", sa.Integer(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_vault_meta")),
    )
    op.create_index(op.f("ix_vault_meta_kek_id"), "vault_meta", ["kek_id"])


def downgrade() -> None:
    op.drop_table("vault_meta")
    op.drop_table("audit_log")
    op.drop_table("check_results")
    op.drop_table("verification_runs")
    op.drop_table("connection_secret_fields")
    op.drop_table("connection_secrets")
    op.drop_table("connections")
    op.drop_table("users")
