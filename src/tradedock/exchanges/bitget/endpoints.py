"""Bitget hosts, environments and the REST paths TradeDock reads, each with the doc page it comes from.

What belongs here: base URLs per environment, the sandbox path suffixes, one `Endpoint` per REST call with
its doc URL and rate limit, and the product-type table that ties a `ContractType` to Bitget's names. What
does not: signing (``signing.py``), error codes (``errors.py``) or parsing (``parsing.py``).

Facts come from /work/shared/reference/exchanges/bitget.md; section numbers below refer to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from tradedock.domain import AccountMode, ContractType, Environment
from tradedock.exchanges.budgets import RateBook

#: Live and demo trading share one host; demo is selected by the ``paptrading: 1`` header (§9,
#: https://www.bitget.com/api-doc/common/demotrading/restapi). There is no Bitget testnet.
LIVE_BASE_URL = "https://api.bitget.com"

BASE_URLS: Mapping[Environment, str] = MappingProxyType(
    {Environment.LIVE: LIVE_BASE_URL, Environment.DEMO: LIVE_BASE_URL}
)

#: The simulator serves Bitget at one root; demo there is the same header, never a path.
SANDBOX_PATHS: Mapping[Environment, str] = MappingProxyType({Environment.LIVE: "", Environment.DEMO: ""})

#: The header (and value) that turns a request into a demo-trading request (§9).
DEMO_HEADER = ("paptrading", "1")

GUIDE_URL = "https://www.bitget.com/support/articles/12560603795900"


@dataclass(frozen=True)
class Endpoint:
    """One REST call: method, path, whether it is signed, which account system serves it, and its doc."""

    method: str
    path: str
    doc: str
    rate_limit: str
    signed: bool = True
    #: The account system whose keys this path accepts; None = both (public endpoints).
    account_mode: AccountMode | None = None


# --- public ---------------------------------------------------------------------------------------------------

#: §6. Response data {"serverTime": "<ms>"}.
SERVER_TIME = Endpoint(
    "GET",
    "/api/v2/public/time",
    doc="https://www.bitget.com/api-doc/common/public/Get-Server-Time",
    rate_limit="20/s per IP",
    signed=False,
)

# --- classic account (V2) -------------------------------------------------------------------------------------

#: §2. userId, ips (comma-separated), authorities[], parentId. The only V2 source of key permissions.
V2_ACCOUNT_INFO = Endpoint(
    "GET",
    "/api/v2/spot/account/info",
    doc="https://www.bitget.com/api-doc/spot/account/Get-Account-Info",
    rate_limit="1/s per UID",
    account_mode=AccountMode.CLASSIC,
)

#: §5. data[] of {coin, available, frozen, locked, limitAvailable, uTime}; assetType=hold_only by default.
V2_SPOT_ASSETS = Endpoint(
    "GET",
    "/api/v2/spot/account/assets",
    doc="https://www.bitget.com/api-doc/spot/account/Get-Account-Assets",
    rate_limit="10/s per UID",
    account_mode=AccountMode.CLASSIC,
)

#: §3. ?productType=; data[] per margin coin {marginCoin, available, accountEquity, usdtEquity, ...}.
#: It carries neither marginMode nor posMode.
V2_MIX_ACCOUNTS = Endpoint(
    "GET",
    "/api/v2/mix/account/accounts",
    doc="https://www.bitget.com/api-doc/contract/account/Get-Account-List",
    rate_limit="10/s per UID",
    account_mode=AccountMode.CLASSIC,
)

#: §3–4. ?symbol=&productType=&marginCoin= (all required); data {marginMode, posMode, ...}. posMode is per
#: productType; marginMode is per symbol, so we read it for the product type's reference symbol.
V2_MIX_ACCOUNT = Endpoint(
    "GET",
    "/api/v2/mix/account/account",
    doc="https://www.bitget.com/api-doc/contract/account/Get-Single-Account",
    rate_limit="10/s per UID",
    account_mode=AccountMode.CLASSIC,
)

#: The classic account's funding wallet: data[] of {coin, available, frozen, usdtValue}, coins with assets only.
V2_FUNDING_ASSETS = Endpoint(
    "GET",
    "/api/v2/account/funding-assets",
    doc="https://www.bitget.com/api-doc/common/account/Funding-Assets",
    rate_limit="10/s per UID (ccxt cost 2)",
    account_mode=AccountMode.CLASSIC,
)

# --- unified trading account (V3) -----------------------------------------------------------------------------

#: §2. uid, parentId (set only for sub-accounts), ips, permType, permissions[]. "No permission required".
V3_ACCOUNT_INFO = Endpoint(
    "GET",
    "/api/v3/account/info",
    doc="https://www.bitget.com/api-doc/uta/account/Get-Account-Info",
    rate_limit="5/s per UID",
    account_mode=AccountMode.UNIFIED,
)

#: §3, §10. holdMode (one_way_mode|hedge_mode), assetMode, symbolConfigList[{category, symbol, marginMode,
#: leverage}]. The field list is from the UTA docs' "Get Account Settings" page as SDKs model it (the
#: reference gives only the path and holdMode).
V3_ACCOUNT_SETTINGS = Endpoint(
    "GET",
    "/api/v3/account/settings",
    doc="https://www.bitget.com/api-doc/uta/account/Get-Account-Setting",
    rate_limit="unknown (ccxt detects UTA with it)",
    account_mode=AccountMode.UNIFIED,
)

#: §5. data {accountEquity, usdtEquity, ..., assets[{coin, equity, usdValue, balance, available, locked}]}.
V3_ACCOUNT_ASSETS = Endpoint(
    "GET",
    "/api/v3/account/assets",
    doc="https://www.bitget.com/api-doc/uta/account/Get-Account",
    rate_limit="20/s per UID",
    account_mode=AccountMode.UNIFIED,
)

#: §5. The UTA's separate funding account: data[] of {coin, balance, available, frozen}.
V3_FUNDING_ASSETS = Endpoint(
    "GET",
    "/api/v3/account/funding-assets",
    doc="https://www.bitget.com/api-doc/uta/account/Get-Account-Funding-Assets",
    rate_limit="20/s per UID",
    account_mode=AccountMode.UNIFIED,
)


@dataclass(frozen=True)
class ProductType:
    """A Bitget futures product type, and the market we read its (per-symbol) margin mode from."""

    name: str  # productType on V2, category on V3: USDT-FUTURES, USDC-FUTURES, COIN-FUTURES
    reference_symbol: str
    margin_coin: str


#: §3. Demo trading uses the same names (with the paptrading header); the S-prefixed types are "demo coins
#: in the live environment", which TradeDock does not use. Reference symbols: BTCUSDT (USDT-M), BTCPERP (the
#: USDC-M BTC perpetual) and BTCUSD margined in BTC (COIN-M) — the BTC market of each product type.
PRODUCT_TYPES: Mapping[ContractType, ProductType] = MappingProxyType(
    {
        ContractType.USDT_M: ProductType("USDT-FUTURES", "BTCUSDT", "USDT"),
        ContractType.USDC_M: ProductType("USDC-FUTURES", "BTCPERP", "USDC"),
        ContractType.COIN_M: ProductType("COIN-FUTURES", "BTCUSD", "BTC"),
    }
)

#: Wallet names in `Balance.wallet`: ``spot`` and the product types (classic accounts, DESIGN.md), and for a
#: unified account ``unified`` (the one trading account of a UTA) plus ``funding``.
SPOT_WALLET = "spot"
UNIFIED_WALLET = "unified"
FUNDING_WALLET = "funding"

# --- classic (V2) futures trading (exchanges/bitget/trading.py) -----------------------------------------------


def _mix(method: str, path: str, doc: str, rate_limit: str, *, signed: bool = True) -> Endpoint:
    mode = AccountMode.CLASSIC if signed else None
    return Endpoint(method, path, doc=doc, rate_limit=rate_limit, signed=signed, account_mode=mode)


MIX_CONTRACTS = _mix(
    "GET",
    "/api/v2/mix/market/contracts",
    "https://www.bitget.com/api-doc/contract/market/Get-All-Symbols-Contracts",
    "20/s per IP",
    signed=False,
)
MIX_TICKER = _mix(
    "GET", "/api/v2/mix/market/ticker", "https://www.bitget.com/api-doc/contract/market/Get-Ticker", "20/s per IP",
    signed=False,
)  # fmt: skip
#: Candles, oldest first (``candles.py``).
MIX_CANDLES = _mix(
    "GET", "/api/v2/mix/market/candles", "https://www.bitget.com/api-doc/contract/market/Get-Candle-Data",
    "20/s per IP", signed=False,
)  # fmt: skip
MIX_PLACE_ORDER = _mix(
    "POST", "/api/v2/mix/order/place-order", "https://www.bitget.com/api-doc/contract/trade/Place-Order", "10/s per UID"
)
MIX_CANCEL_ORDER = _mix(
    "POST",
    "/api/v2/mix/order/cancel-order",
    "https://www.bitget.com/api-doc/contract/trade/Cancel-Order",
    "10/s per UID",
)
MIX_ORDER_DETAIL = _mix(
    "GET", "/api/v2/mix/order/detail", "https://www.bitget.com/api-doc/contract/trade/Get-Order-Details", "10/s per UID"
)
MIX_ORDERS_PENDING = _mix(
    "GET",
    "/api/v2/mix/order/orders-pending",
    "https://www.bitget.com/api-doc/contract/trade/Get-Orders-Pending",
    "10/s per UID",
)
MIX_ALL_POSITIONS = _mix(
    "GET",
    "/api/v2/mix/position/all-position",
    "https://www.bitget.com/api-doc/contract/position/get-all-position",
    "5/s per UID",
)
MIX_SET_LEVERAGE = _mix(
    "POST",
    "/api/v2/mix/account/set-leverage",
    "https://www.bitget.com/api-doc/contract/account/Change-Leverage",
    "5/s per UID",
)
MIX_SET_POSITION_MODE = _mix(
    "POST",
    "/api/v2/mix/account/set-position-mode",
    "https://www.bitget.com/api-doc/contract/account/Change-Hold-Mode",
    "5/s per UID",
)
MIX_SET_MARGIN_MODE = _mix(
    "POST",
    "/api/v2/mix/account/set-margin-mode",
    "https://www.bitget.com/api-doc/contract/account/Change-Margin-Mode",
    "5/s per UID",
)

#: The exchange-wide budget per egress IP: 6000 requests/min per IP (bitget.md §8).
IP_RATE_LIMIT = "6000/min per IP"

#: Every endpoint above with its documented limit (and request weight), for the outbound budgets in ``http.py``.
#: Collected from this module's globals so an endpoint added above is budgeted without another edit.
RATES = RateBook.collect(list(globals().values()), ip=IP_RATE_LIMIT)
