"""Bybit V5 REST endpoints: base URLs per environment, the paths TradeDock reads, and their rate limits.

What belongs here: constants only, each with the official doc page beside it (pages are the ``.mdx`` files of
``bybit-exchange/docs`` at https://bybit-exchange.github.io/docs/). What does not: signing (``signing.py``),
response parsing (``adapter.py``) or error codes (``errors.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from tradedock.domain import ContractType, Environment
from tradedock.exchanges.budgets import RateBook

#: Official REST hosts. https://bybit-exchange.github.io/docs/v5/guide (mainnet, testnet) and
#: https://bybit-exchange.github.io/docs/v5/demo (demo trading: a separate account with its own keys, created
#: while logged in to mainnet). Regional hosts (bybit.nl, bybit.tr, …) are not offered yet.
BASE_URLS: Mapping[Environment, str] = MappingProxyType(
    {
        Environment.LIVE: "https://api.bybit.com",
        Environment.DEMO: "https://api-demo.bybit.com",
        Environment.TESTNET: "https://api-testnet.bybit.com",
    }
)

#: Path under the simulator's root that speaks each environment (the Bybit simulator serves the demo host under
#: ``/demo`` and testnet under ``/testnet``), so one simulator can tell a demo key used on live (10003).
SANDBOX_PATHS: Mapping[Environment, str] = MappingProxyType(
    {Environment.LIVE: "", Environment.DEMO: "/demo", Environment.TESTNET: "/testnet"}
)

#: Where a trader creates and edits keys (live). Demo keys: same page, switched to "Demo Trading".
KEY_MANAGEMENT_URL = "https://www.bybit.com/app/user/api-management"
TESTNET_KEY_MANAGEMENT_URL = "https://testnet.bybit.com/app/user/api-management"

#: Default validity window sent as X-BAPI-RECV-WINDOW (the guide's default): a signed request is accepted when
#: ``server_time - recv_window <= timestamp < server_time + 1000``. https://bybit-exchange.github.io/docs/v5/guide
DEFAULT_RECV_WINDOW_MS = 5000


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    signed: bool
    doc: str
    rate_limit: str  # as documented, for humans; the rate budget itself lives in http.py


#: GET /v5/market/time: public server clock. https://bybit-exchange.github.io/docs/v5/market/time
SERVER_TIME = Endpoint("GET", "/v5/market/time", False, "https://bybit-exchange.github.io/docs/v5/market/time", "IP")

#: GET /v5/user/query-api: the calling key's permissions, IPs, expiry, uid; any permission may call it.
#: https://bybit-exchange.github.io/docs/v5/user/apikey-info
KEY_INFO = Endpoint(
    "GET", "/v5/user/query-api", True, "https://bybit-exchange.github.io/docs/v5/user/apikey-info", "10/s"
)

#: GET /v5/account/info: unifiedMarginStatus (1 classic, 3/4 UTA 1.0, 5/6 UTA 2.0) and account-wide marginMode.
#: https://bybit-exchange.github.io/docs/v5/account/account-info
ACCOUNT_INFO = Endpoint(
    "GET", "/v5/account/info", True, "https://bybit-exchange.github.io/docs/v5/account/account-info", "50/s"
)

#: GET /v5/account/wallet-balance?accountType=UNIFIED (classic accounts once used CONTRACT / SPOT).
#: https://bybit-exchange.github.io/docs/v5/account/wallet-balance
WALLET_BALANCE = Endpoint(
    "GET", "/v5/account/wallet-balance", True, "https://bybit-exchange.github.io/docs/v5/account/wallet-balance", "50/s"
)

#: GET /v5/asset/transfer/query-account-coins-balance?accountType=FUND: the Funding wallet.
#: https://bybit-exchange.github.io/docs/v5/asset/balance/all-balance
FUNDING_BALANCE = Endpoint(
    "GET",
    "/v5/asset/transfer/query-account-coins-balance",
    True,
    "https://bybit-exchange.github.io/docs/v5/asset/balance/all-balance",
    "5/s",
)

#: GET /v5/position/list?category=…&symbol=…: "if symbol passed, it returns data regardless of having position or
#: not"; positionIdx 0 = one-way, 1/2 = hedge. https://bybit-exchange.github.io/docs/v5/position
POSITION_LIST = Endpoint("GET", "/v5/position/list", True, "https://bybit-exchange.github.io/docs/v5/position", "50/s")


@dataclass(frozen=True)
class ContractMarket:
    """How to ask /v5/position/list about one futures market: its category plus a symbol or a settle coin."""

    category: str
    symbol: str | None = None
    settle_coin: str | None = None

    def params(self) -> dict[str, str]:
        out = {"category": self.category}
        if self.symbol:
            out["symbol"] = self.symbol
        elif self.settle_coin:
            out["settleCoin"] = self.settle_coin
        return out


#: USDT perpetuals and inverse: one liquid symbol, which "returns data regardless of having position or not".
#: USDC perpetuals: ``settleCoin=USDC`` (documented for linear), because the USDC-perp symbol names are not in our
#: reference; it lists only open positions, so with none the mode stays unknown. In UTA 2.0 only USDT perpetuals
#: support hedge mode at all (https://bybit-exchange.github.io/docs/v5/position/position-mode).
CONTRACT_MARKETS: Mapping[ContractType, ContractMarket] = MappingProxyType(
    {
        ContractType.USDT_M: ContractMarket("linear", symbol="BTCUSDT"),
        ContractType.USDC_M: ContractMarket("linear", settle_coin="USDC"),
        ContractType.COIN_M: ContractMarket("inverse", symbol="BTCUSD"),
    }
)

#: Wallet account types (https://bybit-exchange.github.io/docs/v5/enum#accounttype). CONTRACT and SPOT are the
#: legacy classic-account wallets, still answered by old accounts.
WALLET_UNIFIED = "UNIFIED"
WALLET_FUND = "FUND"
WALLET_CONTRACT = "CONTRACT"
WALLET_SPOT = "SPOT"


# --- trading (exchanges/bybit/trading.py) ----------------------------------------------------------------------
# Per-UID limits: https://bybit-exchange.github.io/docs/v5/rate-limit (order writes 10/s, order reads 50/s).

#: GET /v5/market/instruments-info?category=linear&symbol=…: tick, lot, min/max qty, min notional, max leverage.
#: https://bybit-exchange.github.io/docs/v5/market/instrument
INSTRUMENTS_INFO = Endpoint(
    "GET", "/v5/market/instruments-info", False, "https://bybit-exchange.github.io/docs/v5/market/instrument", "IP"
)
#: GET /v5/market/tickers?category=linear&symbol=…: markPrice. https://bybit-exchange.github.io/docs/v5/market/tickers
TICKERS = Endpoint("GET", "/v5/market/tickers", False, "https://bybit-exchange.github.io/docs/v5/market/tickers", "IP")
#: GET /v5/market/kline?category=linear&symbol=…&interval=…&limit=…: candles, newest first (``candles.py``).
KLINE = Endpoint("GET", "/v5/market/kline", False, "https://bybit-exchange.github.io/docs/v5/market/kline", "IP")
#: POST /v5/order/create. https://bybit-exchange.github.io/docs/v5/order/create-order
ORDER_CREATE = Endpoint(
    "POST", "/v5/order/create", True, "https://bybit-exchange.github.io/docs/v5/order/create-order", "10/s"
)
#: POST /v5/order/cancel. https://bybit-exchange.github.io/docs/v5/order/cancel-order
ORDER_CANCEL = Endpoint(
    "POST", "/v5/order/cancel", True, "https://bybit-exchange.github.io/docs/v5/order/cancel-order", "10/s"
)
#: GET /v5/order/realtime: open orders, or one order by orderId / orderLinkId.
#: https://bybit-exchange.github.io/docs/v5/order/open-order
ORDER_REALTIME = Endpoint(
    "GET", "/v5/order/realtime", True, "https://bybit-exchange.github.io/docs/v5/order/open-order", "50/s"
)
#: GET /v5/order/history. https://bybit-exchange.github.io/docs/v5/order/order-list
ORDER_HISTORY = Endpoint(
    "GET", "/v5/order/history", True, "https://bybit-exchange.github.io/docs/v5/order/order-list", "50/s"
)
#: POST /v5/position/set-leverage. https://bybit-exchange.github.io/docs/v5/position/leverage
SET_LEVERAGE = Endpoint(
    "POST", "/v5/position/set-leverage", True, "https://bybit-exchange.github.io/docs/v5/position/leverage", "10/s"
)
#: POST /v5/position/switch-mode (mode 0 one-way, 3 hedge). https://bybit-exchange.github.io/docs/v5/position/position-mode
SWITCH_MODE = Endpoint(
    "POST", "/v5/position/switch-mode", True, "https://bybit-exchange.github.io/docs/v5/position/position-mode", "10/s"
)
#: POST /v5/account/set-margin-mode (UTA). https://bybit-exchange.github.io/docs/v5/account/set-margin-mode
SET_MARGIN_MODE = Endpoint(
    "POST",
    "/v5/account/set-margin-mode",
    True,
    "https://bybit-exchange.github.io/docs/v5/account/set-margin-mode",
    "5/s",
)

#: The exchange-wide budget per egress IP: 600 requests per 5-second window per IP (https://bybit-exchange.github.io/docs/v5/rate-limit).
IP_RATE_LIMIT = "600/5s per IP"

#: Every endpoint above with its documented limit (and request weight), for the outbound budgets in ``http.py``.
#: Collected from this module's globals so an endpoint added above is budgeted without another edit.
RATES = RateBook.collect(list(globals().values()), ip=IP_RATE_LIMIT)
