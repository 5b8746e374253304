"""Bybit V5 private-request authentication, written from the docs (never from `tradedock.exchanges`).

Source: https://bybit-exchange.github.io/docs/v5/guide ("Authentication"). Headers X-BAPI-API-KEY,
X-BAPI-TIMESTAMP (ms), X-BAPI-SIGN, X-BAPI-RECV-WINDOW (default 5000), optional X-BAPI-SIGN-TYPE.
Signature: lowercase hex HMAC-SHA256(secret, timestamp + api_key + recv_window + payload) where payload is the
query string for GET and the raw body for POST. Timestamp rule:
server_time - recv_window <= timestamp < server_time + 1000.

Check order (UNCONFIRMED, chosen to give the most specific answer first): key known on this host (10003)
-> not expired (33004) -> timestamp window (10002) -> signature (10004) -> bound IP (10010) -> per-UID
endpoint budget (10006) -> permission (10005). Belongs here: those checks and the `private` decorator.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from tradedock_sim.bybit import envelope
from tradedock_sim.core import Account, ApiKey, RateLimit, client_ip, request_environment, sim_state

DEFAULT_RECV_WINDOW = "5000"
FUTURE_TOLERANCE_MS = 1000


@dataclass(frozen=True)
class Caller:
    """An authenticated request: its key and account."""

    key: ApiKey
    account: Account


Handler = Callable[[Request, Caller], Awaitable[Response]]
Requirement = Callable[[ApiKey], bool]


def string_to_sign(timestamp: str, api_key: str, recv_window: str, payload: str) -> str:
    """timestamp + api_key + recv_window + (query string | raw body), joined with no separators."""
    return f"{timestamp}{api_key}{recv_window}{payload}"


def expected_signature(secret: str, timestamp: str, api_key: str, recv_window: str, payload: str) -> str:
    """HMAC-SHA256 lowercase hex over the documented string to sign."""
    message = string_to_sign(timestamp, api_key, recv_window, payload)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _signed_payloads(request: Request, raw_body: bytes) -> list[str]:
    if request.method == "GET":
        raw_query = request.scope.get("query_string", b"").decode("latin-1")
        # Whether Bybit checks the encoded or the decoded query is UNCONFIRMED; accept either form.
        return list(dict.fromkeys([raw_query, unquote(raw_query)]))
    return [raw_body.decode("utf-8", errors="replace")]


async def authenticate(request: Request, limit_per_second: int, requirement: Requirement | None) -> Caller | Response:
    """Run the checks in the module docstring; a Response means the request is refused."""
    state = sim_state(request)
    headers = request.headers
    api_key = headers.get("x-bapi-api-key")
    timestamp = headers.get("x-bapi-timestamp")
    signature = headers.get("x-bapi-sign")
    recv_window = headers.get("x-bapi-recv-window", DEFAULT_RECV_WINDOW)
    raw_body = await request.body()
    if request.method == "GET" and raw_body:
        # "GET request with an empty json body" is a documented cause of HTTP 403 (docs/v5/error).
        return PlainTextResponse("403 Forbidden", status_code=403)
    if not api_key:
        # HTTP 401: "auth params missing from the headers" (https://bybit-exchange.github.io/docs/v5/error).
        return envelope.error(request, envelope.INVALID_API_KEY, status_code=401)
    key = state.live_key(api_key)
    # 10003 also for a key of another environment: "check the key matches the domain" (docs/v5/error).
    if key is None or key.environment != request_environment(request):
        return envelope.error(request, envelope.INVALID_API_KEY)
    now = state.now_ms()
    if key.expired(now):
        return envelope.error(request, envelope.KEY_EXPIRED)
    if not timestamp or not timestamp.isdigit() or not recv_window.isdigit() or int(recv_window) <= 0:
        return envelope.error(
            request,
            envelope.TIMESTAMP_OUT_OF_WINDOW,
            _window_message(timestamp or "", now, recv_window),
            status_code=401,
        )
    if not now - int(recv_window) <= int(timestamp) < now + FUTURE_TOLERANCE_MS:
        return envelope.error(request, envelope.TIMESTAMP_OUT_OF_WINDOW, _window_message(timestamp, now, recv_window))
    secret = key.credentials["secret"]
    payloads = _signed_payloads(request, raw_body)
    given = (signature or "").lower()
    if not any(
        hmac.compare_digest(given, expected_signature(secret, timestamp, api_key, recv_window, p)) for p in payloads
    ):
        origin = string_to_sign(timestamp, api_key, recv_window, payloads[0])
        return envelope.error(request, envelope.SIGN_ERROR, f"error sign! origin_string[{origin}]")
    if key.ip_bound and client_ip(request) not in key.ips:
        return envelope.error(request, envelope.UNMATCHED_IP)
    decision = state.limiter.hit(f"uid:{key.uid}:{request.url.path}", RateLimit(limit_per_second, 1000))
    if not decision.allowed:
        return envelope.rate_limited(request, limit=limit_per_second, reset_at_ms=decision.reset_at_ms)
    if requirement is not None and not requirement(key):
        return envelope.error(request, envelope.PERMISSION_DENIED)
    request.state.bybit_limit = envelope.limit_headers(decision.limit, decision.remaining, decision.reset_at_ms)
    return Caller(key=key, account=state.account_of(key))


def _window_message(timestamp: str, now: int, recv_window: str) -> str:
    # Text as seen in real answers (https://github.com/bybit-exchange/pybit/issues/191).
    return (
        "invalid request, please check your server timestamp or recv_window param. "
        f"req_timestamp[{timestamp}],server_timestamp[{now}],recv_window[{recv_window}]"
    )


def private(
    limit_per_second: int, requirement: Requirement | None = None
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Decorate a handler `(request, caller)` with authentication, the endpoint budget and limit headers."""

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            outcome = await authenticate(request, limit_per_second, requirement)
            if isinstance(outcome, Response):
                return outcome
            response = await handler(request, outcome)
            response.headers.update(request.state.bybit_limit)
            return response

        return endpoint

    return decorate


def can_trade_contracts(key: ApiKey) -> bool:
    """Write access to derivatives: not read-only and ContractTrade granted (docs/v5/user/apikey-info)."""
    permissions = key.permissions if isinstance(key.permissions, dict) else {}
    return not key.extra.get("read_only", False) and bool(permissions.get("ContractTrade"))


def can_write(key: ApiKey) -> bool:
    """Any write access (account settings such as margin mode need a read-write key)."""
    return not key.extra.get("read_only", False)
