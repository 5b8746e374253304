"""How one Bitget endpoint is served: auth, environment, account-mode and rate-limit gates, then the envelope.

What belongs here: `Endpoint` (path, method, family, documented limit, handler), the request `Context` handlers
receive, the gate order, parameter helpers and turning `BitgetError` into Bitget's error answer. What does not:
any endpoint's own logic (`routes.py`) or the signature rule itself (`auth.py`).

Gate order for a private request: Content-Type (POST) → signature/timestamp/key/environment/passphrase/IP
(`auth.authenticate`) → per-UID limit → account system (UTA key on V2 → 40085, classic key on V3 → 40084) →
read permission of the endpoint's area (40014; `permissions.can_read`, switchable in `rules.py`).
The order among these is not documented: UNCONFIRMED.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tradedock_sim.bitget import errors, permissions
from tradedock_sim.bitget.auth import BitgetKey, SignedRequest, authenticate
from tradedock_sim.bitget.errors import BitgetError, ErrorSpec
from tradedock_sim.bitget.rules import read_enforced
from tradedock_sim.core import Account, ApiKey, RateLimit, SimState, client_ip, sim_state
from tradedock_sim.core.faults import hang
from tradedock_sim.core.jsonlimits import loads_body

Family = Literal["public", "classic", "uta"]
#: Which permission area a classic read belongs to (None: no read permission checked).
Area = Literal["spot", "futures", "uta_mgt"]


@dataclass(frozen=True)
class Context:
    """What a handler gets: validated params and, on private endpoints, the caller's key and account."""

    state: SimState
    now_ms: int
    params: Mapping[str, str]
    body: Mapping[str, Any]
    key: ApiKey | None = None
    account: Account | None = None

    @property
    def caller(self) -> tuple[ApiKey, Account]:
        if self.key is None or self.account is None:  # a routing bug, never a client error
            raise RuntimeError("private handler called without an authenticated key")
        return self.key, self.account

    def param(self, name: str) -> str | None:
        value = self.params.get(name)
        if value is None:
            raw = self.body.get(name)
            value = None if raw is None else str(raw)
        return value if value else None

    def required(self, name: str) -> str:
        value = self.param(name)
        if value is None:
            raise BitgetError(errors.parameter_empty(name))
        return value


Handler = Callable[[Context], Any]


@dataclass(frozen=True)
class HangAfterward:
    """Returned by a handler that acted but must not answer (order fault `accept_then_timeout`)."""

    data: Any


@dataclass(frozen=True)
class Endpoint:
    """One Bitget endpoint: `per_second` is its documented limit, counted per UID (private) or per IP (public)."""

    method: str
    path: str
    family: Family
    per_second: int
    handler: Handler = field(repr=False)
    reads: Area | None = None

    def route(self) -> Route:
        async def serve(request: Request) -> Response:
            return await handle(self, request)

        return Route(self.path, serve, methods=[self.method], name=f"bitget {self.method} {self.path}")


def error_response(spec: ErrorSpec, now_ms: int) -> JSONResponse:
    return JSONResponse(errors.error_envelope(spec, now_ms), status_code=spec.http_status)


def too_many_requests(now_ms: int) -> JSONResponse:
    """HTTP 429, body code "429" (bitget.md §7/§8; ccxt maps the body code to DDoSProtection)."""
    return error_response(errors.TOO_MANY_REQUESTS, now_ms)


@dataclass(frozen=True)
class TrueCredentials:
    """The real secret and passphrase of a key whose handed-out credentials were tampered with (`tamper`)."""

    secret: str = field(repr=False)
    passphrase: str = field(repr=False)


def bitget_key(key: ApiKey) -> BitgetKey:
    """The verifier's view of a stored key: the true secret/passphrase, even when a preset handed out wrong ones."""
    true = key.extra.get("true_credentials")
    if not isinstance(true, TrueCredentials):
        true = TrueCredentials(key.credentials.get("secret", ""), key.credentials.get("passphrase", ""))
    return BitgetKey(
        api_key=key.key_id,
        secret=true.secret,
        passphrase=true.passphrase,
        uid=key.uid,
        environment=key.environment,
        ips=tuple(key.ips) if key.ip_bound else (),
        expires_at_ms=key.expires_at,
        permissions=tuple(key.permissions or ()),
        label=key.label,
    )


def _lookup(state: SimState) -> Callable[[str], BitgetKey | None]:
    def lookup(api_key: str) -> BitgetKey | None:
        key = state.live_key(api_key)
        return None if key is None else bitget_key(key)

    return lookup


def _parse_body(method: str, text: str) -> dict[str, Any]:
    if method != "POST" or not text.strip():
        return {}
    try:
        body = loads_body(text)
    except ValueError as exc:
        raise BitgetError(errors.parameter_error("Request body is not valid JSON")) from exc
    if not isinstance(body, dict):
        raise BitgetError(errors.parameter_error("Request body must be a JSON object"))
    return body


async def handle(endpoint: Endpoint, request: Request) -> Response:
    state = sim_state(request)
    now = state.now_ms()
    try:
        raw = await request.body()
        try:
            body_text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BitgetError(errors.parameter_error("Request body is not UTF-8")) from exc
        query = request.scope.get("query_string", b"").decode("latin-1")
        ip = client_ip(request)
        if endpoint.family == "public":
            if not state.limiter.hit(f"bitget:ip:{ip}:{endpoint.path}", RateLimit(endpoint.per_second, 1000)).allowed:
                return too_many_requests(now)
            context = Context(state, now, dict(parse_qsl(query, keep_blank_values=True)), {})
        else:
            # "Content-Type: application/json" is required on POST (https://www.bitget.com/api-doc/common/signature).
            if endpoint.method == "POST" and "application/json" not in request.headers.get("content-type", ""):
                raise BitgetError(ErrorSpec("40007", "Invalid Content_Type"))
            signed = SignedRequest(endpoint.method, request.url.path, query, body_text, request.headers)
            verified = authenticate(signed, lookup=_lookup(state), now_ms=now, client_ip=ip)
            key = state.keys[verified.api_key]
            rule = RateLimit(endpoint.per_second, 1000)
            if not state.limiter.hit(f"bitget:uid:{key.uid}:{endpoint.path}", rule).allowed:
                return too_many_requests(now)
            account = state.account_of(key)
            if endpoint.family == "classic" and account.account_mode == "unified":
                raise BitgetError(errors.UTA_KEY_ON_CLASSIC_API)
            if endpoint.family == "uta" and account.account_mode != "unified":
                raise BitgetError(errors.CLASSIC_KEY_ON_UTA_API)
            area = endpoint.reads
            if area is not None and read_enforced(state, area) and not permissions.can_read(key.permissions, area):
                raise BitgetError(errors.incorrect_permissions(permissions.READ_REFUSALS[area]))
            params = dict(parse_qsl(query, keep_blank_values=True))
            context = Context(state, now, params, _parse_body(endpoint.method, body_text), key, account)
        data = endpoint.handler(context)
    except BitgetError as exc:
        return error_response(exc.spec, now)
    if isinstance(data, HangAfterward):  # the `accept_then_timeout` order fault: done, but never answered
        return await hang(state)
    return JSONResponse(errors.success_envelope(data, now))


async def not_found(request: Request) -> Response:
    """Any other path: HTTP 404 with 40404 "Request URL NOT FOUND" (official error table)."""
    return error_response(errors.NOT_FOUND, sim_state(request).now_ms())
