"""Tests of tradedock.vault (pure; no database)."""
