"""Web dashboard: a thin shell over `tradedock.services`. Not built yet."""
