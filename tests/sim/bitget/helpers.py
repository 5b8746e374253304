"""Test-side Bitget request signing and small request helpers (an independent re-statement of the doc rule).

`test_signing_vectors.py` checks `doc_signature` against tests/vectors/bitget.json, so the tests below never rely
on the simulator's own code to sign.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx


def doc_signature(secret: str, timestamp: str, method: str, path: str, query: str, body: str) -> str:
    """https://www.bitget.com/api-doc/common/signature: base64(HMAC-SHA256(timestamp+METHOD+path[?query]+body))."""
    message = f"{timestamp}{method}{path}{'?' + query if query else ''}{body}"
    return base64.b64encode(hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()).decode()


def headers(
    creds: dict[str, str],
    method: str,
    path: str,
    *,
    timestamp_ms: int,
    query: str = "",
    body: str = "",
    demo: bool = False,
) -> dict[str, str]:
    result = {
        "ACCESS-KEY": creds["api_key"],
        "ACCESS-SIGN": doc_signature(creds["secret"], str(timestamp_ms), method, path, query, body),
        "ACCESS-TIMESTAMP": str(timestamp_ms),
        "ACCESS-PASSPHRASE": creds["passphrase"],
        "locale": "en-US",
        "Content-Type": "application/json",
    }
    if demo:
        result["paptrading"] = "1"
    return result


async def sim_now(client: httpx.AsyncClient) -> int:
    """The exchange's clock, read the way a client would (public time endpoint)."""
    answer = (await client.get("/api/v2/public/time")).json()
    return int(answer["data"]["serverTime"])


async def signed_get(
    client: httpx.AsyncClient,
    creds: dict[str, str],
    path: str,
    query: str = "",
    *,
    skew_ms: int = 0,
    demo: bool = False,
) -> httpx.Response:
    timestamp = await sim_now(client) + skew_ms
    url = path + ("?" + query if query else "")
    return await client.get(url, headers=headers(creds, "GET", path, timestamp_ms=timestamp, query=query, demo=demo))


async def signed_post(
    client: httpx.AsyncClient, creds: dict[str, str], path: str, payload: dict[str, Any], *, demo: bool = False
) -> httpx.Response:
    body = json.dumps(payload, separators=(",", ":"))
    timestamp = await sim_now(client)
    signed = headers(creds, "POST", path, timestamp_ms=timestamp, body=body, demo=demo)
    return await client.post(path, content=body.encode(), headers=signed)


async def scenario(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    answer = await client.post(f"/_sim/scenarios/{name}")
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result
