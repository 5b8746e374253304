"""Bybit V5 request signing: pure functions from (key, secret, timestamp, window, payload) to headers.

What belongs here: the string to sign, the HMAC-SHA256 signature and the ``X-BAPI-*`` headers, as described in
https://bybit-exchange.github.io/docs/v5/guide#authentication. What does not: reading the clock (the caller
passes the timestamp, already corrected by the measured exchange offset), building URLs, or sending anything.

Rules (guide, "Authentication"):

- GET: ``timestamp + api_key + recv_window + query_string``; POST: ``… + json_body``; no separators.
- The query string is signed exactly as sent after ``?`` (we build it ourselves, insertion order, unencoded);
  a GET with no parameters signs the empty string. A POST body is signed as the exact bytes sent.
- System-generated keys sign with HMAC-SHA256, lowercase hex. Self-generated RSA keys are not supported.
- ``X-BAPI-SIGN-TYPE`` is omitted: the V5 guide does not mention it and HMAC works without it (ccxt sends none on
  v5 paths; pybit sends ``2``). The sources disagree, so this is UNCONFIRMED (bybit.md §1.2).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

HEADER_API_KEY = "X-BAPI-API-KEY"
HEADER_TIMESTAMP = "X-BAPI-TIMESTAMP"
HEADER_SIGN = "X-BAPI-SIGN"
HEADER_RECV_WINDOW = "X-BAPI-RECV-WINDOW"

#: Characters a query value would have to be URL-encoded for (so it could not be signed as sent).
_NEEDS_ENCODING = re.compile(r"[&=?# ]")

#: Headers that must never be logged (the signature is replayable inside the window).
SENSITIVE_HEADERS = frozenset({HEADER_SIGN})


def build_query(params: Mapping[str, str | int]) -> str:
    """The query string to send and sign: ``k=v`` joined by ``&``, in insertion order, without URL encoding.

    Bybit signs the raw string (pybit and ccxt both send it unencoded), so only plain values belong here.
    """
    parts: list[str] = []
    for name, value in params.items():
        text = str(value)
        if _NEEDS_ENCODING.search(text) or _NEEDS_ENCODING.search(name):
            raise ValueError(f"query parameter {name!r} has a character that would need URL encoding")
        parts.append(f"{name}={text}")
    return "&".join(parts)


def string_to_sign(api_key: str, timestamp_ms: int, recv_window_ms: int, payload: str) -> str:
    """``timestamp + api_key + recv_window + payload`` (payload: the query string for GET, the body for POST)."""
    return f"{timestamp_ms}{api_key}{recv_window_ms}{payload}"


def signature(secret: str, api_key: str, timestamp_ms: int, recv_window_ms: int, payload: str) -> str:
    """HMAC-SHA256 of the string to sign with the API secret, as lowercase hex."""
    message = string_to_sign(api_key, timestamp_ms, recv_window_ms, payload)
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def signed_headers(
    *, api_key: str, secret: str, timestamp_ms: int, recv_window_ms: int, payload: str, json_body: bool = False
) -> dict[str, str]:
    """The authentication headers for one request. ``json_body`` adds ``Content-Type`` for POSTs."""
    headers = {
        HEADER_API_KEY: api_key,
        HEADER_TIMESTAMP: str(timestamp_ms),
        HEADER_RECV_WINDOW: str(recv_window_ms),
        HEADER_SIGN: signature(secret, api_key, timestamp_ms, recv_window_ms, payload),
    }
    if json_body:
        headers["Content-Type"] = "application/json"
    return headers
