"""Bitget request signing: pure functions from (credentials, timestamp, request) to headers.

What belongs here: the prehash string, the HMAC-SHA256/base64 signature, the query-string encoding we both
sign and send, and the header set of a private request (plus ``paptrading: 1`` for demo trading). What does
not: clocks, HTTP, or error handling — the adapter passes the timestamp in, which keeps this testable against
tests/vectors/bitget.json.

Source: https://www.bitget.com/api-doc/common/signature (reference bitget.md §1):
``ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + ["?" + queryString] + body))``.
RSA keys (user-supplied public key, SHA256withRSA) are not supported: system-generated HMAC keys only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

from tradedock.exchanges.bitget.endpoints import DEMO_HEADER

#: Bitget answers in the `locale` language; English keeps messages stable as evidence (codes are matched,
#: never messages).
DEFAULT_LOCALE = "en-US"


def encode_query(params: Mapping[str, object]) -> str:
    """The query string we sign and send: keys sorted ascending (the current docs require it), values
    percent-encoded the same way on both sides so the signed and sent bytes are identical."""
    parts = []
    for key in sorted(params):
        value = params[key]
        if value is None:
            continue
        parts.append(f"{quote(str(key), safe='-_.~')}={quote(str(value), safe='-_.~')}")
    return "&".join(parts)


def prehash(timestamp: int | str, method: str, request_path: str, query: str = "", body: str = "") -> str:
    """``timestamp + METHOD + requestPath + ("?" + query if query) + body``."""
    suffix = f"?{query}" if query else ""
    return f"{timestamp}{method.upper()}{request_path}{suffix}{body}"


def sign(secret: str, message: str) -> str:
    """Base64 of HMAC-SHA256 keyed with the API secret."""
    digest = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_headers(
    *,
    api_key: str,
    secret: str,
    passphrase: str,
    timestamp_ms: int | str,
    method: str,
    request_path: str,
    query: str = "",
    body: str = "",
    demo: bool = False,
    locale: str = DEFAULT_LOCALE,
) -> dict[str, str]:
    """The headers of one private request.

    Args:
        request_path: the path only, e.g. ``/api/v2/spot/account/info`` (no host, no ``?``).
        query: the query string exactly as sent, without the leading ``?`` (see `encode_query`).
        body: the exact body string sent ("" for GET).
        demo: add ``paptrading: 1`` (Bitget demo trading; a mismatch with the key gives 40099).
    """
    headers = {
        "ACCESS-KEY": api_key,
        "ACCESS-SIGN": sign(secret, prehash(timestamp_ms, method, request_path, query, body)),
        "ACCESS-TIMESTAMP": str(timestamp_ms),
        "ACCESS-PASSPHRASE": passphrase,
        "Content-Type": "application/json",
        "locale": locale,
    }
    if demo:
        headers[DEMO_HEADER[0]] = DEMO_HEADER[1]
    return headers


def public_headers(*, locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    """Headers of an unsigned request. Never ``paptrading``: ccxt exempts ``v2/public/time`` from the demo
    header (reference §10), and server time is the same clock for live and demo."""
    return {"Content-Type": "application/json", "locale": locale}
