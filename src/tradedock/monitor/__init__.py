"""Scheduled re-verification: a thin shell over `tradedock.services`. Not built yet."""
