"""Aster response bodies built from simulator state: exchangeInfo, agents, balances, account, positions.

Belongs here: the JSON shapes, field names and number formatting of successful answers, each following the
example in the Aster docs cited beside it. Does not belong here: auth, validation, refusals (`endpoints.py`).

Docs: FUTURES = https://github.com/asterdex/api-docs/blob/master/V3(Recommended)/EN/aster-finance-futures-api-v3.md
      SPOT    = https://github.com/asterdex/api-docs/blob/master/V3(Recommended)/EN/aster-finance-spot-api-v3.md
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tradedock_sim.aster.ratelimit import WEIGHT_LIMIT_PER_MINUTE
from tradedock_sim.core import Account, ApiKey


@dataclass(frozen=True)
class Market:
    symbol: str
    base: str
    mark_price: Decimal
    max_leverage: int
    tick_size: Decimal = Decimal("0.1")
    step_size: Decimal = Decimal("0.001")


# A small market list; trading rules as Aster lists these symbols (tick, lot), minimum notional 5 USDT.
MARKETS: tuple[Market, ...] = (
    Market("BTCUSDT", "BTC", Decimal("65000.0"), 125, Decimal("0.1"), Decimal("0.001")),
    Market("ETHUSDT", "ETH", Decimal("3200.00"), 100, Decimal("0.01"), Decimal("0.001")),
    Market("ASTERUSDT", "ASTER", Decimal("0.5000"), 50, Decimal("0.0001"), Decimal("1")),
)
MIN_NOTIONAL = Decimal(5)
SYMBOLS = {market.symbol: market for market in MARKETS}
ACCOUNT_ALIAS = "SgsR"  # the docs' example alias ("unique account code")


def amount(value: Decimal) -> str:
    """Aster prints balances as strings with 8 decimals (FUTURES "Futures Account Balance v3")."""
    return f"{value:.8f}"


def _rate_limits() -> list[dict[str, Any]]:
    return [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": WEIGHT_LIMIT_PER_MINUTE},
        {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
    ]


def futures_exchange_info(now_ms: int) -> dict[str, Any]:
    """GET /fapi/v3/exchangeInfo (FUTURES "Exchange Information"), trimmed to what connection checks read."""
    return {
        "timezone": "UTC",
        "serverTime": now_ms,
        "rateLimits": _rate_limits(),
        "exchangeFilters": [],
        "assets": [
            {"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"},
            {"asset": "USDC", "marginAvailable": True, "autoAssetExchange": "-10000"},
        ],
        "symbols": [
            {
                "symbol": m.symbol,
                "pair": m.symbol,
                "contractType": "PERPETUAL",
                "status": "TRADING",
                "baseAsset": m.base,
                "quoteAsset": "USDT",
                "marginAsset": "USDT",
                "pricePrecision": max(0, -m.tick_size.normalize().as_tuple().exponent),  # type: ignore[operator]
                "quantityPrecision": max(0, -m.step_size.normalize().as_tuple().exponent),  # type: ignore[operator]
                "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"],
                "timeInForce": ["GTC", "IOC", "FOK", "GTX", "HIDDEN"],
                # Binance-style filters (FUTURES "Exchange Information" example).
                "filters": [
                    {
                        "filterType": "PRICE_FILTER",
                        "minPrice": str(m.tick_size),
                        "maxPrice": "1000000",
                        "tickSize": str(m.tick_size),
                    },
                    {
                        "filterType": "LOT_SIZE",
                        "minQty": str(m.step_size),
                        "maxQty": "1000000",
                        "stepSize": str(m.step_size),
                    },
                    {
                        "filterType": "MARKET_LOT_SIZE",
                        "minQty": str(m.step_size),
                        "maxQty": "1000000",
                        "stepSize": str(m.step_size),
                    },
                    {"filterType": "MIN_NOTIONAL", "notional": str(MIN_NOTIONAL)},
                ],
            }
            for m in MARKETS
        ],
    }


def spot_exchange_info(now_ms: int) -> dict[str, Any]:
    """GET /api/v3/exchangeInfo (SPOT "Exchange Information"), trimmed."""
    return {
        "timezone": "UTC",
        "serverTime": now_ms,
        "rateLimits": _rate_limits(),
        "symbols": [
            {"symbol": m.symbol, "status": "TRADING", "baseAsset": m.base, "quoteAsset": "USDT"} for m in MARKETS
        ],
    }


def agent_entry(key: ApiKey) -> dict[str, Any]:
    """One element of GET /fapi/v3/agent (aster-api-website `docs/asterCode/endpoints.en.md` "Get Agents")."""
    permissions = dict(key.permissions)
    return {
        "agentAddress": key.key_id,
        "agentName": key.label,
        # Space-separated like registerAndApproveAgent's input (FUTURES "registerAndApproveAgent").
        "ipWhitelist": " ".join(key.ips),
        "expired": key.expires_at if key.expires_at is not None else 0,
        # The docs' example shows "builder" for builder-approved agents; "web" for API-wallet-page agents is
        # the simulator's guess (UNCONFIRMED).
        "source": key.extra.get("source", "web"),
        "canRead": permissions["canRead"],
        "canSpotTrade": permissions["canSpotTrade"],
        "canPerpTrade": permissions["canPerpTrade"],
        "canWithdraw": permissions["canWithdraw"],
    }


def _futures_coins(account: Account) -> dict[str, Decimal]:
    coins = {"USDT": Decimal(0)}
    coins.update(account.wallet("futures"))
    return coins


def futures_balance(account: Account, now_ms: int) -> list[dict[str, Any]]:
    """GET /fapi/v3/balance (FUTURES "Futures Account Balance v3"): one row per asset, USDT always listed."""
    return [
        {
            "accountAlias": ACCOUNT_ALIAS,
            "asset": coin,
            "balance": amount(value),
            "crossWalletBalance": amount(value),
            "crossUnPnl": amount(Decimal(0)),
            "availableBalance": amount(value),
            "maxWithdrawAmount": amount(value),
            "marginAvailable": True,
            "updateTime": now_ms,
        }
        for coin, value in _futures_coins(account).items()
    ]


def margin_type(account: Account, symbol: str) -> str:
    """The symbol's marginType in positionRisk vocabulary: `cross` or `isolated`."""
    types: dict[str, str] = account.extra.setdefault("margin_types", {})
    default = str(account.extra.get("margin_type", "cross"))
    return types.get(symbol, default)


def futures_account(account: Account, now_ms: int, positions: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """GET /fapi/v3/accountWithJoinMargin (FUTURES "Account Information v3", renamed 2026-03-28); ``positions``
    are the account's /fapi/v3/positionRisk rows (from the matching engine)."""
    coins = _futures_coins(account)
    total = sum(coins.values(), Decimal(0))
    zero = amount(Decimal(0))
    return {
        "feeTier": 0,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "updateTime": 0,
        "totalInitialMargin": zero,
        "totalMaintMargin": zero,
        "totalWalletBalance": amount(total),
        "totalUnrealizedProfit": zero,
        "totalMarginBalance": amount(total),
        "totalPositionInitialMargin": zero,
        "totalOpenOrderInitialMargin": zero,
        "totalCrossWalletBalance": amount(total),
        "totalCrossUnPnl": zero,
        "availableBalance": amount(total),
        "maxWithdrawAmount": amount(total),
        "assets": [
            {
                "asset": coin,
                "walletBalance": amount(value),
                "unrealizedProfit": zero,
                "marginBalance": amount(value),
                "maintMargin": zero,
                "initialMargin": zero,
                "positionInitialMargin": zero,
                "openOrderInitialMargin": zero,
                "crossWalletBalance": amount(value),
                "crossUnPnl": zero,
                "availableBalance": amount(value),
                "maxWithdrawAmount": amount(value),
                "marginAvailable": True,
                "updateTime": now_ms,
            }
            for coin, value in coins.items()
        ],
        "positions": [
            {
                "symbol": row["symbol"],
                "initialMargin": zero,
                "maintMargin": zero,
                "unrealizedProfit": zero,
                "positionInitialMargin": zero,
                "openOrderInitialMargin": zero,
                "leverage": row["leverage"],
                "isolated": row["marginType"] == "isolated",
                "entryPrice": row["entryPrice"],
                "maxNotional": row["maxNotionalValue"],
                "positionSide": row["positionSide"],
                "positionAmt": row["positionAmt"],
                "updateTime": row["updateTime"],
            }
            for row in positions
        ],
    }


def spot_account(account: Account, now_ms: int) -> dict[str, Any]:
    """GET /api/v3/account (SPOT "Account information"): balances with free/locked."""
    return {
        "feeTier": 0,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "canBurnAsset": True,
        "updateTime": now_ms,
        "balances": [
            {"asset": coin, "free": amount(value), "locked": amount(Decimal(0))}
            for coin, value in account.wallet("spot").items()
        ],
    }
