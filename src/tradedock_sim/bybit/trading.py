"""Bybit V5 order endpoints over the shared matching engine: create, amend, cancel, cancel-all, open orders,
order history and executions.

Sources: https://bybit-exchange.github.io/docs/v5/order/create-order (and amend-order, cancel-order, cancel-all,
open-order, order-list, execution); codes from https://bybit-exchange.github.io/docs/v5/error. Rate limits per
UID (https://bybit-exchange.github.io/docs/v5/rate-limit): create/amend/cancel 10/s, cancel-all 10/s, reads 50/s.
Belongs here: Bybit's names for orders and fills and its refusal codes. Matching is `tradedock_sim.core.engine`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tradedock_sim.bybit import envelope
from tradedock_sim.bybit.auth import Caller, can_trade_contracts, private
from tradedock_sim.bybit.positions import json_body, position_mode_of
from tradedock_sim.core import sim_state
from tradedock_sim.core.engine import Engine
from tradedock_sim.core.faults import hang
from tradedock_sim.core.orders import (
    Fill,
    Order,
    OrderRequest,
    OrderStatus,
    PositionSide,
    Reject,
    Side,
    TradeRejected,
)
from tradedock_sim.core.trading_control import trading_engine

# Engine refusal -> (retCode, retMsg). Texts from docs/v5/error unless marked; 10001 texts are as seen in SDK
# issue threads (UNCONFIRMED where noted).
REJECTIONS: dict[Reject, tuple[int, str]] = {
    Reject.UNKNOWN_SYMBOL: (10001, "Not supported symbols"),
    Reject.QTY_TOO_SMALL: (10001, "The number of contracts exceeds minimum limit allowed"),
    Reject.QTY_TOO_LARGE: (10001, "The number of contracts exceeds maximum limit allowed"),
    Reject.QTY_STEP: (10001, "params error: qty must be a multiple of qtyStep"),  # text UNCONFIRMED
    Reject.PRICE_TICK: (10001, "params error: price must be a multiple of tickSize"),  # text UNCONFIRMED
    Reject.PRICE_MISSING: (10001, "params error: price is required for Limit orders"),  # text UNCONFIRMED
    Reject.MIN_NOTIONAL: (110094, "Order notional value below the lower limit"),
    Reject.INSUFFICIENT_MARGIN: (110007, "ab not enough for new order"),
    Reject.REDUCE_ONLY: (110017, "orderQty will be truncated to zero"),
    Reject.DUPLICATE_CLIENT_ID: (110072, "OrderLinkedID is duplicate"),
    Reject.POSITION_SIDE: (10001, "position idx not match position mode"),
    Reject.ORDER_NOT_FOUND: (110001, "order not exists or too late to cancel"),
    Reject.ORDER_FINISHED: (110001, "order not exists or too late to cancel"),
    Reject.LEVERAGE_INVALID: (10001, "leverage invalid"),  # text UNCONFIRMED
    Reject.LEVERAGE_NOT_MODIFIED: (110043, "leverage not modified"),
    Reject.REJECTED: (10016, "System error. Please try again later."),
}

STATUS = {
    OrderStatus.NEW: "New",
    OrderStatus.PARTIALLY_FILLED: "PartiallyFilled",
    OrderStatus.FILLED: "Filled",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.REJECTED: "Rejected",
}
CANCEL_TYPES = {"user": "CancelByUser", "reduce_only": "CancelByReduceOnly", "ioc": "UNKNOWN", "fok": "UNKNOWN"}
REJECT_REASONS = {"post_only_would_take": "EC_PostOnlyWillTakeLiquidity"}
TIME_IN_FORCE = {"GTC": "GTC", "IOC": "IOC", "FOK": "FOK", "PostOnly": "POST_ONLY"}
POSITION_IDX = {0: PositionSide.NET, 1: PositionSide.LONG, 2: PositionSide.SHORT}
IDX_OF = {side: idx for idx, side in POSITION_IDX.items()}


def refuse(request: Request, exc: TradeRejected) -> Response:
    code, message = REJECTIONS[exc.reason]
    return envelope.error(request, code, message)


def params_error(request: Request, message: str) -> Response:
    return envelope.error(request, envelope.PARAMS_ERROR, f"params error: {message}")


def text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f") if value else "0"


def order_row(engine: Engine, order: Order) -> dict[str, Any]:
    """One order as /v5/order/realtime and /v5/order/history list it."""
    cancelled = order.status is OrderStatus.CANCELLED
    tif = next(k for k, v in TIME_IN_FORCE.items() if v == order.time_in_force)
    return {
        "orderId": order.order_id,
        "orderLinkId": order.client_id,
        "blockTradeId": "",
        "symbol": order.symbol,
        "price": text(order.price) if order.price is not None else "0",
        "qty": text(order.qty),
        "side": "Buy" if order.side is Side.BUY else "Sell",
        "isLeverage": "",
        "positionIdx": IDX_OF[order.position_side],
        "orderStatus": STATUS[order.status],
        "createType": "CreateByUser",
        "cancelType": CANCEL_TYPES.get(order.cancel_reason, "UNKNOWN") if cancelled else "UNKNOWN",
        "rejectReason": "EC_PostOnlyWillTakeLiquidity"
        if order.cancel_reason == "post_only_would_take"
        else "EC_NoError",
        "avgPrice": text(order.avg_price) if order.avg_price is not None else "",
        "leavesQty": text(order.leaves_qty),
        "leavesValue": text(order.leaves_qty * (order.price or engine.mark(order.symbol))),
        "cumExecQty": text(order.filled_qty),
        "cumExecValue": text(order.filled_value),
        "cumExecFee": text(order.fee),
        "cumFeeDetail": {engine.instrument(order.symbol).settle: text(order.fee)} if order.fee else {},
        "timeInForce": tif,
        "orderType": "Market" if order.order_type == "market" else "Limit",
        "stopOrderType": "",
        "orderIv": "",
        "marketUnit": "",
        "triggerPrice": "",
        "takeProfit": "",
        "stopLoss": "",
        "tpslMode": "",
        "ocoTriggerBy": "",
        "tpLimitPrice": "",
        "slLimitPrice": "",
        "tpTriggerBy": "",
        "slTriggerBy": "",
        "triggerDirection": 0,
        "triggerBy": "",
        "lastPriceOnCreated": text(engine.mark(order.symbol)),
        "basePrice": "",
        "reduceOnly": order.reduce_only,
        "closeOnTrigger": False,
        "placeType": "",
        "smpType": "None",
        "smpGroup": 0,
        "smpOrderId": "",
        "createdTime": str(order.created_ms),
        "updatedTime": str(order.updated_ms),
    }


def fill_row(engine: Engine, fill: Fill, order: Order) -> dict[str, Any]:
    """One execution as /v5/execution/list reports it."""
    return {
        "symbol": fill.symbol,
        "orderId": fill.order_id,
        "orderLinkId": fill.client_id,
        "side": "Buy" if fill.side is Side.BUY else "Sell",
        "orderPrice": text(order.price) if order.price is not None else "0",
        "orderQty": text(order.qty),
        "leavesQty": text(order.leaves_qty),
        "createType": "CreateByUser",
        "orderType": "Market" if order.order_type == "market" else "Limit",
        "stopOrderType": "",
        "execFee": text(fill.fee),
        "execId": fill.exec_id,
        "execPrice": text(fill.price),
        "execQty": text(fill.qty),
        "execType": "Trade",
        "execValue": text(fill.qty * fill.price),
        "execTime": str(fill.time_ms),
        "feeCurrency": engine.instrument(fill.symbol).settle,
        "isMaker": fill.maker,
        "feeRate": text(fill.fee_rate),
        "tradeIv": "",
        "markIv": "",
        "markPrice": text(engine.mark(fill.symbol)),
        "indexPrice": "",
        "underlyingPrice": "",
        "blockTradeId": "",
        "closedSize": text(fill.closed_qty),
        "seq": 0,
    }


def _decimal(body: dict[str, Any], name: str, *, required: bool = False) -> Decimal | None:
    raw = body.get(name)
    if raw in (None, ""):
        if required:
            raise ValueError(f"{name} is required")
        return None
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise ValueError(f"{name} invalid")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ValueError(f"{name} invalid") from None
    if not value.is_finite():
        raise ValueError(f"{name} invalid")
    return value


def _flag(body: dict[str, Any], name: str) -> bool:
    raw = body.get(name, False)
    return raw is True or raw in ("true", "1", 1)


async def _linear_body(request: Request) -> dict[str, Any] | Response:
    body = await json_body(request)
    if body is None:
        return params_error(request, "body must be a JSON object")
    if body.get("category") != "linear":
        # The simulator's matching engine trades USDT perpetuals only.
        return params_error(request, "category only support linear")
    return body


async def _named_order_body(request: Request) -> dict[str, Any] | Response:
    """A linear body naming one order by orderId or orderLinkId (amend, cancel)."""
    body = await _linear_body(request)
    if not isinstance(body, Response) and not body.get("orderId") and not body.get("orderLinkId"):
        return params_error(request, "orderId or orderLinkId is required")
    return body


@private(limit_per_second=10, requirement=can_trade_contracts)
async def create_order(request: Request, caller: Caller) -> Response:
    """POST /v5/order/create → {orderId, orderLinkId}."""
    body = await _linear_body(request)
    if isinstance(body, Response):
        return body
    engine = trading_engine(request)
    symbol = str(body.get("symbol") or "")
    side, order_type = body.get("side"), body.get("orderType")
    if side not in ("Buy", "Sell"):
        return params_error(request, "side invalid")
    if order_type not in ("Market", "Limit"):
        return params_error(request, "orderType invalid")
    tif = str(body.get("timeInForce") or "GTC")
    if tif not in TIME_IN_FORCE:
        return params_error(request, "timeInForce invalid")
    link_id = str(body.get("orderLinkId") or "")
    if len(link_id) > 36:
        return params_error(request, "orderLinkId is longer than 36 characters")
    try:
        qty = _decimal(body, "qty", required=True)
        price = _decimal(body, "price")
        idx = int(body.get("positionIdx", 0) or 0)
    except ValueError as exc:
        return params_error(request, str(exc))
    if idx not in POSITION_IDX:
        return params_error(request, "positionIdx invalid")
    assert qty is not None
    order_request = OrderRequest(
        symbol=symbol,
        side=Side.BUY if side == "Buy" else Side.SELL,
        order_type=str(order_type).lower(),
        qty=qty,
        price=price,
        reduce_only=_flag(body, "reduceOnly") or _flag(body, "closeOnTrigger"),
        time_in_force=TIME_IN_FORCE[tif],
        client_id=link_id,
        position_side=POSITION_IDX[idx],
    )
    hedge = symbol in engine.instruments and position_mode_of(caller.account, "linear", symbol) == "hedge"
    fault = engine.take_order_fault()
    if fault == "reject":
        engine.record_rejected(caller.account, order_request)
        return refuse(request, TradeRejected(Reject.REJECTED))
    try:
        order = engine.place(caller.account, order_request, hedge=hedge)
    except TradeRejected as exc:
        return refuse(request, exc)
    if fault == "accept_then_timeout":
        return await hang(sim_state(request))
    return envelope.ok(request, {"orderId": order.order_id, "orderLinkId": order.client_id})


def _target(engine: Engine, caller: Caller, body: dict[str, Any]) -> Order:
    order = engine.find(caller.account, order_id=body.get("orderId") or None, client_id=body.get("orderLinkId") or None)
    if order.symbol != body.get("symbol"):
        raise TradeRejected(Reject.ORDER_NOT_FOUND)
    return order


@private(limit_per_second=10, requirement=can_trade_contracts)
async def amend_order(request: Request, caller: Caller) -> Response:
    """POST /v5/order/amend: qty and/or price of an open order, by orderId or orderLinkId."""
    body = await _named_order_body(request)
    if isinstance(body, Response):
        return body
    engine = trading_engine(request)
    try:
        qty, price = _decimal(body, "qty"), _decimal(body, "price")
    except ValueError as exc:
        return params_error(request, str(exc))
    try:
        order = engine.amend(caller.account, _target(engine, caller, body), qty=qty, price=price)
    except TradeRejected as exc:
        if exc.reason in (Reject.ORDER_NOT_FOUND, Reject.ORDER_FINISHED):
            return envelope.error(request, 110001, "order not exists or too late to replace")
        return refuse(request, exc)
    return envelope.ok(request, {"orderId": order.order_id, "orderLinkId": order.client_id})


@private(limit_per_second=10, requirement=can_trade_contracts)
async def cancel_order(request: Request, caller: Caller) -> Response:
    """POST /v5/order/cancel, by orderId or orderLinkId."""
    body = await _named_order_body(request)
    if isinstance(body, Response):
        return body
    engine = trading_engine(request)
    try:
        order = engine.cancel(caller.account, _target(engine, caller, body))
    except TradeRejected as exc:
        return refuse(request, exc)
    return envelope.ok(request, {"orderId": order.order_id, "orderLinkId": order.client_id})


def _selected_symbols(engine: Engine, params: dict[str, Any]) -> list[str] | None:
    """Symbols named by symbol / baseCoin / settleCoin; None when none of them was given."""
    symbol, base, settle = params.get("symbol"), params.get("baseCoin"), params.get("settleCoin")
    if not symbol and not base and not settle:
        return None
    return [
        s
        for s, inst in engine.instruments.items()
        if symbol in (None, "", s) and base in (None, "", inst.base) and settle in (None, "", inst.settle)
    ]


@private(limit_per_second=10, requirement=can_trade_contracts)
async def cancel_all(request: Request, caller: Caller) -> Response:
    """POST /v5/order/cancel-all: linear needs symbol, baseCoin or settleCoin."""
    body = await _linear_body(request)
    if isinstance(body, Response):
        return body
    engine = trading_engine(request)
    symbols = _selected_symbols(engine, body)
    if symbols is None:
        return params_error(request, "symbol or settleCoin or baseCoin is required")
    cancelled = engine.cancel_all(caller.account, symbols)
    rows = [{"orderId": o.order_id, "orderLinkId": o.client_id} for o in cancelled]
    return envelope.ok(request, {"list": rows, "success": "1"})


def _read_params(request: Request) -> tuple[dict[str, Any], Response | None]:
    params = dict(request.query_params)
    if params.get("category") != "linear":
        return params, params_error(request, "category only support linear")
    return params, None


def _limit(params: dict[str, Any], maximum: int, default: int) -> int:
    try:
        return max(1, min(maximum, int(params.get("limit") or default)))
    except ValueError:
        return default


def _order_list(request: Request, caller: Caller, *, realtime: bool) -> Response:
    """The order lists of /v5/order/realtime and /v5/order/history: an account's orders filtered by symbols and
    ids. The realtime list also needs a symbol or id and, unless an id is named, splits open (openOnly=0) from
    recently closed (openOnly=1) orders; the history lists every order."""
    params, problem = _read_params(request)
    if problem:
        return problem
    engine = trading_engine(request)
    by_id = params.get("orderId") or params.get("orderLinkId")
    symbols = _selected_symbols(engine, params)
    if realtime and symbols is None and not by_id:
        return params_error(request, "symbol or settleCoin or baseCoin is required")
    closed = params.get("openOnly") == "1"
    rows = [
        o
        for o in engine.orders(caller.account, open_only=False)
        if (symbols is None or o.symbol in symbols)
        and (not realtime or bool(by_id) or o.status.open != closed)
        and params.get("orderId") in (None, "", o.order_id)
        and params.get("orderLinkId") in (None, "", o.client_id)
    ]
    listed = [order_row(engine, o) for o in rows[: _limit(params, 50, 20)]]
    return envelope.ok(request, {"list": listed, "nextPageCursor": "", "category": "linear"})


@private(limit_per_second=50)
async def open_orders(request: Request, caller: Caller) -> Response:
    """GET /v5/order/realtime: open orders (openOnly=0) or recent closed ones (openOnly=1); by id either way."""
    return _order_list(request, caller, realtime=True)


@private(limit_per_second=50)
async def order_history(request: Request, caller: Caller) -> Response:
    """GET /v5/order/history: every order of the account, newest first."""
    return _order_list(request, caller, realtime=False)


@private(limit_per_second=50)
async def executions(request: Request, caller: Caller) -> Response:
    """GET /v5/execution/list: fills, newest first."""
    params, problem = _read_params(request)
    if problem:
        return problem
    engine = trading_engine(request)
    symbols = _selected_symbols(engine, params)
    book = engine.book(caller.account)
    rows = [
        fill_row(engine, f, book.orders[f.order_id])
        for f in engine.fills(caller.account)
        if (symbols is None or f.symbol in symbols)
        and params.get("orderId") in (None, "", f.order_id)
        and params.get("orderLinkId") in (None, "", f.client_id)
    ]
    return envelope.ok(request, {"list": rows[: _limit(params, 100, 50)], "nextPageCursor": "", "category": "linear"})


def routes() -> list[BaseRoute]:
    return [
        Route("/v5/order/create", create_order, methods=["POST"]),
        Route("/v5/order/amend", amend_order, methods=["POST"]),
        Route("/v5/order/cancel", cancel_order, methods=["POST"]),
        Route("/v5/order/cancel-all", cancel_all, methods=["POST"]),
        Route("/v5/order/realtime", open_orders, methods=["GET"]),
        Route("/v5/order/history", order_history, methods=["GET"]),
        Route("/v5/execution/list", executions, methods=["GET"]),
    ]
