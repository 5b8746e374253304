"""Alembic migrations shipped with TradeDock (applied by tradedock.db.migrate)."""
