"""ASGI middleware shared by every simulator: environment prefixes, the network model's handshake cost (see
`network.py`), fault injection and the per-IP budget;
plus the request helpers plugins use (`client_ip`, `request_environment`).

Belongs here: per-request behaviour that is the same for every exchange. Does not belong here: auth,
per-UID limits or any exchange envelope (plugins). Control paths (`/_sim/...`) skip faults and limits.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from tradedock_sim.core.faults import generic_fault_response, hang
from tradedock_sim.core.plugin import ExchangeSim
from tradedock_sim.core.state import LoggedRequest, SimState

ENVIRONMENT_SCOPE_KEY = "tradedock_sim.environment"
CONTROL_PREFIX = "/_sim"


def client_ip(request: Request) -> str:
    """The IP the exchange sees: the `POST /_sim/config` override, else the TCP peer address."""
    state: SimState = request.app.state.sim
    if state.client_ip:
        return state.client_ip
    return request.client.host if request.client else "0.0.0.0"  # noqa: S104 - a label, not a bind address


def request_environment(request: Request) -> str:
    """live, demo or testnet: which of the exchange's hosts this request reached (from the path prefix)."""
    return str(request.scope.get(ENVIRONMENT_SCOPE_KEY, "live"))


class SimMiddleware:
    """Strips the environment prefix, then applies faults and the per-IP budget to exchange paths."""

    def __init__(self, app: ASGIApp, state: SimState, plugin: ExchangeSim) -> None:
        self.app = app
        self.state = state
        self.plugin = plugin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = self._route_environment(scope)
        path: str = scope["path"]
        if path.startswith(CONTROL_PREFIX + "/") or path == CONTROL_PREFIX:
            await self.app(scope, receive, send)
            return
        self.state.requests_served += 1
        self.state.requests.append(
            LoggedRequest(
                method=scope["method"],
                path=path,
                query=scope.get("query_string", b"").decode("latin-1"),
                environment=scope[ENVIRONMENT_SCOPE_KEY],
            )
        )
        faults = self.state.faults
        delay_ms = 0
        client = scope.get("client")
        if self.state.network.first_request(client):
            delay_ms += self.state.network.handshake_left_ms(client, faults.latency_ms)
        if faults.applies_to(path):
            delay_ms += faults.latency_ms
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if faults.applies_to(path) and faults.next_request_fails() and faults.error is not None:
            request = Request(scope, receive)
            if faults.error == "timeout":
                response = await hang(self.state)
            elif faults.error == "rate_limit":
                response = self.plugin.rate_limit_response(request)
            else:
                response = generic_fault_response(faults.error)
            await response(scope, receive, send)
            return
        rule = self.plugin.ip_rate_limit
        if rule is not None:
            request = Request(scope, receive)
            decision = self.state.limiter.hit(f"ip:{client_ip(request)}", rule)
            if not decision.allowed:
                await self.plugin.ip_limit_response(request, decision)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _route_environment(self, scope: Scope) -> Scope:
        path: str = scope["path"]
        for environment, prefix in self.plugin.environments.items():
            if path == prefix or path.startswith(prefix + "/"):
                stripped = path[len(prefix) :] or "/"
                return {**scope, "path": stripped, "raw_path": stripped.encode(), ENVIRONMENT_SCOPE_KEY: environment}
        return {**scope, ENVIRONMENT_SCOPE_KEY: "live"}
