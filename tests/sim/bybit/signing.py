"""A test-side Bybit V5 signer written from the guide (checked against tests/vectors/bybit.json in
test_vectors.py), used to drive the simulator. Not the product signer, not the simulator's checker."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode


def sign(secret: str, timestamp: int | str, api_key: str, recv_window: int | str, payload: str) -> str:
    message = f"{timestamp}{api_key}{recv_window}{payload}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def headers(
    creds: dict[str, str], payload: str, *, timestamp: int | None = None, recv_window: int | str = 5000
) -> dict[str, str]:
    ts = timestamp if timestamp is not None else int(time.time() * 1000)
    return {
        "X-BAPI-API-KEY": creds["api_key"],
        "X-BAPI-TIMESTAMP": str(ts),
        "X-BAPI-RECV-WINDOW": str(recv_window),
        "X-BAPI-SIGN": sign(creds["secret"], ts, creds["api_key"], recv_window, payload),
    }


def get_request(
    creds: dict[str, str], path: str, params: dict[str, Any] | None = None, **options: Any
) -> tuple[str, dict[str, str]]:
    """(url, headers) for a signed GET; the query is signed exactly as sent."""
    query = urlencode(params or {})
    url = f"{path}?{query}" if query else path
    return url, headers(creds, query, **options)


def post_request(creds: dict[str, str], body: dict[str, Any], **options: Any) -> tuple[bytes, dict[str, str]]:
    """(raw body, headers) for a signed POST with compact JSON."""
    raw = json.dumps(body, separators=(",", ":"))
    return raw.encode(), {**headers(creds, raw, **options), "Content-Type": "application/json"}
