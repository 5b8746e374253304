"""HTTP API (FastAPI): a thin shell over `tradedock.services`. Not built yet."""
