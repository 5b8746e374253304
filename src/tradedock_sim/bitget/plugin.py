"""`BitgetSim`: the Bitget plugin for the simulator core (credentials, vocabulary, wallets, limits).

What belongs here: the answers to `tradedock_sim.core.plugin.ExchangeSim`. Endpoints are in `routes.py`,
the signature rule in `auth.py`, presets in `scenarios.py`.

Bitget-specific control-API fields:
- `POST /_sim/keys`: `passphrase` (optional; 8-32 letters and digits, Bitget's rule for API-created keys,
  error 40070 in bitget.md §9; generated when absent); `tamper`: "secret" | "passphrase" | "api_key" hands out
  credentials with that one field wrong while the key itself stays valid (used by the bad_secret,
  wrong_passphrase and unknown_key presets).
- `POST /_sim/accounts`: `parent_uid` (optional) makes the account a sub-account.
Demo trading is the same host plus the header `paptrading: 1` (bitget.md §9). The core only accepts key
environments that have a path prefix, so "demo" is declared with the prefix `/demo`; the prefix itself changes
nothing: on Bitget the header alone decides.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from tradedock_sim.bitget import permissions, routes, scenarios, trading
from tradedock_sim.bitget.endpoint import TrueCredentials, too_many_requests
from tradedock_sim.bitget.rules import RULES
from tradedock_sim.core import (
    Account,
    ControlInputError,
    ExchangeSim,
    LimitDecision,
    MintedKey,
    RateLimit,
    Rule,
    Scenario,
    SimState,
    sim_state,
)
from tradedock_sim.core.orders import Instrument

HEX = "0123456789abcdef"
ALPHANUMERIC = string.ascii_letters + string.digits
# Seen in public code: "bg_" + 32 lower-case hex; secrets 64 hex (bitget.md §9, UNCONFIRMED officially).
API_KEY_HEX_LENGTH = 32
SECRET_LENGTH = 64
GENERATED_PASSPHRASE_LENGTH = 16
PASSPHRASE_RULE = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)[A-Za-z\d]{8,32}$")
TAMPER_FIELDS = ("secret", "passphrase", "api_key")

#: Extras validated for the key being created, handed from `validate_key_extra` to `mint_credentials`: the core
#: calls the two back to back inside one synchronous `create_key`, and `mint_credentials` gets no payload.


class BitgetSim(ExchangeSim):
    """Bitget V2 (classic) and V3 (unified) REST, https://www.bitget.com/api-doc/common/intro."""

    name: ClassVar[str] = "bitget"
    wallets: ClassVar[tuple[str, ...]] = ("spot", "USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES", "funding")
    margin_modes: ClassVar[tuple[str, ...]] = ("crossed", "isolated")
    default_margin_mode: ClassVar[str] = "crossed"
    account_modes: ClassVar[tuple[str, ...]] = ("classic", "unified")
    environments: ClassVar[Mapping[str, str]] = {"demo": "/demo"}
    # "6000 requests/min per IP" over all endpoints (Common docs "Frequency Limiting Rules", bitget.md §8).
    ip_rate_limit: ClassVar[RateLimit | None] = RateLimit(limit=6000, window_ms=60_000)
    # Also offer the core's http_500 / http_503_html / rate_limit / geo_block presets (same names on every
    # exchange); Bitget's own fault presets (exchange_down, maintenance, timeout, ...) stay as well.
    standard_fault_presets: ClassVar[bool] = True
    # Readings of the UNCONFIRMED read-permission rules (spot_read, futures_read): see rules.py.
    rules: ClassVar[Mapping[str, Rule]] = RULES

    def routes(self) -> list[BaseRoute]:
        return routes.routes()

    def new_uid(self, state: SimState) -> str:
        uid = str(state.rng.randint(1_000_000_000, 9_999_999_999))
        while uid in state.accounts:
            uid = str(state.rng.randint(1_000_000_000, 9_999_999_999))
        return uid

    def validate_uid(self, uid: str) -> str:
        uid = uid.strip()
        if not uid.isdigit():
            raise ControlInputError("uid", "Bitget UIDs are digits, e.g. 4486145123")
        return uid

    def validate_account_extra(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        for name, value in payload.items():
            if name != "parent_uid":
                raise ControlInputError(name, "unknown field for bitget accounts (extra: parent_uid)")
            if not isinstance(value, str | int) or not str(value).isdigit():
                raise ControlInputError(name, "must be the main account's UID (digits)")
            extra[name] = str(value)
        return extra

    def validate_key_extra(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        for name, value in payload.items():
            if name == "passphrase":
                if not isinstance(value, str) or not PASSPHRASE_RULE.match(value):
                    raise ControlInputError(
                        name, "Bitget passphrases are 8-32 letters and digits with at least one of each (40070)"
                    )
                extra["requested_passphrase"] = value
            elif name == "tamper":
                if value not in TAMPER_FIELDS:
                    raise ControlInputError(name, f"must be one of {', '.join(TAMPER_FIELDS)}")
                extra["tamper"] = value
            else:
                raise ControlInputError(name, "unknown field for bitget keys (extra: passphrase, tamper)")
        return extra

    def mint_credentials(self, state: SimState, account: Account, extra: dict[str, Any]) -> MintedKey:
        api_key = self._new_api_key(state)
        secret = state.random_string(SECRET_LENGTH, HEX)
        passphrase = extra.pop("requested_passphrase", None) or self._new_passphrase(state)
        handed_out = {"api_key": api_key, "secret": secret, "passphrase": passphrase}
        tamper = extra.get("tamper")
        if tamper is not None:
            extra["true_credentials"] = TrueCredentials(secret, passphrase)
            if tamper == "secret":
                handed_out["secret"] = state.random_string(SECRET_LENGTH, HEX)
            elif tamper == "passphrase":
                handed_out["passphrase"] = self._new_passphrase(state)
            else:
                handed_out["api_key"] = self._new_api_key(state)
        return MintedKey(key_id=api_key, credentials=handed_out)

    def validate_permissions(self, raw: object) -> object:
        return permissions.validate(raw)

    def default_permissions(self) -> object:
        return ["coow", "cpow", "stor"]  # the key the guide asks for (see scenarios.FUTURES_KEY)

    def rate_limit_response(self, request: Request) -> Response:
        return too_many_requests(sim_state(request).now_ms())

    def ip_limit_response(self, request: Request, decision: LimitDecision) -> Response:
        return too_many_requests(sim_state(request).now_ms())

    def scenarios(self) -> Mapping[str, Scenario]:
        return scenarios.SCENARIOS

    def instruments(self) -> Sequence[Instrument]:
        return trading.engine_instruments()

    def new_order_id(self, state: SimState) -> str:
        return trading.new_order_id(state)

    @staticmethod
    def _new_api_key(state: SimState) -> str:
        api_key = "bg_" + state.random_string(API_KEY_HEX_LENGTH, HEX)
        while api_key in state.keys:
            api_key = "bg_" + state.random_string(API_KEY_HEX_LENGTH, HEX)
        return api_key

    @staticmethod
    def _new_passphrase(state: SimState) -> str:
        # Always at least one letter and one digit, like the rule Bitget enforces on API-created keys.
        body = state.random_string(GENERATED_PASSPHRASE_LENGTH - 2, ALPHANUMERIC)
        return "P" + body + str(state.rng.randint(0, 9))
