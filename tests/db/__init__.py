"""Tests of tradedock.db and services.vault_admin on SQLite and PostgreSQL."""
