"""The plugin interface every simulated exchange implements: `ExchangeSim`, plus `MintedKey` and `Scenario`.

Belongs here: the contract between the shared core and an exchange folder. Does not belong here: any one
exchange's behaviour (that lives in `tradedock_sim/<exchange>/`) or shared machinery (state, control API,
faults, rate limits: the other `core` modules).

How a new exchange plugs in
---------------------------
1. Create `tradedock_sim/<x>/` with `plugin.py` holding `class XSim(ExchangeSim)` and `routes.py` holding the
   exchange's Starlette routes (paths exactly as the exchange serves them, e.g. `/api/v2/spot/account/info`).
2. Add one line to `SIMULATORS` in `tradedock_sim/app.py`: `"x": XSim(),`.
3. Handlers read shared state with `sim_state(request)` and use the helpers in `tradedock_sim.core`:
   `client_ip(request)` (the IP the exchange sees), `request_environment(request)` (live/demo/testnet, from
   the path prefix), `state.now_ms()` (the exchange's clock, shifted by `POST /_sim/clock`),
   `state.live_key(key_id)`, `state.account_of(key)`, `state.limiter.hit(bucket, RateLimit(...))`.
4. Everything the core does for free: control API (`/_sim/...`), fault injection, the per-IP budget
   (`ip_rate_limit`), environment prefixes (`environments`), scenario endpoints, the `tradedock-sim serve`
   server and the test fixtures in `tests/sim/conftest.py`.

Class attributes a plugin sets (ClassVar):
    name                  registry name ("bybit")
    wallets               wallet names accepted in `balances` (DESIGN: Bybit UNIFIED, FUND; Bitget spot, ...)
    margin_modes          accepted `margin_mode` values in the exchange's own vocabulary
    default_margin_mode   used when `POST /_sim/accounts` does not give one
    account_modes         accepted `account_mode` values (default: unified, classic)
    environments          non-live environment -> path prefix, e.g. {"demo": "/demo", "testnet": "/testnet"};
                          requests under the prefix see `request_environment(request) == "demo"`
    ip_rate_limit         `RateLimit` per client IP over all exchange paths, or None
    standard_fault_presets  True = also offer presets named after the fault types (http_500, http_503_html,
                          timeout, rate_limit, geo_block) = `healthy` + that fault (see core/scenarios.py)
    rules                 {name: Rule}: switches for behaviour the exchange's docs leave UNCONFIRMED; each
                          reading is a choice, set with `POST /_sim/config {"rules": {name: choice}}` and read
                          by handlers with `rule(state, plugin, name)` (see core/rules.py)

Methods a plugin implements (abstract) or may override (defaults shown in the code):
    routes()                          -> list of Starlette routes (abstract)
    new_uid(state)                    -> a fresh uid in the exchange's format (abstract)
    mint_credentials(state, account, extra) -> MintedKey(key_id, credentials with DESIGN field names) (abstract)
    validate_permissions(raw)         -> the permissions to store, in the exchange's own vocabulary; raise
                                         ControlInputError("permissions.<x>", "...") on bad input (abstract)
    default_permissions()             -> permissions for scenario keys that give none
    validate_uid(uid)                 -> uid as stored (e.g. checksum an address); raise ControlInputError
    validate_account_extra(payload)   -> exchange-only account fields (anything DESIGN does not name)
    validate_key_extra(payload)       -> exchange-only key fields
    default_key_expiry(state, ips)    -> expires_at (ms) when the caller gives none (Bybit: 90 days if unbound)
    rate_limit_response(request)      -> the exchange's real "too many requests" answer (fault `rate_limit`)
    ip_limit_response(request, d)     -> the answer when `ip_rate_limit` is breached
    scenarios()                       -> {name: Scenario} presets for `POST /_sim/scenarios/{name}`
    instruments()                     -> the perpetuals the matching engine trades (`core/engine.py`); () = none
    new_order_id(state)               -> an order id in the exchange's format (default: a UUID from state.rng)
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from tradedock_sim.core.orders import Instrument
from tradedock_sim.core.ratelimit import LimitDecision, RateLimit
from tradedock_sim.core.rules import Rule
from tradedock_sim.core.state import ACCOUNT_MODES, Account, ControlInputError, SimState

DAY_MS = 86_400_000


@dataclass(frozen=True)
class MintedKey:
    """A new key: `key_id` is what the exchange sees on the wire; `credentials` use DESIGN's field names
    (bybit api_key/secret; bitget api_key/secret/passphrase; aster api_wallet/private_key/main_wallet)."""

    key_id: str
    credentials: dict[str, str] = field(repr=False)


@dataclass(frozen=True)
class Scenario:
    """A named preset applied by `POST /_sim/scenarios/{name}`: creates one account and (usually) one key.

    account       payload for `POST /_sim/accounts` (same validation)
    key           payload for `POST /_sim/keys` without `uid`; None = no key. `permissions` missing ->
                  plugin.default_permissions(). The string "$caller" inside `ips` is replaced with the IP the
                  exchange sees for the request applying the scenario (or the body's `ip`), so "healthy"
                  keys are bound to whoever set them up.
    key_expires_in_ms  expires_at relative to the exchange clock at apply time (overrides key.expires_at)
    delete_key    delete the key right after creating it (a revoked key)
    clock_offset_ms / client_ip / faults   applied to the whole port (they are per-exchange settings)
    """

    description: str
    expect: str
    account: Mapping[str, Any] = field(default_factory=dict)
    key: Mapping[str, Any] | None = field(default_factory=dict)
    key_expires_in_ms: int | None = None
    delete_key: bool = False
    clock_offset_ms: int | None = None
    client_ip: str | None = None
    faults: Mapping[str, Any] | None = None


class ExchangeSim(ABC):
    """Base class of a simulated exchange. Stateless: all state lives in the `SimState` of each app."""

    name: ClassVar[str]
    wallets: ClassVar[tuple[str, ...]]
    margin_modes: ClassVar[tuple[str, ...]]
    default_margin_mode: ClassVar[str]
    account_modes: ClassVar[tuple[str, ...]] = ACCOUNT_MODES
    environments: ClassVar[Mapping[str, str]] = {}
    ip_rate_limit: ClassVar[RateLimit | None] = None
    standard_fault_presets: ClassVar[bool] = False
    rules: ClassVar[Mapping[str, Rule]] = {}

    @abstractmethod
    def routes(self) -> list[BaseRoute]:
        """The exchange's own endpoints (mounted at the root and under each environment prefix)."""

    @abstractmethod
    def new_uid(self, state: SimState) -> str:
        """A fresh account id in the exchange's format (use `state.rng` so seeded apps are reproducible)."""

    @abstractmethod
    def mint_credentials(self, state: SimState, account: Account, extra: dict[str, Any]) -> MintedKey:
        """New credentials for a key on `account`. ``extra`` is what `validate_key_extra` returned for this key
        (it is stored with the key; the plugin may add to it, e.g. the true secret behind tampered credentials)."""

    @abstractmethod
    def validate_permissions(self, raw: object) -> object:
        """Check a permission payload written in the exchange's vocabulary; return what to store."""

    def default_permissions(self) -> object:
        raise ControlInputError("permissions", f"{self.name} scenario keys must give permissions")

    def validate_uid(self, uid: str) -> str:
        if not uid.strip():
            raise ControlInputError("uid", "must be a non-empty string")
        return uid.strip()

    def validate_account_extra(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Exchange-only account fields. Default: none accepted."""
        for name in payload:
            raise ControlInputError(name, f"unknown field for {self.name} accounts")
        return {}

    def validate_key_extra(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Exchange-only key fields. Default: none accepted."""
        for name in payload:
            raise ControlInputError(name, f"unknown field for {self.name} keys")
        return {}

    def default_key_expiry(self, state: SimState, ip_bound: bool) -> int | None:
        """expires_at (ms) for a key created without one. Default: never expires."""
        return None

    def rate_limit_response(self, request: Request) -> Response:
        """The exchange's answer to "too many requests" (used by the `rate_limit` fault)."""
        return JSONResponse({"error": "rate limited"}, status_code=429)

    def ip_limit_response(self, request: Request, decision: LimitDecision) -> Response:
        """The answer when the per-IP budget is breached. Default: same as `rate_limit_response`."""
        return self.rate_limit_response(request)

    def scenarios(self) -> Mapping[str, Scenario]:
        return {}

    def instruments(self) -> Sequence[Instrument]:
        """The perpetuals the shared matching engine trades on this exchange. Default: none."""
        return ()

    def new_order_id(self, state: SimState) -> str:
        """A fresh order (and execution) id; Bybit's look like UUIDs. Seeded apps are reproducible."""
        return str(uuid.UUID(int=state.rng.getrandbits(128), version=4))
