"""procrastinate's job-queue schema (PostgreSQL only; a no-op on SQLite): the tables, types, functions and
triggers `tradedock worker` needs to share re-checks and webhook deliveries across hosts.

Revision ID: 0006_procrastinate
Revises: 0005_bots
Create Date: 2026-12-01

The SQL is procrastinate's own ``schema.sql`` of the installed version (pyproject pins procrastinate to one minor
version, 3.10.x, so it is the schema the migration was written for). A later procrastinate release that changes its
schema gets a new TradeDock migration applying procrastinate's ``sql/migrations/*.sql`` between the two versions.
The objects are created in the current schema (``search_path``), next to TradeDock's tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006_procrastinate"
down_revision: str | None = "0005_bots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROP_ALL = """
DO $$
DECLARE item record;
BEGIN
    FOR item IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname LIKE 'procrastinate\\_%'
    LOOP EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', item.relname); END LOOP;
    FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
    LOOP EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', item.signature); END LOOP;
    FOR item IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname = current_schema() AND t.typtype = 'e' AND t.typname LIKE 'procrastinate\\_%'
    LOOP EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', item.typname); END LOOP;
END;
$$;
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    # Driver-level SQL, no parameters: procrastinate's functions contain `%` and `:` that must reach PostgreSQL as is.
    bind.exec_driver_sql(SchemaManager.get_schema(), execution_options={"no_parameters": True})


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(_DROP_ALL, execution_options={"no_parameters": True})
