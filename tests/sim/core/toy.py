"""A minimal plugin used to test the shared core without any real exchange's rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tradedock_sim.core import (
    Account,
    ControlInputError,
    ExchangeSim,
    MintedKey,
    RateLimit,
    Scenario,
    SimState,
    client_ip,
    request_environment,
    sim_state,
)


async def whoami(request: Request) -> Response:
    state = sim_state(request)
    return JSONResponse(
        {
            "ip": client_ip(request),
            "environment": request_environment(request),
            "now": state.now_ms(),
            "path": request.url.path,
        }
    )


class ToySim(ExchangeSim):
    name: ClassVar[str] = "toy"
    wallets: ClassVar[tuple[str, ...]] = ("main", "savings")
    margin_modes: ClassVar[tuple[str, ...]] = ("cross", "isolated")
    default_margin_mode: ClassVar[str] = "cross"
    environments: ClassVar[Mapping[str, str]] = {"demo": "/demo"}
    ip_rate_limit: ClassVar[RateLimit | None] = RateLimit(limit=5, window_ms=60_000)
    standard_fault_presets: ClassVar[bool] = True

    def routes(self) -> list[BaseRoute]:
        return [Route("/api/whoami", whoami, methods=["GET"])]

    def new_uid(self, state: SimState) -> str:
        return f"u{state.rng.randint(1000, 9999)}"

    def mint_credentials(self, state: SimState, account: Account, extra: dict[str, Any]) -> MintedKey:
        key = state.random_string(8, "abcdef")
        return MintedKey(key, {"api_key": key, "secret": state.random_string(16, "0123456789")})

    def validate_permissions(self, raw: object) -> object:
        if not isinstance(raw, list) or not all(p in ("read", "trade") for p in raw):
            raise ControlInputError("permissions", 'must be a list of "read"/"trade"')
        return raw

    def default_permissions(self) -> object:
        return ["read"]

    def scenarios(self) -> Mapping[str, Scenario]:
        return {
            "bound": Scenario("key bound to the caller", "connected", key={"ips": ["$caller"]}),
            "skewed": Scenario("clock 20 s ahead", "clock.skew fails", clock_offset_ms=20_000, key=None),
            "broken": Scenario("500s", "unreachable", faults={"error": "http_500"}),
            "gone": Scenario("deleted key", "auth fails", delete_key=True),
        }

    def validate_account_extra(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        if set(payload) - {"tier"}:
            return super().validate_account_extra({k: v for k, v in payload.items() if k != "tier"})
        return dict(payload)
