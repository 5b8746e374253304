"""The `data` part of Bitget's private answers, built from the simulator's account and key state.

What belongs here: pure functions turning an `Account` / `ApiKey` into the field names, string formats and
vocabularies of Bitget's V2 (classic) and V3 (unified) answers, plus the per-product position and per-symbol
margin settings kept in `account.extra`. What does not: auth, routing, envelopes (see `routes.py`).

Doc pages (bitget.md §2-§5):
- V2 account info   https://www.bitget.com/api-doc/spot/account/Get-Account-Info
- V3 account info   https://www.bitget.com/api-doc/uta/account/Get-Account-Info
- V3 settings       https://www.bitget.com/api-doc/uta/account/Get-Account-Setting (field names from third-party
                    fixtures: accountMode, assetMode, holdMode, stpMode, symbolConfigList: UNCONFIRMED)
- V3 assets         https://www.bitget.com/api-doc/uta/account/Get-Account (shape as quoted in ccxt bitget.py)
- mix accounts      https://www.bitget.com/api-doc/contract/account/Get-Account-List
- mix account       https://www.bitget.com/api-doc/contract/account/Get-Single-Account
- spot assets       https://www.bitget.com/api-doc/spot/account/Get-Account-Assets
- positions         https://www.bitget.com/api-doc/contract/position/get-all-position and get-single-position
- V3 positions      https://www.bitget.com/api-doc/uta/trade/Get-Position (shape as quoted in ccxt bitget.py)
- funding assets    https://www.bitget.com/api-doc/common/account/Funding-Assets (V2: coin, available, frozen,
                    usdtValue) and https://www.bitget.com/api-doc/uta/account/Get-Account-Funding-Assets (V3: coin,
                    balance, available, frozen); only coins with assets
- all balances      https://www.bitget.com/api-doc/common/account/all-account-balance: [{accountType, usdtBalance}]
                    for spot, futures, funding, earn, bots, margin (the list of types as ccxt reads it: UNCONFIRMED)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tradedock_sim.bitget import instruments, permissions
from tradedock_sim.core.state import Account, ApiKey

POS_MODE = {"one_way": "one_way_mode", "hedge": "hedge_mode"}
#: Margin coins each product type settles in (COIN-FUTURES: any coin the account holds there).
DEFAULT_MARGIN_COINS = {
    "USDT-FUTURES": ("USDT",),
    "USDC-FUTURES": ("USDC",),
    "COIN-FUTURES": ("BTC",),
    "SUSDT-FUTURES": ("SUSDT",),
    "SUSDC-FUTURES": ("SUSDC",),
    "SCOIN-FUTURES": ("SBTC",),
}
LEVERAGE = "20"


def amount(value: Decimal) -> str:
    """Bitget sends amounts as plain decimal strings ("200", "0.5")."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def usdt_value(coin: str, value: Decimal) -> Decimal:
    return value * Decimal(instruments.USDT_PRICES.get(coin, "0"))


def ips_text(key: ApiKey) -> str:
    """The whitelist as one comma-separated string ("" when no IP is bound: UNCONFIRMED)."""
    return ",".join(ip for ip in key.ips if ip != "*")


def _parent(account: Account) -> str:
    return str(account.extra.get("parent_uid") or "")


def classic_account_info(account: Account, key: ApiKey) -> dict[str, Any]:
    return {
        "userId": account.uid,
        "inviterId": "",
        "ips": ips_text(key),
        "authorities": permissions.classic_authorities(key.permissions),
        # Main accounts: the doc example shows 1/2 and the meaning is UNCONFIRMED; the simulator reports the
        # parent UID for sub-accounts and the account's own UID otherwise.
        "parentId": _parent(account) or account.uid,
        "traderType": "not_trader",
        "channelCode": "",
        "channel": "",
        "regisTime": str(key.created_at),
    }


def uta_account_info(account: Account, key: ApiKey) -> dict[str, Any]:
    uta = permissions.uta_permissions(key.permissions)
    return {
        "uid": account.uid,
        "inviterId": "",
        "parentId": _parent(account),  # "filled only for sub-accounts"
        "channelCode": "",
        "channel": "",
        "ips": ips_text(key),
        "permType": uta.perm_type,
        "permissions": uta.permissions,
        "regisTime": str(key.created_at),
    }


def position_mode(account: Account, product_type: str) -> str:
    """posMode of one product type (Bitget keeps one per productType), in Bitget's words."""
    modes: dict[str, str] = account.extra.setdefault("pos_modes", {})
    return modes.get(product_type, POS_MODE[account.position_mode])


def set_position_mode(account: Account, product_type: str, pos_mode: str) -> None:
    account.extra.setdefault("pos_modes", {})[product_type] = pos_mode


def margin_mode(account: Account, symbol: str) -> str:
    modes: dict[str, str] = account.extra.setdefault("margin_modes", {})
    return modes.get(symbol, account.margin_mode)


def set_margin_mode(account: Account, symbol: str, mode: str) -> None:
    account.extra.setdefault("margin_modes", {})[symbol] = mode


def uta_settings(account: Account) -> dict[str, Any]:
    return {
        "uid": account.uid,
        "accountMode": "unified",
        "assetMode": "multi_assets",
        "holdMode": POS_MODE[account.position_mode],
        "stpMode": "none",
        "symbolConfigList": [
            {
                "category": "USDT-FUTURES",
                "symbol": symbol,
                "marginMode": margin_mode(account, symbol),
                "leverage": LEVERAGE,
            }
            for symbol in sorted(instruments.contract_symbols("USDT-FUTURES"))
        ],
        "coinConfigList": [],
    }


FUNDING_WALLET = "funding"
FUTURES_WALLETS = ("USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES")


def uta_holdings(account: Account) -> dict[str, Decimal]:
    """A unified account trades from one pool: the simulator merges every wallet but `funding` into it."""
    merged: dict[str, Decimal] = {}
    for wallet, coins in account.balances.items():
        if wallet == FUNDING_WALLET:
            continue
        for coin, value in coins.items():
            merged[coin] = merged.get(coin, Decimal(0)) + value
    return merged


def uta_assets(account: Account) -> dict[str, Any]:
    holdings = uta_holdings(account)
    usdt_total = sum((usdt_value(coin, value) for coin, value in holdings.items()), Decimal(0))
    btc_total = usdt_total / Decimal(instruments.USDT_PRICES["BTC"])
    return {
        "accountEquity": amount(usdt_total),
        "usdtEquity": amount(usdt_total),
        "btcEquity": amount(btc_total.quantize(Decimal("0.00000001"))),
        "unrealisedPnl": "0",
        "usdtUnrealisedPnl": "0",
        "btcUnrealizedPnl": "0",
        "effEquity": amount(usdt_total),
        "mmr": "0",
        "imr": "0",
        "mgnRatio": "0",
        "positionMgnRatio": "0",
        "assets": [
            {
                "coin": coin,
                "equity": amount(value),
                "usdValue": amount(usdt_value(coin, value)),
                "balance": amount(value),
                "available": amount(value),
                "debt": "0",
                "locked": "0",
            }
            for coin, value in sorted(holdings.items())
        ],
    }


def spot_assets(account: Account, coin: str | None, asset_type: str, now_ms: int) -> list[dict[str, Any]]:
    """`coin` wins over `assetType`; `hold_only` (default) lists only coins with a balance."""
    wallet = account.wallet("spot")
    if coin is not None:
        rows = {coin: wallet.get(coin, Decimal(0))}
    elif asset_type == "all":
        rows = {row["coin"]: wallet.get(row["coin"], Decimal(0)) for row in instruments.coins()} | dict(wallet)
    else:
        rows = {name: value for name, value in wallet.items() if value > 0}
    return [
        {
            "coin": name,
            "available": amount(value),
            "frozen": "0",
            "locked": "0",
            "limitAvailable": "0",
            "uTime": str(now_ms),
        }
        for name, value in sorted(rows.items())
    ]


def _margin_coins(account: Account, product_type: str) -> list[str]:
    held = [coin for coin, value in account.wallet(product_type).items() if value > 0]
    return sorted(set(held) | set(DEFAULT_MARGIN_COINS[product_type][:1]))


def mix_account_row(account: Account, product_type: str, margin_coin: str) -> dict[str, Any]:
    """One margin coin's futures account; no positions are simulated, so equity equals the balance."""
    value = account.wallet(product_type).get(margin_coin, Decimal(0))
    text = amount(value)
    usdt = usdt_value(margin_coin, value)
    return {
        "marginCoin": margin_coin,
        "locked": "0",
        "available": text,
        "crossedMaxAvailable": text,
        "isolatedMaxAvailable": text,
        "maxTransferOut": text,
        "accountEquity": text,
        "usdtEquity": amount(usdt),
        "btcEquity": amount((usdt / Decimal(instruments.USDT_PRICES["BTC"])).quantize(Decimal("0.00000001"))),
        "crossedRiskRate": "0",
        "unrealizedPL": "0",
        "coupon": "0",
        "unionTotalMargin": text,
        "unionAvailable": text,
        "unionMm": "0",
        "assetList": [{"coin": margin_coin, "balance": text, "available": text}],
        "isolatedMargin": "0",
        "crossedMargin": "0",
        "crossedUnrealizedPL": "0",
        "isolatedUnrealizedPL": "0",
        "assetMode": "single",
    }


def mix_accounts(account: Account, product_type: str) -> list[dict[str, Any]]:
    return [mix_account_row(account, product_type, coin) for coin in _margin_coins(account, product_type)]


def mix_single_account(account: Account, product_type: str, symbol: str, margin_coin: str) -> dict[str, Any]:
    row = mix_account_row(account, product_type, margin_coin)
    for name in ("unionTotalMargin", "unionAvailable", "unionMm", "assetList"):
        row.pop(name)
    row.update(
        {
            "crossedMarginLeverage": LEVERAGE,
            "isolatedLongLever": LEVERAGE,
            "isolatedShortLever": LEVERAGE,
            "marginMode": margin_mode(account, symbol),
            "posMode": position_mode(account, product_type),
            "grant": "0",
        }
    )
    return row


def funding_rows(account: Account, coin: str | None, *, uta: bool) -> list[dict[str, Any]]:
    """The funding wallet, coins with assets only (or the one `coin` asked for)."""
    wallet = account.wallet(FUNDING_WALLET)
    held = {coin: wallet.get(coin, Decimal(0))} if coin is not None else {c: v for c, v in wallet.items() if v > 0}
    if uta:
        return [
            {"coin": name, "balance": amount(value), "available": amount(value), "frozen": "0"}
            for name, value in sorted(held.items())
        ]
    return [
        {"coin": name, "available": amount(value), "frozen": "0", "usdtValue": amount(usdt_value(name, value))}
        for name, value in sorted(held.items())
    ]


def _wallet_usdt(account: Account, *wallets: str) -> Decimal:
    return sum(
        (usdt_value(coin, value) for wallet in wallets for coin, value in account.wallet(wallet).items()), Decimal(0)
    )


def all_account_balance(account: Account) -> list[dict[str, Any]]:
    """Each account type's value in USDT; earn, bots and margin hold nothing in the simulator."""
    totals = {
        "spot": _wallet_usdt(account, "spot"),
        "futures": _wallet_usdt(account, *FUTURES_WALLETS),
        "funding": _wallet_usdt(account, FUNDING_WALLET),
        "earn": Decimal(0),
        "bots": Decimal(0),
        "margin": Decimal(0),
    }
    return [{"accountType": name, "usdtBalance": amount(value)} for name, value in totals.items()]


def uta_positions(account: Account, category: str, now_ms: int) -> list[dict[str, Any]]:
    """The V3 shape of the same simulated BTCUSDT long (`open_positions`)."""
    if not account.open_positions or category != "USDT-FUTURES":
        return []
    return [
        {
            "category": category, "symbol": "BTCUSDT", "marginCoin": "USDT",
            "holdMode": POS_MODE[account.position_mode],
            "posSide": "long" if account.position_mode == "hedge" else "net",
            "marginMode": margin_mode(account, "BTCUSDT"), "positionBalance": "32.5", "available": "0.01",
            "frozen": "0", "total": "0.01", "leverage": LEVERAGE, "curRealisedPnl": "0", "avgPrice": "65000",
            "positionStatus": "normal", "unrealisedPnl": "0", "liquidationPrice": "0", "mmr": "0.004",
            "profitRate": "0", "markPrice": "65000", "breakEvenPrice": "65039", "totalFunding": "0",
            "openFeeTotal": "-0.39", "closeFeeTotal": "0", "createdTime": str(now_ms), "updatedTime": str(now_ms),
        }
    ]  # fmt: skip
