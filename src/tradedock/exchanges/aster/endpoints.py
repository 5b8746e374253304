"""Aster V3 hosts, EIP-712 chain ids and the REST paths TradeDock reads, each with the doc it comes from.

What belongs here: constants only (base URLs per environment, the simulator's path prefixes, chain ids,
paths and their request weights). What does not: signing (``signing.py``), error codes (``errors.py``) or
parsing (``adapter.py``). Facts from /work/shared/reference/exchanges/aster.md §3–§4.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from tradedock.domain import Environment
from tradedock.exchanges.budgets import RateBook

FUTURES_DOC = "https://github.com/asterdex/api-docs/blob/master/V3(Recommended)/EN/aster-finance-futures-api-v3.md"
FUTURES_TESTNET_DOC = (
    "https://github.com/asterdex/api-docs/blob/master/V3(Recommended)/EN/aster-finance-futures-api-testnet.md"
)
SPOT_DOC = "https://github.com/asterdex/api-docs/blob/master/V3(Recommended)/EN/aster-finance-spot-api-v3.md"
AGENT_DOC = "https://asterdex.github.io/aster-api-website/asterCode/endpoints/"  # "Get Agents"
GUIDE_URL = "https://www.asterdex.com/en/api-wallet"

#: Futures REST hosts (V3 under /fapi/v3). FUTURES_DOC "General API Information"; testnet: FUTURES_TESTNET_DOC.
FUTURES_BASE_URLS: Mapping[Environment, str] = MappingProxyType(
    {
        Environment.LIVE: "https://fapi.asterdex.com",
        Environment.TESTNET: "https://fapi.asterdex-testnet.com",
    }
)

#: Spot REST hosts (V3 under /api/v3). SPOT_DOC "General API Information"; testnet spot doc likewise.
SPOT_BASE_URLS: Mapping[Environment, str] = MappingProxyType(
    {
        Environment.LIVE: "https://sapi.asterdex.com",
        Environment.TESTNET: "https://sapi.asterdex-testnet.com",
    }
)

#: The simulator serves fapi and sapi paths on one root; testnet lives under a path prefix there.
SANDBOX_PATHS: Mapping[Environment, str] = MappingProxyType({Environment.LIVE: "", Environment.TESTNET: "/testnet"})

#: EIP-712 domain chainId for V3 request signing (FUTURES_DOC / FUTURES_TESTNET_DOC "EIP712 signature").
#: Aster's own off-chain signing ids, not deposit chains.
CHAIN_IDS: Mapping[Environment, int] = MappingProxyType({Environment.LIVE: 1666, Environment.TESTNET: 714})


@dataclass(frozen=True)
class Endpoint:
    """One REST call: method, path, request weight (None = undocumented) and the doc that describes it."""

    method: str
    path: str
    weight: int | None
    doc: str
    spot: bool = False


# Public: {"serverTime": ms}. FUTURES_DOC "Check Server Time".
SERVER_TIME = Endpoint("GET", "/fapi/v3/time", 1, FUTURES_DOC + "#check-server-time")
# Signed: the agents (API wallets) approved by the user, with their permissions, IP whitelist and expiry.
# AGENT_DOC "Get Agents" (also demo/aster-code.py in asterdex/api-docs); weight not documented.
AGENTS = Endpoint("GET", "/fapi/v3/agent", None, AGENT_DOC)
# Signed: futures wallet balances per asset. FUTURES_DOC "Futures Account Balance v3 (USER_DATA)".
FUTURES_BALANCE = Endpoint("GET", "/fapi/v3/balance", 5, FUTURES_DOC + "#futures-account-balance-v3-user_data")
# Signed: account summary (account-level canTrade/canDeposit/canWithdraw, not agent flags).
# Renamed from /fapi/v3/account on 2026-03-28; FUTURES_DOC "Account Information v3 (USER_DATA)".
FUTURES_ACCOUNT = Endpoint(
    "GET", "/fapi/v3/accountWithJoinMargin", 5, FUTURES_DOC + "#account-information-v3-user_data"
)
# The pre-rename path, tried only when the new one answers 404 (still listed by ccxt; UNCONFIRMED, aster.md §8.7).
FUTURES_ACCOUNT_OLD = Endpoint("GET", "/fapi/v3/account", 5, FUTURES_DOC + "#account-information-v3-user_data")
# Signed: {"dualSidePosition": bool}, true = hedge. FUTURES_DOC "Get Current Position Mode(USER_DATA)".
POSITION_MODE = Endpoint("GET", "/fapi/v3/positionSide/dual", 30, FUTURES_DOC + "#get-current-position-modeuser_data")
# Signed: {"multiAssetsMargin": bool}, true = Multi-Assets. FUTURES_DOC "Get Current Multi-Assets Mode (USER_DATA)".
MULTI_ASSETS_MODE = Endpoint(
    "GET", "/fapi/v3/multiAssetsMargin", 30, FUTURES_DOC + "#get-current-multi-assets-mode-user_data"
)
# Signed: spot account with balances[{asset, free, locked}]. SPOT_DOC "Account information (USER_DATA)".
# Known to answer HTTP 500 HTML for V3-signed GETs (https://github.com/asterdex/api-docs/issues/110).
SPOT_ACCOUNT = Endpoint("GET", "/api/v3/account", 5, SPOT_DOC + "#account-information-user_data", spot=True)

#: Candles, oldest first (``candles.py``); weight 1 below 100 candles, 2 below 500 (FUTURES_DOC).
KLINES = Endpoint("GET", "/fapi/v3/klines", 2, FUTURES_DOC + "#klinecandlestick-data")

#: Signed: an order's trades with their ``commission`` and ``commissionAsset`` (the order answers carry no fee).
#: FUTURES_DOC "Account Trade List (USER_DATA)": ``symbol`` required, ``orderId`` only with ``symbol``; weight 5.
USER_TRADES = Endpoint("GET", "/fapi/v3/userTrades", 5, FUTURES_DOC + "#account-trade-list-user_data")

#: The exchange-wide budget per egress IP: REQUEST_WEIGHT 2400/min per IP (aster.md §6, futures exchangeInfo).
IP_RATE_LIMIT = "2400/min per IP"

#: Every endpoint above with its documented limit (and request weight), for the outbound budgets in ``http.py``.
#: Collected from this module's globals so an endpoint added above is budgeted without another edit.
RATES = RateBook.collect(list(globals().values()), ip=IP_RATE_LIMIT)
