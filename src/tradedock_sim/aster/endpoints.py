"""Aster endpoint logic: the table of served paths (weight, auth, permission) and one handler per endpoint.

Belongs here: what each endpoint does with validated input: reads of state, mode switches and their refusals.
Does not belong here: HTTP plumbing, rate limiting and auth (`routes.py`, `auth.py`), JSON shapes
(`payloads.py`), error wording (`errors.py`).

Doc for every `/fapi/v3/*` entry: https://github.com/asterdex/api-docs/blob/master/V3(Recommended)/EN/aster-finance-futures-api-v3.md
Doc for every `/api/v3/*` entry:  https://github.com/asterdex/api-docs/blob/master/V3(Recommended)/EN/aster-finance-spot-api-v3.md
Weights as the docs give them (shared/reference/exchanges/aster.md §4); "TBD" in the docs -> 5 here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tradedock_sim.aster import errors, payloads
from tradedock_sim.aster.auth import Agent
from tradedock_sim.core import Account, SimState

MULTI_ASSETS = "multi_assets"
SINGLE_ASSET = "single_asset"


@dataclass(frozen=True)
class Call:
    """One validated request: `agent`/`account` are None on public (NONE security) endpoints."""

    state: SimState
    environment: str
    params: Mapping[str, str]
    now_ms: int
    agent: Agent | None = None
    account: Account | None = None

    def signed_account(self) -> Account:
        if self.account is None:  # only reachable through a routing mistake in this package
            raise RuntimeError("signed endpoint called without an authenticated account")
        return self.account


Handler = Callable[[Call], Any]


@dataclass(frozen=True)
class HangAfterward:
    """A handler result that must not be answered (order fault `accept_then_timeout`; see `routes._serve`)."""

    data: Any


@dataclass(frozen=True)
class Endpoint:
    """`signed` endpoints need the V3 signature; `permission` is the agent flag they require (None = any agent)."""

    method: str
    path: str
    weight: int
    handler: Handler
    signed: bool = False
    permission: str | None = None
    doc: str = ""  # the doc section the endpoint follows
    #: Weight that depends on the query (klines: on `limit`); None = the fixed `weight`.
    weight_of: Callable[[Mapping[str, str]], int] | None = None

    def weight_for(self, params: Mapping[str, str]) -> int:
        return self.weight if self.weight_of is None else self.weight_of(params)


def _boolean_param(params: Mapping[str, str], name: str) -> bool:
    """Aster wants the strings `true`/`false` in lowercase (aster.md §1.3); anything else is refused."""
    value = params.get(name)
    if value is None or value == "":
        raise errors.mandatory_param(name)
    if value not in ("true", "false"):
        raise errors.invalid_parameter(name)
    return value == "true"


def _symbol(params: Mapping[str, str]) -> str:
    symbol = params.get("symbol", "")
    if not symbol:
        raise errors.mandatory_param("symbol")
    if symbol not in payloads.SYMBOLS:
        raise errors.invalid_symbol()
    return symbol


def ping(call: Call) -> Any:
    return {}


def server_time(call: Call) -> Any:
    return {"serverTime": call.now_ms}


def futures_exchange_info(call: Call) -> Any:
    return payloads.futures_exchange_info(call.now_ms)


def spot_exchange_info(call: Call) -> Any:
    return payloads.spot_exchange_info(call.now_ms)


def agents(call: Call) -> Any:
    """GET /fapi/v3/agent: every live agent of the signing agent's main wallet in this environment."""
    account = call.signed_account()
    return [
        payloads.agent_entry(key)
        for key in call.state.keys.values()
        if key.uid == account.uid and not key.deleted and key.environment == call.environment
    ]


def balance(call: Call) -> Any:
    return payloads.futures_balance(call.signed_account(), call.now_ms)


def account_with_join_margin(call: Call) -> Any:
    from tradedock_sim.aster import trading  # positions live in the matching engine (trading imports this module)

    return payloads.futures_account(
        call.signed_account(), call.now_ms, trading.position_rows(call, list(payloads.SYMBOLS))
    )


def position_risk(call: Call) -> Any:
    from tradedock_sim.aster import trading  # positions live in the matching engine (trading imports this module)

    symbols = [_symbol(call.params)] if call.params.get("symbol") else list(payloads.SYMBOLS)
    return trading.position_rows(call, symbols)


def get_position_mode(call: Call) -> Any:
    return {"dualSidePosition": call.signed_account().position_mode == "hedge"}


def set_position_mode(call: Call) -> Any:
    """POST /fapi/v3/positionSide/dual: -4059 no change, -4067 open orders, -4068 position exists."""
    account = call.signed_account()
    hedge = _boolean_param(call.params, "dualSidePosition")
    if hedge == (account.position_mode == "hedge"):
        raise errors.position_side_no_change()
    from tradedock_sim.aster import trading

    positions, orders = trading.exposure(call, account)
    if orders:
        raise errors.position_side_open_orders()
    if positions:
        raise errors.position_side_position_exists()
    account.position_mode = "hedge" if hedge else "one_way"
    return {"code": 200, "msg": "success"}


def get_multi_assets(call: Call) -> Any:
    return {"multiAssetsMargin": call.signed_account().margin_mode == MULTI_ASSETS}


def set_multi_assets(call: Call) -> Any:
    """POST /fapi/v3/multiAssetsMargin; refusals follow the Binance-clone codes (UNCONFIRMED for Aster)."""
    account = call.signed_account()
    multi = _boolean_param(call.params, "multiAssetsMargin")
    if multi == (account.margin_mode == MULTI_ASSETS):
        raise errors.multi_assets_no_change()
    if multi and any(payloads.margin_type(account, symbol) == "isolated" for symbol in payloads.SYMBOLS):
        raise errors.AsterError(
            -4167, "Unable to adjust to Multi-Assets mode with symbols of USDⓈ-M Futures under isolated-margin mode."
        )
    account.margin_mode = MULTI_ASSETS if multi else SINGLE_ASSET
    return {"code": 200, "msg": "success"}


def set_margin_type(call: Call) -> Any:
    """POST /fapi/v3/marginType: -4046 no change, -4047 open orders, -4048 position, -4168 multi-assets."""
    account = call.signed_account()
    symbol = _symbol(call.params)
    wanted = call.params.get("marginType", "")
    if not wanted:
        raise errors.mandatory_param("marginType")
    if wanted not in ("ISOLATED", "CROSSED"):
        raise errors.invalid_parameter("marginType")
    target = "isolated" if wanted == "ISOLATED" else "cross"
    if payloads.margin_type(account, symbol) == target:
        raise errors.margin_type_no_change()
    if target == "isolated" and account.margin_mode == MULTI_ASSETS:
        raise errors.isolated_under_multi_assets()
    from tradedock_sim.aster import trading

    positions, orders = trading.exposure(call, account, symbol)
    if orders:
        raise errors.margin_type_open_orders()
    if positions:
        raise errors.margin_type_position_exists()
    account.extra.setdefault("margin_types", {})[symbol] = target
    return {"code": 200, "msg": "success"}


def set_leverage(call: Call) -> Any:
    """POST /fapi/v3/leverage: leverage 1..the symbol's maximum."""
    account = call.signed_account()
    symbol = _symbol(call.params)
    raw = call.params.get("leverage", "")
    if not raw:
        raise errors.mandatory_param("leverage")
    if not raw.isdigit() or not 1 <= int(raw) <= payloads.SYMBOLS[symbol].max_leverage:
        raise errors.AsterError(-4028, f"Leverage {raw} is not valid")
    from tradedock_sim.aster import trading

    book = trading.engine(call)
    if book.leverage(account, symbol) != int(raw):
        book.set_leverage(account, symbol, Decimal(int(raw)))
    return {"leverage": int(raw), "maxNotionalValue": "1000000", "symbol": symbol}


def order_test(call: Call) -> Any:
    """POST /fapi/v3/order/test: validates like an order, places nothing (official demo only: UNCONFIRMED)."""
    _symbol(call.params)
    for name in ("side", "type"):
        if not call.params.get(name):
            raise errors.mandatory_param(name)
    return {}


def spot_account(call: Call) -> Any:
    return payloads.spot_account(call.signed_account(), call.now_ms)


def _futures(section: str) -> str:
    return f'{errors.FUTURES_DOC} "{section}"'


def _spot(section: str) -> str:
    return f'{errors.SPOT_DOC} "{section}"'


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/fapi/v3/ping", 1, ping, doc=_futures("Test Connectivity")),
    Endpoint("GET", "/fapi/v3/time", 1, server_time, doc=_futures("Check Server Time")),
    Endpoint("GET", "/fapi/v3/exchangeInfo", 1, futures_exchange_info, doc=_futures("Exchange Information")),
    # aster-api-website docs/asterCode/endpoints.en.md "Get Agents" (weight TBD there).
    Endpoint("GET", "/fapi/v3/agent", 5, agents, signed=True, doc="asterCode endpoints: Get Agents (USER_DATA)"),
    Endpoint(
        "GET", "/fapi/v3/balance", 5, balance, True, "canRead", _futures("Futures Account Balance v3 (USER_DATA)")
    ),
    Endpoint(
        "GET",
        "/fapi/v3/accountWithJoinMargin",
        5,
        account_with_join_margin,
        True,
        "canRead",
        _futures("Account Information v3 (USER_DATA), renamed from /fapi/v3/account on 2026-03-28"),
    ),
    Endpoint(
        "GET",
        "/fapi/v3/positionRisk",
        5,
        position_risk,
        True,
        "canRead",
        _futures("Position Information v3 (USER_DATA)"),
    ),
    Endpoint(
        "GET",
        "/fapi/v3/positionSide/dual",
        30,
        get_position_mode,
        True,
        "canRead",
        _futures("Get Current Position Mode (USER_DATA)"),
    ),
    Endpoint(
        "POST",
        "/fapi/v3/positionSide/dual",
        1,
        set_position_mode,
        True,
        "canPerpTrade",
        _futures("Change Position Mode (TRADE)"),
    ),
    Endpoint(
        "GET",
        "/fapi/v3/multiAssetsMargin",
        30,
        get_multi_assets,
        True,
        "canRead",
        _futures("Get Current Multi-Assets Mode (USER_DATA)"),
    ),
    Endpoint(
        "POST",
        "/fapi/v3/multiAssetsMargin",
        1,
        set_multi_assets,
        True,
        "canPerpTrade",
        _futures("Change Multi-Assets Mode (TRADE)"),
    ),
    Endpoint(
        "POST", "/fapi/v3/marginType", 1, set_margin_type, True, "canPerpTrade", _futures("Change Margin Type (TRADE)")
    ),
    Endpoint(
        "POST", "/fapi/v3/leverage", 1, set_leverage, True, "canPerpTrade", _futures("Change Initial Leverage (TRADE)")
    ),
    # Not in the docs; asterdex/API-demo futures-v3-demo/50_orderTest.js and ccxt list it (aster.md §4).
    Endpoint("POST", "/fapi/v3/order/test", 1, order_test, True, "canPerpTrade", "API-demo 50_orderTest.js"),
    Endpoint("GET", "/api/v3/ping", 1, ping, doc=_spot("Test Connectivity")),
    Endpoint("GET", "/api/v3/time", 1, server_time, doc=_spot("Check Server Time")),
    Endpoint("GET", "/api/v3/exchangeInfo", 1, spot_exchange_info, doc=_spot("Exchange Information")),
    Endpoint("GET", "/api/v3/account", 5, spot_account, True, "canRead", _spot("Account information (USER_DATA)")),
)
