"""`BybitSim`: the Bybit V5 plugin for the simulator core (credentials, vocabulary, environments, limits).

Belongs here: the answers to the plugin interface (`tradedock_sim.core.plugin.ExchangeSim`). Endpoints are in
`routes.py`/`market.py`, signature checks in `auth.py`, presets in `scenarios.py`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute

from tradedock_sim.bybit import assets, envelope, market, routes, scenarios, trading
from tradedock_sim.bybit.permissions import FUTURES_TRADING
from tradedock_sim.bybit.permissions import validate_permissions as validate_bybit_permissions
from tradedock_sim.core import (
    DAY_MS,
    Account,
    ControlInputError,
    ExchangeSim,
    LimitDecision,
    MintedKey,
    RateLimit,
    Scenario,
    SimState,
)
from tradedock_sim.core.orders import Instrument

ALPHANUMERIC = string.ascii_letters + string.digits
API_KEY_LENGTH = 18
SECRET_LENGTH = 36
# Keys without an IP binding become invalid after 90 days
# (https://bybit-exchange.github.io/docs/v5/user/create-subuid-apikey).
UNBOUND_KEY_LIFETIME_MS = 90 * DAY_MS


class BybitSim(ExchangeSim):
    """Bybit V5 (https://bybit-exchange.github.io/docs/v5/guide)."""

    name: ClassVar[str] = "bybit"
    # UNIFIED and FUND today; CONTRACT and SPOT are the legacy classic-account wallets
    # (https://bybit-exchange.github.io/docs/v5/account/wallet-balance, pre-2025-11 versions).
    wallets: ClassVar[tuple[str, ...]] = ("UNIFIED", "FUND", "CONTRACT", "SPOT")
    margin_modes: ClassVar[tuple[str, ...]] = ("REGULAR_MARGIN", "ISOLATED_MARGIN", "PORTFOLIO_MARGIN")
    default_margin_mode: ClassVar[str] = "REGULAR_MARGIN"
    # api-demo.bybit.com and api-testnet.bybit.com (https://bybit-exchange.github.io/docs/v5/demo).
    environments: ClassVar[Mapping[str, str]] = {"demo": "/demo", "testnet": "/testnet"}
    # 600 requests per 5 s per IP; breach -> HTTP 403 and a ban of at least 10 minutes
    # (https://bybit-exchange.github.io/docs/v5/rate-limit).
    ip_rate_limit: ClassVar[RateLimit | None] = RateLimit(limit=600, window_ms=5_000, ban_ms=600_000)
    standard_fault_presets: ClassVar[bool] = True

    def routes(self) -> list[BaseRoute]:
        # The catch-all (Bybit's 404 envelope for unknown paths) must stay last: routes after it are unreachable.
        return [*market.routes(), *routes.routes(), *trading.routes(), *assets.routes(), *assets.fallback()]

    def new_uid(self, state: SimState) -> str:
        return str(state.rng.randint(100_000_000, 499_999_999))

    def validate_uid(self, uid: str) -> str:
        if not uid.isdigit():
            raise ControlInputError("uid", "Bybit UIDs are digits, e.g. 123456789")
        return uid

    def mint_credentials(self, state: SimState, account: Account, extra: dict[str, Any]) -> MintedKey:
        api_key = state.random_string(API_KEY_LENGTH, ALPHANUMERIC)
        while api_key in state.keys:
            api_key = state.random_string(API_KEY_LENGTH, ALPHANUMERIC)
        secret = state.random_string(SECRET_LENGTH, ALPHANUMERIC)
        return MintedKey(key_id=api_key, credentials={"api_key": api_key, "secret": secret})

    def validate_permissions(self, raw: object) -> object:
        return validate_bybit_permissions(raw)

    def default_permissions(self) -> object:
        return {group: list(values) for group, values in FUTURES_TRADING.items()}

    def validate_account_extra(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """`unified_margin_status` (1 classic, 3/4 UTA 1.0, 5/6 UTA 2.0; default 1 for classic, 6 for unified)."""
        extra: dict[str, Any] = {}
        for name, value in payload.items():
            if name == "unified_margin_status":
                if value not in (1, 3, 4, 5, 6):
                    raise ControlInputError(name, "must be 1 (classic), 3, 4 (UTA 1.0), 5 or 6 (UTA 2.0)")
                extra[name] = value
            else:
                raise ControlInputError(name, "unknown field for bybit accounts (extra: unified_margin_status)")
        return extra

    def validate_key_extra(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """`read_only` (bool, default false), `is_master` (bool, default true), `type` (1 personal, 2 third-party)."""
        extra: dict[str, Any] = {"read_only": False, "is_master": True, "type": 1}
        for name, value in payload.items():
            if name in ("read_only", "is_master"):
                if not isinstance(value, bool):
                    raise ControlInputError(name, "must be true or false")
                extra[name] = value
            elif name == "type":
                if value not in (1, 2):
                    raise ControlInputError(name, "must be 1 (personal) or 2 (third-party app)")
                extra[name] = value
            else:
                raise ControlInputError(name, "unknown field for bybit keys (extra: read_only, is_master, type)")
        return extra

    def default_key_expiry(self, state: SimState, ip_bound: bool) -> int | None:
        return None if ip_bound else state.now_ms() + UNBOUND_KEY_LIFETIME_MS

    def rate_limit_response(self, request: Request) -> Response:
        return envelope.rate_limited(request, limit=10)

    def ip_limit_response(self, request: Request, decision: LimitDecision) -> Response:
        # The IP ban is a gateway answer, not a V5 envelope (https://bybit-exchange.github.io/docs/v5/rate-limit).
        return PlainTextResponse("access too frequent", status_code=403)

    def scenarios(self) -> Mapping[str, Scenario]:
        return scenarios.SCENARIOS

    def instruments(self) -> Sequence[Instrument]:
        return market.engine_instruments()
