"""The Bitget endpoints the simulator serves, each with its doc URL and documented rate limit.

What belongs here: the endpoint table and each handler's parameter checks and state changes. What does not:
gates and envelopes (`endpoint.py`), payload field layouts (`payloads.py`), market data (`instruments.py`).

Limits are per second: private ones per UID, public ones per IP (bitget.md §8, ccxt costs where the docs are
silent: then marked UNCONFIRMED). The global 6000/min per IP budget is the plugin's `ip_rate_limit`.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Route

from tradedock_sim.bitget import candles, errors, instruments, payloads, permissions, trading
from tradedock_sim.bitget.endpoint import Context, Endpoint, not_found
from tradedock_sim.bitget.errors import BitgetError, ErrorSpec

POS_MODES = ("one_way_mode", "hedge_mode")
MARGIN_MODES = ("isolated", "crossed")


def _bad_parameter(name: str) -> BitgetError:
    # Pattern of ccxt's example {"code":"40020","msg":"Parameter orderId error"}; exact text UNCONFIRMED.
    return BitgetError(ErrorSpec("40020", f"Parameter {name} error"))


def _product_type(context: Context) -> str:
    value = context.required("productType").upper()  # the docs' own examples send "usdt-futures"
    if value not in instruments.PRODUCT_TYPES:
        raise _bad_parameter("productType")
    return value


def _has_open_exposure(context: Context) -> bool:
    return trading.has_exposure(context)


# --- public --------------------------------------------------------------------------------------------------


def server_time(context: Context) -> Any:
    # https://www.bitget.com/api-doc/common/public/Get-Server-Time — serverTime is a string of ms.
    return {"serverTime": str(context.now_ms)}


def coins(context: Context) -> Any:
    wanted = context.param("coin")
    return [row for row in instruments.coins() if wanted is None or row["coin"] == wanted.upper()]


def spot_symbols(context: Context) -> Any:
    wanted = context.param("symbol")
    return [row for row in instruments.spot_symbols() if wanted is None or row["symbol"] == wanted.upper()]


def margin_currencies(context: Context) -> Any:
    return instruments.margin_currencies()


def contracts(context: Context) -> Any:
    rows = instruments.contracts(_product_type(context))
    wanted = context.param("symbol")
    return [row for row in rows if wanted is None or row["symbol"] == wanted.upper()]


def uta_instruments(context: Context) -> Any:
    category = context.required("category").upper()
    if category not in ("SPOT", "MARGIN", *instruments.LIVE_PRODUCT_TYPES):
        raise _bad_parameter("category")
    return instruments.uta_instruments(category)


# --- classic (V2) private ------------------------------------------------------------------------------------


def classic_account_info(context: Context) -> Any:
    key, account = context.caller
    return payloads.classic_account_info(account, key)


def spot_assets(context: Context) -> Any:
    _, account = context.caller
    coin = context.param("coin")
    asset_type = context.param("assetType") or "hold_only"
    if asset_type not in ("hold_only", "all"):
        raise _bad_parameter("assetType")
    return payloads.spot_assets(account, coin.upper() if coin else None, asset_type, context.now_ms)


def mix_accounts(context: Context) -> Any:
    _, account = context.caller
    return payloads.mix_accounts(account, _product_type(context))


def mix_account(context: Context) -> Any:
    _, account = context.caller
    product_type = _product_type(context)
    symbol = context.required("symbol").upper()
    margin_coin = context.required("marginCoin").upper()
    if symbol not in instruments.contract_symbols(product_type):
        raise _bad_parameter("symbol")
    return payloads.mix_single_account(account, product_type, symbol, margin_coin)


def _require_futures_write(context: Context) -> None:
    key, _ = context.caller
    if not permissions.can_write_futures_settings(key.permissions):
        raise BitgetError(errors.incorrect_permissions("future pos write"))


def set_position_mode(context: Context) -> Any:
    _require_futures_write(context)
    _, account = context.caller
    product_type = _product_type(context)
    pos_mode = context.required("posMode")
    if pos_mode not in POS_MODES:
        raise _bad_parameter("posMode")
    if _has_open_exposure(context) and pos_mode != payloads.position_mode(account, product_type):
        raise BitgetError(errors.POSITION_MODE_LOCKED)
    payloads.set_position_mode(account, product_type, pos_mode)
    return {"posMode": pos_mode}


def set_margin_mode(context: Context) -> Any:
    _require_futures_write(context)
    _, account = context.caller
    product_type = _product_type(context)
    symbol = context.required("symbol").upper()
    margin_coin = context.required("marginCoin")
    mode = context.required("marginMode")
    if symbol not in instruments.contract_symbols(product_type):
        raise _bad_parameter("symbol")
    if margin_coin != margin_coin.upper():  # "marginCoin must be capitalized" (Change-Margin-Mode page)
        raise _bad_parameter("marginCoin")
    if mode not in MARGIN_MODES:
        raise _bad_parameter("marginMode")
    if _has_open_exposure(context) and mode != payloads.margin_mode(account, symbol):
        raise BitgetError(errors.MARGIN_MODE_LOCKED)
    payloads.set_margin_mode(account, symbol, mode)
    lever = payloads.LEVERAGE
    return {
        "symbol": symbol,
        "marginCoin": margin_coin,
        "longLeverage": lever,
        "shortLeverage": lever,
        "crossMarginLeverage": lever,
        "marginMode": mode,
    }


def all_positions(context: Context) -> Any:
    # Positions come from the matching engine, which trades USDT-FUTURES only.
    return trading.positions(context) if _product_type(context) == trading.PRODUCT_TYPE else []


def single_position(context: Context) -> Any:
    product_type = _product_type(context)
    symbol = context.required("symbol").upper()
    context.required("marginCoin")
    if symbol not in instruments.contract_symbols(product_type):
        raise _bad_parameter("symbol")
    return trading.positions(context, symbol) if product_type == trading.PRODUCT_TYPE else []


def funding_assets(context: Context) -> Any:
    _, account = context.caller
    coin = context.param("coin")
    return payloads.funding_rows(account, coin.upper() if coin else None, uta=False)


def all_account_balance(context: Context) -> Any:
    _, account = context.caller
    return payloads.all_account_balance(account)


# --- unified (V3) private ------------------------------------------------------------------------------------


def uta_account_info(context: Context) -> Any:
    key, account = context.caller
    return payloads.uta_account_info(account, key)


def uta_settings(context: Context) -> Any:
    _, account = context.caller
    return payloads.uta_settings(account)


def uta_assets(context: Context) -> Any:
    _, account = context.caller
    return payloads.uta_assets(account)


def uta_funding_assets(context: Context) -> Any:
    # The UTA's funding account is the `funding` wallet; only coins with assets are listed (Get-Account-Funding-Assets).
    _, account = context.caller
    coin = context.param("coin")
    return payloads.funding_rows(account, coin.upper() if coin else None, uta=True)


def uta_positions(context: Context) -> Any:
    _, account = context.caller
    category = context.required("category").upper()
    if category not in instruments.LIVE_PRODUCT_TYPES:
        raise _bad_parameter("category")
    symbol = context.param("symbol")
    rows = payloads.uta_positions(account, category, context.now_ms)
    return {"list": [row for row in rows if symbol is None or row["symbol"] == symbol.upper()]}


def uta_set_hold_mode(context: Context) -> Any:
    key, account = context.caller
    if not permissions.can_manage_uta(key.permissions):
        raise BitgetError(errors.incorrect_permissions("UTA mgt. read & write"))
    hold_mode = context.required("holdMode")
    if hold_mode not in POS_MODES:
        raise _bad_parameter("holdMode")
    current = payloads.POS_MODE[account.position_mode]
    if _has_open_exposure(context) and hold_mode != current:
        raise BitgetError(errors.POSITION_MODE_LOCKED)  # the UTA code for this is UNCONFIRMED
    account.position_mode = "hedge" if hold_mode == "hedge_mode" else "one_way"
    return "success"


ENDPOINTS: tuple[Endpoint, ...] = (
    # https://www.bitget.com/api-doc/common/public/Get-Server-Time (20/s per IP)
    Endpoint("GET", "/api/v2/public/time", "public", 20, server_time),
    # https://www.bitget.com/api-doc/spot/market/Get-Coin-List (3/s per IP: ccxt cost 6.67, UNCONFIRMED)
    Endpoint("GET", "/api/v2/spot/public/coins", "public", 3, coins),
    # https://www.bitget.com/api-doc/spot/market/Get-Symbols (20/s per IP)
    Endpoint("GET", "/api/v2/spot/public/symbols", "public", 20, spot_symbols),
    # https://www.bitget.com/api-doc/margin/common/support-currencies (10/s per IP: ccxt cost 2)
    Endpoint("GET", "/api/v2/margin/currencies", "public", 10, margin_currencies),
    # https://www.bitget.com/api-doc/contract/market/Get-All-Symbols-Contracts (20/s per IP)
    Endpoint("GET", "/api/v2/mix/market/contracts", "public", 20, contracts),
    # https://www.bitget.com/api-doc/uta/public/Instruments (20/s per IP)
    Endpoint("GET", "/api/v3/market/instruments", "public", 20, uta_instruments),
    # https://www.bitget.com/api-doc/spot/account/Get-Account-Info (1/s per UID)
    Endpoint("GET", "/api/v2/spot/account/info", "classic", 1, classic_account_info, reads="spot"),
    # https://www.bitget.com/api-doc/spot/account/Get-Account-Assets (10/s per UID)
    Endpoint("GET", "/api/v2/spot/account/assets", "classic", 10, spot_assets, reads="spot"),
    # https://www.bitget.com/api-doc/contract/account/Get-Account-List (10/s per UID)
    Endpoint("GET", "/api/v2/mix/account/accounts", "classic", 10, mix_accounts, reads="futures"),
    # https://www.bitget.com/api-doc/contract/account/Get-Single-Account (10/s per UID)
    Endpoint("GET", "/api/v2/mix/account/account", "classic", 10, mix_account, reads="futures"),
    # https://www.bitget.com/api-doc/contract/account/Change-Hold-Mode (5/s per UID)
    Endpoint("POST", "/api/v2/mix/account/set-position-mode", "classic", 5, set_position_mode),
    # https://www.bitget.com/api-doc/contract/account/Change-Margin-Mode (5/s per UID)
    Endpoint("POST", "/api/v2/mix/account/set-margin-mode", "classic", 5, set_margin_mode),
    # https://www.bitget.com/api-doc/contract/position/get-all-position (5/s per UID, UNCONFIRMED)
    Endpoint("GET", "/api/v2/mix/position/all-position", "classic", 5, all_positions, reads="futures"),
    # https://www.bitget.com/api-doc/contract/position/get-single-position (10/s per UID: ccxt cost 2, UNCONFIRMED)
    Endpoint("GET", "/api/v2/mix/position/single-position", "classic", 10, single_position, reads="futures"),
    # https://www.bitget.com/api-doc/common/account/Funding-Assets (10/s per UID: ccxt cost 2, UNCONFIRMED)
    Endpoint("GET", "/api/v2/account/funding-assets", "classic", 10, funding_assets),
    # https://www.bitget.com/api-doc/common/account/all-account-balance (1/s per UID: ccxt cost 20, UNCONFIRMED)
    Endpoint("GET", "/api/v2/account/all-account-balance", "classic", 1, all_account_balance),
    # https://www.bitget.com/api-doc/uta/account/Get-Account-Info (5/s per UID)
    Endpoint("GET", "/api/v3/account/info", "uta", 5, uta_account_info),
    # https://www.bitget.com/api-doc/uta/account/Get-Account-Setting (20/s per UID: ccxt cost 1, UNCONFIRMED)
    Endpoint("GET", "/api/v3/account/settings", "uta", 20, uta_settings),
    # https://www.bitget.com/api-doc/uta/account/Get-Account (20/s per UID: ccxt cost 1, UNCONFIRMED)
    Endpoint("GET", "/api/v3/account/assets", "uta", 20, uta_assets, reads="uta_mgt"),
    # https://www.bitget.com/api-doc/uta/account/Get-Funding-Assets (20/s per UID)
    Endpoint("GET", "/api/v3/account/funding-assets", "uta", 20, uta_funding_assets, reads="uta_mgt"),
    # https://www.bitget.com/api-doc/uta/trade/Get-Position (20/s per UID: ccxt cost 1, UNCONFIRMED)
    Endpoint("GET", "/api/v3/position/current-position", "uta", 20, uta_positions),
    # https://www.bitget.com/api-doc/uta/account/Change-Position-Mode (10/s per UID)
    Endpoint("POST", "/api/v3/account/set-hold-mode", "uta", 10, uta_set_hold_mode),
)


def routes() -> list[BaseRoute]:
    """Every endpoint above, then a catch-all answering Bitget's 404 for anything else."""
    table: list[BaseRoute] = [endpoint.route() for endpoint in (*ENDPOINTS, *trading.ENDPOINTS, *candles.ENDPOINTS)]
    table.append(Route("/api/{rest:path}", not_found, methods=["GET", "POST", "PUT", "DELETE"]))
    return table
