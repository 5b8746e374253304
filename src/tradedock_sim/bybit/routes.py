"""Private Bybit V5 user/account/asset endpoints: key info, account info, wallet and funding balances, coin info.

Belongs here: the endpoints a key verifier reads. Position endpoints are in `positions.py`, public market
endpoints in `market.py`, authentication in `auth.py`.
"""

from __future__ import annotations

import math
import zlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tradedock_sim.bybit import envelope, positions
from tradedock_sim.bybit.auth import Caller, can_write, private
from tradedock_sim.bybit.market import USD_PRICES
from tradedock_sim.core import DAY_MS, Account, sim_state
from tradedock_sim.core.engine import MarginSummary
from tradedock_sim.core.trading_control import trading_engine

UTA_STATUSES = (3, 4, 5, 6)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unified_margin_status(account: Account) -> int:
    """1 classic; 3/4 UTA 1.0 (Pro); 5/6 UTA 2.0 (Pro) (https://bybit-exchange.github.io/docs/v5/enum)."""
    if account.account_mode == "classic":
        return 1
    status = account.extra.get("unified_margin_status", 6)
    return int(status) if status in UTA_STATUSES else 6


def is_uta(account: Account) -> bool:
    return unified_margin_status(account) != 1


def _amount(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


@private(limit_per_second=10)
async def query_api(request: Request, caller: Caller) -> Response:
    """GET /v5/user/query-api: any permission may call it (https://bybit-exchange.github.io/docs/v5/user/apikey-info)."""
    key, account = caller.key, caller.account
    now = sim_state(request).now_ms()
    if key.expires_at is None:
        # IP-bound keys: the official example shows deadlineDay -2 and an epoch-zero expiredAt (UNCONFIRMED).
        deadline_day, expired_at = -2, iso(0)
    else:
        deadline_day, expired_at = max(0, math.ceil((key.expires_at - now) / DAY_MS)), iso(key.expires_at)
    is_master = bool(key.extra.get("is_master", True))
    result: dict[str, Any] = {
        "id": str(zlib.crc32(key.key_id.encode()) % 10**8),
        "note": key.label,
        "apiKey": key.key_id,
        "readOnly": 1 if key.extra.get("read_only") else 0,
        "secret": "",
        "permissions": key.permissions,
        "ips": list(key.ips) if key.ip_bound else ["*"],
        "type": key.extra.get("type", 1),
        "deadlineDay": deadline_day,
        "expiredAt": expired_at,
        "createdAt": iso(key.created_at),
        "unified": 0,
        "uta": 1 if is_uta(account) else 0,
        "userID": int(account.uid),
        "inviterID": 0,
        "vipLevel": "No VIP",
        "mktMakerLevel": "0",
        "affiliateID": 0,
        "rsaPublicKey": "",
        "isMaster": is_master,
        "parentUid": "0" if is_master else str(key.extra.get("parent_uid", "100000001")),
        "kycLevel": "LEVEL_1",
        "kycRegion": "",
        "userIDInt64": account.uid,
        "inviterIDInt64": "0",
        "affiliateIDInt64": "0",
    }
    return envelope.ok(request, result, ret_msg="")


@private(limit_per_second=50)
async def account_info(request: Request, caller: Caller) -> Response:
    """GET /v5/account/info (https://bybit-exchange.github.io/docs/v5/account/account-info)."""
    account = caller.account
    result = {
        "marginMode": account.margin_mode,
        "updatedTime": str(caller.key.created_at),
        "unifiedMarginStatus": unified_margin_status(account),
        "dcpStatus": "OFF",
        "timeWindow": 10,
        "smpGroup": 0,
        "isMasterTrader": False,
        "spotHedgingStatus": "OFF",
    }
    return envelope.ok(request, result)


def _coin_row(coin: str, amount: Decimal, margin: MarginSummary | None = None) -> dict[str, Any]:
    """One coin of a wallet; `margin` (UNIFIED only) is what the matching engine holds for orders and positions."""
    margin = margin or MarginSummary(amount, Decimal(0), Decimal(0), Decimal(0))
    usd = (amount + margin.unrealised) * Decimal(USD_PRICES.get(coin, "0"))
    zero = "0"
    return {
        "coin": coin,
        "equity": _amount(amount + margin.unrealised),
        "usdValue": _amount(usd),
        "walletBalance": _amount(amount),
        "locked": zero,
        "spotHedgingQty": zero,
        "borrowAmount": zero,
        "accruedInterest": zero,
        "totalOrderIM": _amount(margin.order_im),
        "totalPositionIM": _amount(margin.position_im),
        "totalPositionMM": zero,
        "unrealisedPnl": _amount(margin.unrealised),
        "cumRealisedPnl": zero,
        "bonus": zero,
        "marginCollateral": True,
        "collateralSwitch": True,
        "spotBorrow": zero,
        "availableToWithdraw": "",  # deprecated for UNIFIED since 2025-01-09 (wallet-balance doc)
        "availableToBorrow": "",
    }


def _wallet_answer(
    account_type: str,
    coins: dict[str, Decimal],
    wanted: list[str] | None,
    margins: dict[str, MarginSummary] | None = None,
) -> dict[str, Any]:
    if wanted is None:
        # Without `coin`, only non-zero assets are returned (https://bybit-exchange.github.io/docs/v5/account/wallet-balance).
        selected = {coin: amount for coin, amount in coins.items() if amount}
    else:
        selected = {coin: coins.get(coin, Decimal(0)) for coin in wanted}
    margins = margins or {}
    rows = [_coin_row(coin, amount, margins.get(coin)) for coin, amount in sorted(selected.items())]
    total = _amount(sum((Decimal(row["usdValue"]) for row in rows), Decimal(0)))
    held = sum((m.position_im + m.order_im for m in margins.values()), Decimal(0))
    return {
        "accountType": account_type,
        "accountIMRate": "0",
        "accountMMRate": "0",
        "totalEquity": total,
        "totalWalletBalance": total,
        "totalMarginBalance": total,
        "totalAvailableBalance": _amount(Decimal(total) - held),
        "totalPerpUPL": _amount(sum((m.unrealised for m in margins.values()), Decimal(0))),
        "totalInitialMargin": _amount(held),
        "totalMaintenanceMargin": "0",
        "accountIMRateByMp": "0",
        "accountMMRateByMp": "0",
        "totalInitialMarginByMp": "0",
        "totalMaintenanceMarginByMp": "0",
        "accountLTV": "0",
        "coin": rows,
    }


def _coins_param(request: Request) -> list[str] | None:
    raw = request.query_params.get("coin")
    return [coin.strip().upper() for coin in raw.split(",") if coin.strip()] if raw else None


@private(limit_per_second=50)
async def wallet_balance(request: Request, caller: Caller) -> Response:
    """GET /v5/account/wallet-balance (https://bybit-exchange.github.io/docs/v5/account/wallet-balance)."""
    account = caller.account
    account_type = request.query_params.get("accountType")
    if not account_type:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: accountType is required")
    status = unified_margin_status(account)
    allowed: tuple[str, ...]
    if status == 1:
        if account_type == "UNIFIED":
            # Classic accounts asking UNIFIED get HTTP 400 since 2023-08-25 (docs/changelog/v5); body UNCONFIRMED.
            return envelope.error(
                request, envelope.PARAMS_ERROR, "accountType only support CONTRACT, SPOT.", status_code=400
            )
        allowed = ("CONTRACT", "SPOT")
    else:
        # UTA 1.0 keeps inverse in CONTRACT; UTA 2.0 has UNIFIED only (https://bybit-exchange.github.io/docs/v5/acct-mode).
        allowed = ("UNIFIED", "CONTRACT") if status in (3, 4) else ("UNIFIED",)
    if account_type not in allowed:
        # Live text ends with "." ({"retCode":10001,"retMsg":"accountType only support UNIFIED."} in public logs).
        return envelope.error(request, envelope.PARAMS_ERROR, f"accountType only support {', '.join(allowed)}.")
    margins: dict[str, MarginSummary] = {}
    if account_type == "UNIFIED":
        engine = trading_engine(request)
        coins = {inst.settle for inst in engine.instruments.values()}
        margins = {coin: engine.margin(account, "UNIFIED", coin) for coin in coins}
    result = {"list": [_wallet_answer(account_type, account.wallet(account_type), _coins_param(request), margins)]}
    return envelope.ok(request, result)


@private(limit_per_second=5)
async def all_coins_balance(request: Request, caller: Caller) -> Response:
    """GET /v5/asset/transfer/query-account-coins-balance (https://bybit-exchange.github.io/docs/v5/asset/balance/all-balance)."""
    account_type = request.query_params.get("accountType")
    if account_type not in ("FUND", "UNIFIED", "CONTRACT", "SPOT"):
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: accountType invalid")
    wanted = _coins_param(request)
    if account_type == "UNIFIED" and not wanted:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: coin is required for UNIFIED")
    coins = caller.account.wallet(account_type)
    selected = coins if wanted is None else {coin: coins.get(coin, Decimal(0)) for coin in wanted}
    balance = [
        {
            "coin": coin,
            "walletBalance": _amount(amount),
            "transferBalance": _amount(amount),
            "bonus": "",
            "transferSafeAmount": "",
            "ltvTransferSafeAmount": "",
        }
        for coin, amount in sorted(selected.items())
    ]
    return envelope.ok(
        request, {"memberId": caller.account.uid, "accountType": account_type, "balance": balance}, ret_msg="success"
    )


COIN_NAMES = {"USDT": "Tether USDT", "USDC": "USDC", "BTC": "Bitcoin", "ETH": "Ethereum"}


@private(limit_per_second=5)
async def coin_info(request: Request, caller: Caller) -> Response:
    """GET /v5/asset/coin/query-info (https://bybit-exchange.github.io/docs/v5/asset/coin-info).

    ccxt's fetch_currencies calls it inside load_markets whenever credentials are set."""
    wanted = request.query_params.get("coin")
    rows = [
        {
            "name": name,
            "coin": coin,
            "remainAmount": "1000000",
            "chains": [
                {
                    "chain": "ETH",
                    "chainType": "ERC20",
                    "confirmation": "12",
                    "withdrawFee": "1",
                    "depositMin": "0",
                    "withdrawMin": "2",
                    "minAccuracy": "8",
                    "chainDeposit": "1",
                    "chainWithdraw": "1",
                    "withdrawPercentageFee": "0",
                    "contractAddress": "",
                }
            ],
        }
        for coin, name in COIN_NAMES.items()
        if wanted in (None, coin)
    ]
    return envelope.ok(request, {"rows": rows}, ret_msg="success")


@private(limit_per_second=5, requirement=can_write)
async def set_margin_mode(request: Request, caller: Caller) -> Response:
    """POST /v5/account/set-margin-mode: UTA only (https://bybit-exchange.github.io/docs/v5/account/set-margin-mode)."""
    if not is_uta(caller.account):
        return envelope.error(request, envelope.UTA_ONLY)
    body = await positions.json_body(request)
    mode = body.get("setMarginMode") if body is not None else None
    if mode not in ("ISOLATED_MARGIN", "REGULAR_MARGIN", "PORTFOLIO_MARGIN"):
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: setMarginMode invalid")
    if mode == caller.account.margin_mode:
        return envelope.error(request, envelope.MARGIN_MODE_NOT_MODIFIED)
    caller.account.margin_mode = str(mode)
    return envelope.ok(request, {"reasons": []}, ret_msg="Request accepted")


@private(limit_per_second=10)
async def member_type(request: Request, caller: Caller) -> Response:
    """GET /v5/user/get-member-type (https://bybit-exchange.github.io/docs/v5/user/wallet-type)."""
    wallets = ["UNIFIED", "FUND"] if is_uta(caller.account) else ["CONTRACT", "SPOT", "FUND"]
    return envelope.ok(request, {"accounts": [{"uid": caller.account.uid, "accountType": wallets}]}, ret_msg="success")


def routes() -> list[BaseRoute]:
    return [
        Route("/v5/user/query-api", query_api, methods=["GET"]),
        Route("/v5/user/get-member-type", member_type, methods=["GET"]),
        Route("/v5/account/info", account_info, methods=["GET"]),
        Route("/v5/account/wallet-balance", wallet_balance, methods=["GET"]),
        Route("/v5/account/set-margin-mode", set_margin_mode, methods=["POST"]),
        Route("/v5/asset/transfer/query-account-coins-balance", all_coins_balance, methods=["GET"]),
        Route("/v5/asset/coin/query-info", coin_info, methods=["GET"]),
        *positions.routes(),
    ]
