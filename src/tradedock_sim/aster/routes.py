"""Starlette routes for Aster: rate limit, V3 auth, permission check, then the endpoint handler.

Belongs here: turning an HTTP request into an `endpoints.Call` and an `AsterError` or result into a response
(with `X-MBX-USED-WEIGHT-1M`). Does not belong here: the rules themselves (`auth.py`, `ratelimit.py`,
`endpoints.py`). Paths are the exchange's own; the core also mounts them under `/testnet` (chainId 714).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tradedock_sim.aster import builders, errors, klines, trading
from tradedock_sim.aster.auth import (
    PERMISSIONS,
    Agent,
    NonceBook,
    authenticate,
    read_signed_request,
    require_permission,
)
from tradedock_sim.aster.endpoints import ENDPOINTS, Call, Endpoint, HangAfterward
from tradedock_sim.aster.errors import AsterError
from tradedock_sim.aster.ratelimit import WeightLimiter
from tradedock_sim.aster.rules import main_wallet_may_sign
from tradedock_sim.core import SimState, client_ip, request_environment, sim_state
from tradedock_sim.core.fallback import unknown_path_route
from tradedock_sim.core.faults import hang

WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"  # FUTURES doc "Limits"; exact suffix UNCONFIRMED (aster.md §6)


def weight_limiter(state: SimState) -> WeightLimiter:
    limiter: WeightLimiter = state.extra.setdefault("aster.weights", WeightLimiter())
    return limiter


def nonce_book(state: SimState) -> NonceBook:
    book: NonceBook = state.extra.setdefault("aster.nonces", NonceBook())
    return book


def agent_lookup(state: SimState, address: str) -> Agent | None:
    """The approved agent with this API wallet address, unless unknown or revoked (deleted)."""
    key = state.live_key(address)
    if key is None:
        return None
    return Agent(
        address=key.key_id,
        user=key.uid,
        environment=key.environment,
        expires_at=key.expires_at,
        ips=tuple(key.ips),
        permissions=dict(key.permissions),
    )


def main_wallet_agent(state: SimState, address: str, environment: str) -> Agent | None:
    """Under rule main_wallet_signer=accept: a main wallet acting as its own agent (every permission)."""
    if not main_wallet_may_sign(state) or address not in state.accounts:
        return None
    return Agent(address, address, environment, None, (), dict.fromkeys(PERMISSIONS, True))


async def _call_for(request: Request, endpoint: Endpoint, state: SimState) -> Call:
    environment = request_environment(request)
    query = request.scope.get("query_string", b"").decode("latin-1")
    if not endpoint.signed:
        return Call(state, environment, dict(parse_qsl(query, keep_blank_values=True)), state.now_ms())
    body = (await request.body()).decode("utf-8", errors="replace") if request.method != "GET" else ""
    signed = read_signed_request(query, body)
    now_ms = state.now_ms()
    agent = authenticate(
        signed,
        environment=environment,
        now_ms=now_ms,
        client_ip=client_ip(request),
        find_agent=lambda address: agent_lookup(state, address) or main_wallet_agent(state, address, environment),
        nonces=nonce_book(state),
    )
    if endpoint.permission is not None:
        require_permission(agent, endpoint.permission)
    return Call(state, environment, signed.params, now_ms, agent=agent, account=state.accounts[agent.user])


def error_response(exc: AsterError, used_weight: int) -> Response:
    headers = {WEIGHT_HEADER: str(used_weight), **dict(exc.headers)}
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


def _serve(endpoints: Mapping[str, Endpoint]) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        state = sim_state(request)
        endpoint = endpoints[request.method]
        limiter = weight_limiter(state)
        ip = client_ip(request)
        try:
            used = limiter.charge(ip, endpoint.weight_for(request.query_params))
            result = endpoint.handler(await _call_for(request, endpoint, state))
        except AsterError as exc:
            return error_response(exc, limiter.used(ip))
        if isinstance(result, HangAfterward):  # order fault `accept_then_timeout`: done, never answered
            return await hang(state)
        return JSONResponse(result, headers={WEIGHT_HEADER: str(used)})

    return serve


async def approve_builder(request: Request) -> Response:
    """POST /fapi/v3/approveBuilder: signed by the main wallet itself (see `builders.py`), weight 1."""
    state = sim_state(request)
    limiter = weight_limiter(state)
    ip = client_ip(request)
    try:
        limiter.charge(ip, 1)
        query = request.scope.get("query_string", b"").decode("latin-1")
        signed = read_signed_request(query, (await request.body()).decode("utf-8", errors="replace"))
        result = builders.approve_builder(
            state, request_environment(request), signed.params, signed.signature, state.now_ms(), nonce_book(state)
        )
    except AsterError as exc:
        return error_response(exc, limiter.used(ip))
    return JSONResponse(result, headers={WEIGHT_HEADER: str(limiter.used(ip))})


async def unknown_path(request: Request) -> Response:
    """Any path Aster does not serve: its Binance-style -5000 answer with HTTP 404 (wording UNCONFIRMED)."""
    return error_response(errors.unknown_path(request.method, request.url.path), 0)


def routes() -> list[BaseRoute]:
    """One Starlette route per path, dispatching on method (other methods get Starlette's 405), then the
    approveBuilder management call and the catch-all for unknown paths."""
    by_path: dict[str, dict[str, Endpoint]] = defaultdict(dict)
    for endpoint in (*ENDPOINTS, *builders.ENDPOINTS, *trading.ENDPOINTS, *klines.ENDPOINTS):
        by_path[endpoint.path][endpoint.method] = endpoint
    table: list[BaseRoute] = [Route(path, _serve(methods), methods=list(methods)) for path, methods in by_path.items()]
    table.append(Route("/fapi/v3/approveBuilder", approve_builder, methods=["POST"]))
    table.append(unknown_path_route(unknown_path))  # must stay last: routes after it are unreachable
    return table
