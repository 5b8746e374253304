"""Bybit V5 balance reads a connection product needs beyond the wallet balance: one coin's balance in any
account type, and the transferable (withdrawable) amount of a unified account. Plus Bybit's answer for a path
it does not serve.

What belongs here: those handlers. What does not: the wallet/fund balances already in `routes.py`, auth.
"""

from __future__ import annotations

from decimal import Decimal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tradedock_sim.bybit import envelope
from tradedock_sim.bybit.auth import Caller, private
from tradedock_sim.bybit.routes import is_uta
from tradedock_sim.core.fallback import unknown_path_route
from tradedock_sim.core.trading_control import trading_engine

ACCOUNT_TYPES = ("FUND", "UNIFIED", "CONTRACT", "SPOT")
#: "Query up to 20 coins per request" (https://bybit-exchange.github.io/docs/v5/account/unified-trans-amnt).
MAX_WITHDRAWAL_COINS = 20


def _amount(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


@private(limit_per_second=5)  # ccxt cost 50 suggests 1/s; the docs' figure is UNCONFIRMED
async def single_coin_balance(request: Request, caller: Caller) -> Response:
    """GET /v5/asset/transfer/query-account-coin-balance: one coin in one account type
    (https://bybit-exchange.github.io/docs/v5/asset/balance/account-coin-balance)."""
    params = request.query_params
    account_type, coin = params.get("accountType"), (params.get("coin") or "").strip().upper()
    if not account_type:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: accountType is required.")
    if account_type not in ACCOUNT_TYPES:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: accountType invalid.")
    if not coin:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: coin is required.")
    account = caller.account
    value = account.wallet(account_type).get(coin, Decimal(0))
    safe = _amount(value) if params.get("withTransferSafeAmount") == "1" else ""
    ltv_safe = _amount(value) if params.get("withLtvTransferSafeAmount") == "1" else ""
    result = {
        "accountType": account_type,
        "bizType": 1,
        "accountId": account.uid,
        "memberId": account.uid,
        "balance": {
            "coin": coin,
            "walletBalance": _amount(value),
            "transferBalance": _amount(value),
            "bonus": "0",
            "transferSafeAmount": safe,
            "ltvTransferSafeAmount": ltv_safe,
        },
    }
    return envelope.ok(request, result, ret_msg="success")


@private(limit_per_second=50)
async def withdrawal(request: Request, caller: Caller) -> Response:
    """GET /v5/account/withdrawal, "Get Transferable Amount (Unified)": what can leave the unified wallet; it
    replaces wallet-balance's deprecated availableToWithdraw
    (https://bybit-exchange.github.io/docs/v5/account/unified-trans-amnt)."""
    if not is_uta(caller.account):
        return envelope.error(request, envelope.UTA_ONLY)
    raw = request.query_params.get("coinName") or ""
    coins = [coin.strip().upper() for coin in raw.split(",") if coin.strip()]
    if not coins:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: coinName is required.")
    if len(coins) > MAX_WITHDRAWAL_COINS:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: coinName supports up to 20 coins.")
    account = caller.account
    wallet = account.wallet("UNIFIED")
    engine = trading_engine(request)
    settle_coins = {instrument.settle for instrument in engine.instruments.values()}
    amounts: dict[str, str] = {}
    for coin in coins:
        value = wallet.get(coin, Decimal(0))
        if coin in settle_coins:  # margin held by the simulated positions and orders cannot leave
            value = max(Decimal(0), min(value, engine.margin(account, "UNIFIED", coin).available))
        amounts[coin] = _amount(value)
    return envelope.ok(
        request, {"availableWithdrawal": amounts[coins[0]], "availableWithdrawalMap": amounts}, ret_msg="success"
    )


async def unknown_path(request: Request) -> Response:
    """A path Bybit does not serve: HTTP 404 with Bybit's envelope, retCode 10017 "route not found" (error table;
    the live body is UNCONFIRMED: public reports show only the 404)."""
    return envelope.error(request, envelope.ROUTE_NOT_FOUND, "route not found", status_code=404)


def routes() -> list[BaseRoute]:
    return [
        Route("/v5/asset/transfer/query-account-coin-balance", single_coin_balance, methods=["GET"]),
        Route("/v5/account/withdrawal", withdrawal, methods=["GET"]),
    ]


def fallback() -> list[BaseRoute]:
    """Mounted after every other route."""
    return [unknown_path_route(unknown_path)]
