"""`AsterSim`: the Aster V3 plugin for the simulator core (wallets, agent permissions, environments, limits).

Belongs here: the answers to the plugin interface (`tradedock_sim.core.plugin.ExchangeSim`) and generating the
EVM keypairs behind main wallets and API wallets. Endpoints are in
`routes.py`/`endpoints.py`, signature checks in `auth.py`, presets in `scenarios.py`.

Control API mapping (DESIGN.md "Simulator"):
* `POST /_sim/accounts` -> `{uid}` where uid is a freshly generated MAIN WALLET address (its private key stays
  inside the simulator, so presets can hand it out as a "pasted the main wallet key" mistake). Wallets
  `futures`, `spot`. `margin_mode` is `single_asset` (default) or `multi_assets` (GET /fapi/v3/multiAssetsMargin).
  Aster-only fields: `margin_type` (`cross` default | `isolated`: every symbol's marginType) and
  `sim_credentials` (what `POST /_sim/keys` hands out for this account: `api_wallet_key` default,
  `main_wallet_key`, `other_api_wallet_key`, `other_main_wallet`).
* `POST /_sim/keys {uid, permissions: {canRead, canSpotTrade, canPerpTrade, canWithdraw}, ips?, expires_at?,
  environment?: live|testnet, label?}` -> a new API wallet approved as an agent of that main wallet ->
  `{api_wallet, private_key, main_wallet}` (plus the core's uid/environment/expires_at).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from eth_account import Account as EthAccount
from eth_utils.address import to_checksum_address
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from tradedock_sim.aster import errors, routes, scenarios, trading
from tradedock_sim.aster.auth import PERMISSIONS, is_address
from tradedock_sim.aster.endpoints import MULTI_ASSETS, SINGLE_ASSET
from tradedock_sim.aster.rules import RULES
from tradedock_sim.core import (
    DAY_MS,
    Account,
    ApiKey,
    ControlInputError,
    ExchangeSim,
    MintedKey,
    RateLimit,
    Rule,
    Scenario,
    SimState,
    sim_state,
)
from tradedock_sim.core.orders import Instrument

# An API wallet's validity when the caller gives no expiry. The website's "Days valid" default is not
# documented (aster.md §8 item 6: UNCONFIRMED); Bitsgap's guide calls 365 days the maximum.
DEFAULT_AGENT_LIFETIME_MS = 365 * DAY_MS
CREDENTIAL_VARIANTS = ("api_wallet_key", "main_wallet_key", "other_api_wallet_key", "other_main_wallet")
DEFAULT_PERMISSIONS: Mapping[str, bool] = {
    "canRead": True,
    "canSpotTrade": False,
    "canPerpTrade": True,
    "canWithdraw": False,
}
MAIN_WALLETS = "aster.main_wallets"  # state.extra: main wallet address -> Wallet (generated accounts only)


# Order of the secp256k1 group: a private key must lie in [1, n-1].
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass(frozen=True)
class Wallet:
    """An EVM wallet: checksummed `address` and its 0x-prefixed hex `private_key` (never in reprs)."""

    address: str
    private_key: str = field(repr=False)


def new_wallet(rng: random.Random) -> Wallet:
    """A fresh keypair drawn from `rng` (seeded states give reproducible wallets)."""
    secret = 0
    while not 1 <= secret < SECP256K1_ORDER:
        secret = rng.getrandbits(256)
    private_key = "0x" + secret.to_bytes(32, "big").hex()
    return Wallet(address=str(EthAccount.from_key(private_key).address), private_key=private_key)


def main_wallets(state: SimState) -> dict[str, Wallet]:
    wallets: dict[str, Wallet] = state.extra.setdefault(MAIN_WALLETS, {})
    return wallets


def _fresh_wallet(state: SimState) -> Wallet:
    wallet = new_wallet(state.rng)
    while wallet.address in state.keys or wallet.address in state.accounts:
        wallet = new_wallet(state.rng)
    return wallet


class AsterSim(ExchangeSim):
    """Aster V3 (https://github.com/asterdex/api-docs, `V3(Recommended)/EN/aster-finance-futures-api-v3.md`)."""

    name: ClassVar[str] = "aster"
    wallets: ClassVar[tuple[str, ...]] = ("futures", "spot")
    margin_modes: ClassVar[tuple[str, ...]] = (SINGLE_ASSET, MULTI_ASSETS)
    default_margin_mode: ClassVar[str] = SINGLE_ASSET
    # fapi.asterdex-testnet.com / sapi.asterdex-testnet.com, signed with chainId 714 (aster.md §3).
    environments: ClassVar[Mapping[str, str]] = {"testnet": "/testnet"}
    # Aster limits by request *weight* per IP; `routes.py` charges weights itself (the core counts requests).
    ip_rate_limit: ClassVar[RateLimit | None] = None
    # Also offer the core's http_500 / http_503_html / timeout / rate_limit / geo_block presets (same names on
    # every exchange); Aster's own fault presets (exchange_down, exchange_500, ...) stay as well.
    standard_fault_presets: ClassVar[bool] = True
    # Readings of UNCONFIRMED behaviour: main_wallet_signer (see rules.py).
    rules: ClassVar[Mapping[str, Rule]] = RULES

    def routes(self) -> list[BaseRoute]:
        return routes.routes()

    def new_uid(self, state: SimState) -> str:
        wallet = _fresh_wallet(state)
        main_wallets(state)[wallet.address] = wallet
        return wallet.address

    def validate_uid(self, uid: str) -> str:
        if not is_address(uid.strip()):
            raise ControlInputError("uid", "an Aster uid is the main wallet address: 0x followed by 40 hex digits")
        return str(to_checksum_address(uid.strip()))

    def validate_account_extra(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        extra: dict[str, Any] = {"margin_type": "cross", "sim_credentials": "api_wallet_key"}
        for name, value in payload.items():
            if name == "margin_type":
                if value not in ("cross", "isolated"):
                    raise ControlInputError(name, "must be cross or isolated (applies to every symbol)")
                extra[name] = value
            elif name == "sim_credentials":
                if value not in CREDENTIAL_VARIANTS:
                    raise ControlInputError(name, f"must be one of {', '.join(CREDENTIAL_VARIANTS)}")
                extra[name] = value
            else:
                raise ControlInputError(name, "unknown field for aster accounts (extra: margin_type, sim_credentials)")
        return extra

    def validate_permissions(self, raw: object) -> object:
        """`{canRead, canSpotTrade, canPerpTrade, canWithdraw}` booleans; missing ones: canRead true, others false."""
        if not isinstance(raw, dict):
            raise ControlInputError(
                "permissions", 'must be an object like {"canRead": true, "canPerpTrade": true, "canWithdraw": false}'
            )
        permissions = {name: name == "canRead" for name in PERMISSIONS}
        for name, value in raw.items():
            if name not in PERMISSIONS:
                raise ControlInputError(
                    f"permissions.{name}", f"unknown Aster permission; use {', '.join(PERMISSIONS)}"
                )
            if not isinstance(value, bool):
                raise ControlInputError(f"permissions.{name}", "must be true or false")
            permissions[name] = value
        return permissions

    def default_permissions(self) -> object:
        return dict(DEFAULT_PERMISSIONS)

    def validate_key_extra(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """`source` (string shown in GET /fapi/v3/agent; default "web")."""
        extra: dict[str, Any] = {}
        for name, value in payload.items():
            if name == "source":
                if not isinstance(value, str) or not value:
                    raise ControlInputError(name, 'must be a non-empty string, e.g. "web" or "builder"')
                extra[name] = value
            else:
                raise ControlInputError(name, "unknown field for aster keys (extra: source)")
        return extra

    def default_key_expiry(self, state: SimState, ip_bound: bool) -> int | None:
        return state.now_ms() + DEFAULT_AGENT_LIFETIME_MS

    def mint_credentials(self, state: SimState, account: Account, extra: dict[str, Any]) -> MintedKey:
        """A new API wallet for `account`; what is handed out depends on the account's `sim_credentials`."""
        agent = _fresh_wallet(state)
        credentials = {"api_wallet": agent.address, "private_key": agent.private_key, "main_wallet": account.uid}
        variant = account.extra.get("sim_credentials", "api_wallet_key")
        if variant == "main_wallet_key":
            main = main_wallets(state).get(account.uid)
            if main is None:
                raise ControlInputError(
                    "sim_credentials", "main_wallet_key needs an account whose uid the simulator generated"
                )
            credentials["private_key"] = main.private_key
        elif variant == "other_api_wallet_key":
            credentials["private_key"] = self._approve_other_agent(state, account).private_key
        elif variant == "other_main_wallet":
            other_uid = self.new_uid(state)
            state.accounts[other_uid] = Account(uid=other_uid, margin_mode=SINGLE_ASSET, extra={"margin_type": "cross"})
            credentials["main_wallet"] = other_uid
        return MintedKey(key_id=agent.address, credentials=credentials)

    def _approve_other_agent(self, state: SimState, account: Account) -> Wallet:
        """A second approved API wallet of `account` (live, default permissions) whose key gets handed out."""
        other = _fresh_wallet(state)
        now = state.now_ms()
        state.keys[other.address] = ApiKey(
            key_id=other.address,
            uid=account.uid,
            credentials={"api_wallet": other.address, "private_key": other.private_key, "main_wallet": account.uid},
            permissions=dict(DEFAULT_PERMISSIONS),
            label="other-bot",
            created_at=now,
            expires_at=now + DEFAULT_AGENT_LIFETIME_MS,
        )
        return other

    def rate_limit_response(self, request: Request) -> Response:
        exc = errors.too_many_requests(routes.weight_limiter(sim_state(request)).limit, 60)
        return JSONResponse(exc.body(), status_code=exc.status, headers=dict(exc.headers))

    def scenarios(self) -> Mapping[str, Scenario]:
        return scenarios.SCENARIOS

    def instruments(self) -> Sequence[Instrument]:
        return trading.engine_instruments()

    def new_order_id(self, state: SimState) -> str:
        return trading.new_order_id(state)
