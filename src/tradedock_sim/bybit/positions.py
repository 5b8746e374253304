"""Bybit V5 position endpoints: list (how position mode is read), switch-mode, and the abandoned switch-isolated.

Sources: https://bybit-exchange.github.io/docs/v5/position (list), .../v5/position/position-mode (switch-mode),
.../v5/abandon/cross-isolate (switch-isolated, classic accounts only). Belongs here: position state and its
refusal codes. Account-level settings (margin mode) are in `routes.py`.

Position mode model: `account.position_mode` is the USDT-perpetual coin-level setting; a symbol-level switch is
kept in `account.extra["symbol_position_modes"]`. Inverse and USDC contracts are one-way only under UTA 2.0.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tradedock_sim.bybit import envelope
from tradedock_sim.bybit.auth import Caller, can_trade_contracts, private
from tradedock_sim.bybit.market import INSTRUMENTS
from tradedock_sim.core import Account, sim_state
from tradedock_sim.core.engine import Engine
from tradedock_sim.core.jsonlimits import loads_body
from tradedock_sim.core.orders import PositionSide, Reject, TradeRejected
from tradedock_sim.core.trading_control import trading_engine

POSITION_LEGS = {0: PositionSide.NET, 1: PositionSide.LONG, 2: PositionSide.SHORT}


async def json_body(request: Request) -> dict[str, Any] | None:
    try:
        body = loads_body(await request.body() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _symbols(category: str) -> dict[str, dict[str, Any]]:
    return {row["symbol"]: row for row in INSTRUMENTS.get(category, [])}


def position_mode_of(account: Account, category: str, symbol: str) -> str:
    """one_way or hedge for one symbol (hedge exists only for USDT perpetuals)."""
    if category != "linear" or _symbols("linear").get(symbol, {}).get("settleCoin") != "USDT":
        return "one_way"
    modes: dict[str, str] = account.extra.get("symbol_position_modes", {})
    return modes.get(symbol, account.position_mode)


def _row(engine: Engine, account: Account, symbol: str, idx: int, now: int) -> dict[str, Any]:
    """One position row from the matching engine (a zero row when nothing is open on that leg)."""
    pos = engine.position(account, symbol, POSITION_LEGS[idx])
    mark = engine.mark(symbol)
    leverage = engine.leverage(account, symbol)
    size = pos.size
    value = size * pos.entry_price
    unrealised = size * (mark - pos.entry_price) * (1 if pos.long else -1)
    side = ("Buy" if pos.long else "Sell") if size else ""
    return {
        "positionIdx": idx,
        "riskId": 1,
        "riskLimitValue": "2000000",
        "symbol": symbol,
        "side": side,
        "size": _text(size),
        "avgPrice": _text(pos.entry_price if size else Decimal(0)),
        "positionValue": _text(value),
        "tradeMode": 0,  # deprecated, always 0
        "positionStatus": "Normal",
        "autoAddMargin": 0,
        "adlRankIndicator": 2 if size else 0,
        "leverage": _text(leverage),
        "positionBalance": _text(value / leverage),
        "markPrice": _text(mark),
        "liqPrice": "",
        "bustPrice": "",
        "positionMM": "0",
        "positionIM": _text(value / leverage),
        "tpslMode": "Full",
        "takeProfit": "0",
        "stopLoss": "0",
        "trailingStop": "0",
        "unrealisedPnl": _text(unrealised),
        "curRealisedPnl": _text(pos.realised_pnl),
        "cumRealisedPnl": _text(pos.realised_pnl),
        "seq": -1,
        "isReduceOnly": False,
        "mmrSysUpdatedTime": "",
        "leverageSysUpdatedTime": "",
        "sessionAvgPrice": "",
        "createdTime": str(pos.created_ms or now),
        "updatedTime": str(pos.updated_ms or now),
    }


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


@private(limit_per_second=50)
async def position_list(request: Request, caller: Caller) -> Response:
    """GET /v5/position/list: with `symbol`, rows come back "regardless of having position or not"."""
    params = request.query_params
    category = params.get("category")
    if category not in ("linear", "inverse", "option"):
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: category invalid")
    symbol, settle = params.get("symbol"), params.get("settleCoin")
    if category == "linear" and not symbol and not settle:
        return envelope.error(
            request, envelope.PARAMS_ERROR, "Missing some parameters that must be filled in, symbol or settleCoin"
        )
    now = sim_state(request).now_ms()
    account = caller.account
    engine = trading_engine(request)
    if symbol:
        if symbol not in _symbols(category):
            return envelope.error(request, envelope.PARAMS_ERROR, "params error: symbol invalid")
        chosen = [symbol] if symbol in engine.instruments else []
    else:
        # Without a symbol only open positions are listed.
        chosen = [s for s, row in _symbols(category).items() if settle in (None, row["settleCoin"])]
        chosen = [s for s in chosen if s in engine.instruments and engine.positions(account, s)]
    rows: list[dict[str, Any]] = []
    for name in chosen:
        indexes = (1, 2) if position_mode_of(account, category, name) == "hedge" else (0,)
        legs = [idx for idx in indexes if symbol or engine.position(account, name, POSITION_LEGS[idx]).size]
        rows.extend(_row(engine, account, name, idx, now) for idx in legs)
    return envelope.ok(request, {"list": rows, "nextPageCursor": "", "category": category})


@private(limit_per_second=10, requirement=can_trade_contracts)
async def switch_mode(request: Request, caller: Caller) -> Response:
    """POST /v5/position/switch-mode: mode 0 one-way, 3 hedge; symbol wins over coin."""
    body = await json_body(request)
    if body is None:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: body must be a JSON object")
    category, symbol, coin, mode = body.get("category"), body.get("symbol"), body.get("coin"), body.get("mode")
    if category not in ("linear", "inverse"):
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: category invalid")
    if mode not in (0, 3, "0", "3"):
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: mode invalid")
    if not symbol and not coin:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: symbol or coin is required")
    if symbol and symbol not in _symbols(category):
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: symbol invalid")
    target = "hedge" if int(mode) == 3 else "one_way"
    # Only USDT perpetuals support hedge mode under UTA 2.0 (https://bybit-exchange.github.io/docs/v5/position/position-mode).
    if target == "hedge" and (category != "linear" or (not symbol and coin != "USDT")):
        return envelope.error(request, envelope.HEDGE_NOT_SUPPORTED)
    account = caller.account
    current = position_mode_of(account, category, symbol) if symbol else account.position_mode
    if current == target:
        return envelope.error(request, envelope.POSITION_MODE_NOT_MODIFIED)
    # The simulator refuses both symbol and coin switches while anything is open (coin-level: doc says it skips
    # busy symbols; simplified here).
    has_positions, has_orders = trading_engine(request).has_exposure(account)
    if has_positions:
        return envelope.error(request, envelope.POSITION_EXISTS)
    if has_orders:
        return envelope.error(request, envelope.OPEN_ORDERS_EXIST)
    if symbol:
        account.extra.setdefault("symbol_position_modes", {})[symbol] = target
    else:
        account.position_mode = target
    return envelope.ok(request, {})


@private(limit_per_second=10, requirement=can_trade_contracts)
async def switch_isolated(request: Request, caller: Caller) -> Response:
    """POST /v5/position/switch-isolated: abandoned; classic accounts only (UTA -> 100028)."""
    account = caller.account
    if account.account_mode != "classic":
        return envelope.error(request, envelope.NON_UTA_ONLY)
    body = await json_body(request)
    trade_mode = body.get("tradeMode") if body else None
    if trade_mode not in (0, 1, "0", "1"):
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: tradeMode invalid")
    target = "ISOLATED_MARGIN" if int(trade_mode) == 1 else "REGULAR_MARGIN"
    if account.margin_mode == target:
        return envelope.error(request, envelope.MARGIN_MODE_NOT_MODIFIED)
    account.margin_mode = target
    return envelope.ok(request, {})


@private(limit_per_second=10, requirement=can_trade_contracts)
async def set_leverage(request: Request, caller: Caller) -> Response:
    """POST /v5/position/set-leverage (https://bybit-exchange.github.io/docs/v5/position/leverage).

    One-way mode needs buyLeverage == sellLeverage; the simulator keeps one leverage per symbol."""
    body = await json_body(request)
    if body is None or body.get("category") != "linear":
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: category only support linear")
    engine = trading_engine(request)
    symbol = str(body.get("symbol") or "")
    try:
        buy, sell = Decimal(str(body.get("buyLeverage"))), Decimal(str(body.get("sellLeverage")))
    except InvalidOperation:
        return envelope.error(request, envelope.PARAMS_ERROR, "params error: buyLeverage or sellLeverage invalid")
    if buy != sell:
        return envelope.error(request, envelope.PARAMS_ERROR, "buy leverage must be equal to sell leverage")
    if caller.account.margin_mode == "PORTFOLIO_MARGIN":
        return envelope.error(request, envelope.PORTFOLIO_MARGIN_LEVERAGE)
    try:
        engine.set_leverage(caller.account, symbol, buy)
    except TradeRejected as exc:
        if exc.reason is Reject.LEVERAGE_NOT_MODIFIED:
            return envelope.error(request, envelope.LEVERAGE_NOT_MODIFIED)
        if exc.reason is Reject.UNKNOWN_SYMBOL:
            return envelope.error(request, envelope.PARAMS_ERROR, "params error: symbol invalid")
        return envelope.error(request, envelope.PARAMS_ERROR, f"leverage invalid: {exc.detail}")
    return envelope.ok(request, {})


def routes() -> list[BaseRoute]:
    return [
        Route("/v5/position/list", position_list, methods=["GET"]),
        Route("/v5/position/set-leverage", set_leverage, methods=["POST"]),
        Route("/v5/position/switch-mode", switch_mode, methods=["POST"]),
        Route("/v5/position/switch-isolated", switch_isolated, methods=["POST"]),
    ]
