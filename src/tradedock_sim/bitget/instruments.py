"""The Bitget simulator's small, fixed market catalogue: coins, spot symbols, contracts, margin pairs.

What belongs here: the public market data that ccxt 4.5.x `load_markets()` reads, in the field names and string
formats of Bitget's V2/V3 answers, built fresh on each call (nothing at import time). What does not: any
account or key state.

Shapes follow the doc response examples that ccxt quotes in its bitget.py comments:
- coins: https://www.bitget.com/api-doc/spot/market/Get-Coin-List
- spot symbols: https://www.bitget.com/api-doc/spot/market/Get-Symbols
- contracts: https://www.bitget.com/api-doc/contract/market/Get-All-Symbols-Contracts
- margin currencies: https://www.bitget.com/api-doc/margin/common/support-currencies
- UTA instruments: https://www.bitget.com/api-doc/uta/public/Instruments
The values (fees, precisions, limits) are realistic but not copied from a live answer.
"""

from __future__ import annotations

from typing import Any

#: The product types Bitget V2 accepts; the S-prefixed ones are "demo coins in the live environment" (§9).
LIVE_PRODUCT_TYPES = ("USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")
DEMO_COIN_PRODUCT_TYPES = ("SUSDT-FUTURES", "SCOIN-FUTURES", "SUSDC-FUTURES")
PRODUCT_TYPES = LIVE_PRODUCT_TYPES + DEMO_COIN_PRODUCT_TYPES

#: Rough USDT prices, used to express coin-margined equity in USDT/BTC.
USDT_PRICES = {"USDT": "1", "USDC": "1", "BTC": "65000", "ETH": "3200", "SUSDT": "1", "SBTC": "65000"}


def _chain(chain: str, fee: str, min_withdraw: str, scale: str) -> dict[str, Any]:
    return {
        "chain": chain,
        "needTag": "false",
        "withdrawable": "true",
        "rechargeable": "true",
        "withdrawFee": fee,
        "extraWithdrawFee": "0",
        "depositConfirm": "12",
        "withdrawConfirm": "64",
        "minDepositAmount": "0.0001",
        "minWithdrawAmount": min_withdraw,
        "browserUrl": "",
        "contractAddress": "",
        "withdrawStep": "0",
        "withdrawMinScale": scale,
        "congestion": "normal",
    }


def coins() -> list[dict[str, Any]]:
    """GET /api/v2/spot/public/coins data."""
    return [
        {"coinId": "1", "coin": "BTC", "transfer": "true", "areaCoin": "no",
         "chains": [_chain("BTC", "0.0002", "0.001", "8")]},
        {"coinId": "2", "coin": "USDT", "transfer": "true", "areaCoin": "no",
         "chains": [_chain("ERC20", "4", "10", "6"), _chain("TRC20", "1", "10", "6")]},
        {"coinId": "3", "coin": "ETH", "transfer": "true", "areaCoin": "no",
         "chains": [_chain("ERC20", "0.002", "0.01", "8")]},
        {"coinId": "4", "coin": "USDC", "transfer": "true", "areaCoin": "no",
         "chains": [_chain("ERC20", "4", "10", "6")]},
    ]  # fmt: skip


def _spot(symbol: str, base: str, price_precision: str, qty_precision: str) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "baseCoin": base,
        "quoteCoin": "USDT",
        "minTradeAmount": "0",
        "maxTradeAmount": "10000000000",
        "takerFeeRate": "0.001",
        "makerFeeRate": "0.001",
        "pricePrecision": price_precision,
        "quantityPrecision": qty_precision,
        "quotePrecision": "8",
        "status": "online",
        "minTradeUSDT": "1",
        "buyLimitPriceRatio": "0.05",
        "sellLimitPriceRatio": "0.05",
        "areaSymbol": "no",
    }


def spot_symbols() -> list[dict[str, Any]]:
    """GET /api/v2/spot/public/symbols data."""
    return [_spot("BTCUSDT", "BTC", "2", "6"), _spot("ETHUSDT", "ETH", "2", "4")]


def margin_currencies() -> list[dict[str, Any]]:
    """GET /api/v2/margin/currencies data (ccxt reads isBorrowable / isCrossBorrowable / isIsolated*)."""
    return [
        {
            "symbol": "BTCUSDT",
            "baseCoin": "BTC",
            "quoteCoin": "USDT",
            "maxCrossedLeverage": "3",
            "maxIsolatedLeverage": "10",
            "warningRiskRatio": "0.8",
            "liquidationRiskRatio": "1",
            "minTradeAmount": "0.0001",
            "maxTradeAmount": "100",
            "takerFeeRate": "0.001",
            "makerFeeRate": "0.001",
            "pricePrecision": "2",
            "quantityPrecision": "6",
            "minTradeUSDT": "5",
            "isBorrowable": True,
            "isCrossBorrowable": True,
            "isIsolatedBaseBorrowable": True,
            "isIsolatedQuoteBorrowable": True,
            "userMinBorrow": "0.00000001",
            "status": "1",
        }
    ]


def _contract(symbol: str, base: str, quote: str, margin_coins: list[str], price_place: str) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "baseCoin": base,
        "quoteCoin": quote,
        "buyLimitPriceRatio": "0.01",
        "sellLimitPriceRatio": "0.01",
        "feeRateUpRatio": "0.005",
        "makerFeeRate": "0.0002",
        "takerFeeRate": "0.0006",
        "openCostUpRatio": "0.01",
        "supportMarginCoins": margin_coins,
        "minTradeNum": "0.001",
        "priceEndStep": "1",
        "volumePlace": "3",
        "pricePlace": price_place,
        "sizeMultiplier": "0.001",
        "symbolType": "perpetual",
        "minTradeUSDT": "5",
        "maxSymbolOrderNum": "200",
        "maxProductOrderNum": "400",
        "maxPositionNum": "150",
        "symbolStatus": "normal",
        "offTime": "-1",
        "limitOpenTime": "-1",
        "deliveryTime": "",
        "deliveryStartTime": "",
        "deliveryPeriod": "",
        "launchTime": "",
        "fundInterval": "8",
        "minLever": "1",
        "maxLever": "125",
        "posLimit": "0.05",
        "maintainTime": "",
    }


def contracts(product_type: str) -> list[dict[str, Any]]:
    """GET /api/v2/mix/market/contracts?productType=... data; an unknown type is the caller's 40017."""
    table: dict[str, list[dict[str, Any]]] = {
        "USDT-FUTURES": [
            _contract("BTCUSDT", "BTC", "USDT", ["USDT"], "1"),
            _contract("ETHUSDT", "ETH", "USDT", ["USDT"], "2"),
        ],
        "COIN-FUTURES": [_contract("BTCUSD", "BTC", "USD", ["BTC", "ETH", "USDT", "USDC"], "1")],
        "USDC-FUTURES": [_contract("BTCPERP", "BTC", "USDC", ["USDC"], "1")],
        "SUSDT-FUTURES": [_contract("SBTCSUSDT", "SBTC", "SUSDT", ["SUSDT"], "1")],
        "SCOIN-FUTURES": [],
        "SUSDC-FUTURES": [],
    }
    return table[product_type]


def contract_symbols(product_type: str) -> set[str]:
    return {row["symbol"] for row in contracts(product_type)}


def uta_instruments(category: str) -> list[dict[str, Any]]:
    """GET /api/v3/market/instruments?category=... data (categories SPOT, USDT-, COIN-, USDC-FUTURES)."""
    if category == "SPOT":
        return [
            {
                "symbol": row["symbol"], "category": "SPOT", "baseCoin": row["baseCoin"], "quoteCoin": "USDT",
                "buyLimitPriceRatio": "0.05", "sellLimitPriceRatio": "0.05", "minOrderQty": "0.000001",
                "maxOrderQty": "0", "pricePrecision": row["pricePrecision"],
                "quantityPrecision": row["quantityPrecision"], "quotePrecision": "8", "minOrderAmount": "1",
                "maxSymbolOrderNum": "400", "maxProductOrderNum": "400", "status": "online", "maintainTime": "",
                "areaSymbol": "no", "isReality": "no", "launchTime": "",
            }
            for row in spot_symbols()
        ]  # fmt: skip
    if category not in LIVE_PRODUCT_TYPES:
        return []
    return [
        {
            "symbol": row["symbol"], "category": category, "baseCoin": row["baseCoin"], "quoteCoin": row["quoteCoin"],
            "buyLimitPriceRatio": "0.02", "sellLimitPriceRatio": "0.02", "feeRateUpRatio": "0.005",
            "makerFeeRate": "0.0002", "takerFeeRate": "0.0006", "openCostUpRatio": "0.01", "minOrderQty": "0.001",
            "maxOrderQty": "", "pricePrecision": row["pricePlace"], "quantityPrecision": "3", "quotePrecision": None,
            "priceMultiplier": "0.1", "quantityMultiplier": "0.001", "type": "perpetual", "minOrderAmount": "5",
            "maxSymbolOrderNum": "200", "maxProductOrderNum": "1000", "maxPositionNum": "150", "status": "online",
            "offTime": "-1", "limitOpenTime": "-1", "deliveryTime": "", "deliveryStartTime": "",
            "deliveryPeriod": "", "launchTime": "", "fundInterval": "8", "minLeverage": "1",
            "maxLeverage": "125", "maintainTime": "",
        }
        for row in contracts(category)
    ]  # fmt: skip
