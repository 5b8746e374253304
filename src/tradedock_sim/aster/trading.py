"""Aster V3 futures trading over the shared matching engine: mark price, place/query/cancel orders, open orders,
all orders, cancel-all and user trades; plus the engine-backed position rows and exposure the settings use.

Doc for every entry: https://github.com/asterdex/api-docs/blob/master/V3(Recommended)/EN/aster-finance-futures-api-v3.md
(sections "New Order (TRADE)", "Query Order (USER_DATA)", "Cancel Order (TRADE)", "Cancel All Open Orders
(TRADE)", "Current All Open Orders (USER_DATA)", "All Orders (USER_DATA)", "Account Trade List (USER_DATA)",
"Mark Price"). Aster is a Binance-futures clone: shapes and codes follow it (codes marked UNCONFIRMED where Aster's
docs only list the Binance table). Weights: order writes 1, open orders 1 with a symbol, reads 5.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from tradedock_sim.aster import errors, payloads
from tradedock_sim.aster.endpoints import Call, Endpoint, HangAfterward
from tradedock_sim.aster.errors import AsterError
from tradedock_sim.core import Account, SimState
from tradedock_sim.core.engine import Engine
from tradedock_sim.core.orders import (
    Fill,
    Instrument,
    Order,
    OrderRequest,
    OrderStatus,
    Position,
    PositionSide,
    Reject,
    Side,
    TradeRejected,
)
from tradedock_sim.core.trading_control import engine_of

DOC = errors.FUTURES_DOC
WALLET = "futures"

# Engine refusal -> Aster answer (Binance futures codes and texts; ccxt's aster table maps them).
REJECTIONS: dict[Reject, tuple[int, str]] = {
    Reject.UNKNOWN_SYMBOL: (-1121, "Invalid symbol."),
    Reject.QTY_TOO_SMALL: (-4003, "Quantity less than or equal to zero."),  # UNCONFIRMED for below minQty
    Reject.QTY_TOO_LARGE: (-4005, "Quantity greater than max quantity."),
    Reject.QTY_STEP: (-1111, "Precision is over the maximum defined for this asset."),
    Reject.PRICE_TICK: (-1111, "Precision is over the maximum defined for this asset."),
    Reject.PRICE_MISSING: (-1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed."),
    Reject.MIN_NOTIONAL: (-4164, "Order's notional must be no smaller than 5.0 (unless you choose reduce only)"),
    Reject.INSUFFICIENT_MARGIN: (-2019, "Margin is insufficient."),
    Reject.REDUCE_ONLY: (-2022, "ReduceOnly Order is rejected."),
    Reject.DUPLICATE_CLIENT_ID: (-4116, "ClientOrderId is duplicated."),
    Reject.POSITION_SIDE: (-4061, "Order's position side does not match user's setting."),
    Reject.ORDER_NOT_FOUND: (-2013, "Order does not exist."),
    Reject.ORDER_FINISHED: (-2011, "Unknown order sent."),
    Reject.LEVERAGE_INVALID: (-4028, "Leverage is not valid"),
    Reject.REJECTED: (-1000, "An unknown error occured while processing the request."),
}
STATUS = {
    OrderStatus.NEW: "NEW",
    OrderStatus.PARTIALLY_FILLED: "PARTIALLY_FILLED",
    OrderStatus.FILLED: "FILLED",
    OrderStatus.CANCELLED: "CANCELED",
    OrderStatus.REJECTED: "REJECTED",
}
TIME_IN_FORCE = {"GTC": "GTC", "IOC": "IOC", "FOK": "FOK", "GTX": "POST_ONLY"}
TIF_NAME = {v: k for k, v in TIME_IN_FORCE.items()}
LEGS = {"BOTH": PositionSide.NET, "LONG": PositionSide.LONG, "SHORT": PositionSide.SHORT}
LEG_NAME = {v: k for k, v in LEGS.items()}


def engine_instruments() -> list[Instrument]:
    return [
        Instrument(
            symbol=m.symbol,
            base=m.base,
            quote="USDT",
            settle="USDT",
            wallet=WALLET,
            tick=m.tick_size,
            lot=m.step_size,
            min_qty=m.step_size,
            max_qty=Decimal(1_000_000),
            min_notional=payloads.MIN_NOTIONAL,
            max_leverage=Decimal(m.max_leverage),
            reference_price=m.mark_price,
        )
        for m in payloads.MARKETS
    ]


def new_order_id(state: SimState) -> str:
    """Aster order ids are integers (Binance style)."""
    return str(state.rng.randint(10**9, 10**12))


def engine(call: Call) -> Engine:
    state = call.state
    return engine_of(state, engine_instruments, lambda: new_order_id(state))


def _refuse(exc: TradeRejected) -> AsterError:
    code, msg = REJECTIONS.get(exc.reason, REJECTIONS[Reject.REJECTED])
    return AsterError(code, msg)


def _decimal(call: Call, name: str, *, required: bool = False) -> Decimal | None:
    raw = call.params.get(name)
    if not raw:
        if required:
            raise errors.mandatory_param(name)
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise errors.invalid_parameter(name) from None
    if not value.is_finite():
        raise errors.invalid_parameter(name)
    return value


def text(value: Decimal | None) -> str:
    if value is None:
        return "0"
    return format(value.normalize(), "f") if value else "0"


def order_row(order: Order) -> dict[str, Any]:
    """One order as New/Query/Cancel Order and the order lists answer it."""
    kind = order.order_type.upper()
    return {
        "orderId": int(order.order_id),
        "symbol": order.symbol,
        "status": STATUS[order.status],
        "clientOrderId": order.client_id,
        "price": text(order.price),
        "avgPrice": text(order.avg_price),
        "origQty": text(order.qty),
        "executedQty": text(order.filled_qty),
        "cumQty": text(order.filled_qty),
        "cumQuote": text(order.filled_value),
        "timeInForce": TIF_NAME.get(order.time_in_force, "GTC"),
        "type": kind,
        "reduceOnly": order.reduce_only,
        "closePosition": False,
        "side": order.side.value.upper(),
        "positionSide": LEG_NAME[order.position_side],
        "stopPrice": "0",
        "workingType": "CONTRACT_PRICE",
        "priceProtect": False,
        "origType": kind,
        "time": order.created_ms,
        "updateTime": order.updated_ms,
    }


def trade_row(fill: Fill, order: Order) -> dict[str, Any]:
    return {
        "buyer": fill.side is Side.BUY,
        "commission": text(fill.fee),
        "commissionAsset": "USDT",
        "id": int(fill.exec_id),
        "maker": fill.maker,
        "orderId": int(fill.order_id),
        "price": text(fill.price),
        "qty": text(fill.qty),
        "quoteQty": text(fill.qty * fill.price),
        "realizedPnl": "0",
        "side": fill.side.value.upper(),
        "positionSide": LEG_NAME[order.position_side],
        "symbol": fill.symbol,
        "time": fill.time_ms,
    }


def position_rows(call: Call, symbols: list[str]) -> list[dict[str, Any]]:
    """GET /fapi/v3/positionRisk from the engine: one row per symbol and position side (zero rows included)."""
    account = call.signed_account()
    book_engine = engine(call)
    rows: list[dict[str, Any]] = []
    sides = ("LONG", "SHORT") if account.position_mode == "hedge" else ("BOTH",)
    for symbol in symbols:
        mark = book_engine.mark(symbol)
        leverage = book_engine.leverage(account, symbol)
        for side in sides:
            pos: Position = book_engine.position(account, symbol, LEGS[side])
            signed = pos.size if pos.long else -pos.size
            unrealised = pos.size * (mark - pos.entry_price) * (1 if pos.long else -1)
            rows.append(
                {
                    "symbol": symbol,
                    "positionAmt": f"{signed:.3f}",
                    "entryPrice": f"{pos.entry_price if pos.size else Decimal(0):.8f}",
                    "markPrice": f"{mark:.8f}",
                    "unRealizedProfit": f"{unrealised:.8f}",
                    "liquidationPrice": "0",
                    "leverage": str(int(leverage)),
                    "maxNotionalValue": "1000000",
                    "marginType": payloads.margin_type(account, symbol),
                    "isolatedMargin": "0.00000000",
                    "isAutoAddMargin": "false",
                    "positionSide": side,
                    "notional": f"{signed * mark:.8f}",
                    "isolatedWallet": "0",
                    "updateTime": pos.updated_ms,
                }
            )
    return rows


def exposure(call: Call, account: Account, symbol: str | None = None) -> tuple[bool, bool]:
    """(positions, open orders) in the engine, for one symbol or all; the account flags become real ones."""
    book_engine = engine(call)
    positions = bool(book_engine.positions(account, symbol))
    orders = bool(book_engine.orders(account, symbol))
    return positions, orders


# --- handlers ----------------------------------------------------------------------------------------------------


def premium_index(call: Call) -> Any:
    """GET /fapi/v3/premiumIndex: mark price per symbol (one object with `symbol`, else a list)."""
    book_engine = engine(call)
    now = call.now_ms

    def row(symbol: str) -> dict[str, Any]:
        mark = text(book_engine.mark(symbol))
        return {
            "symbol": symbol, "markPrice": mark, "indexPrice": mark, "estimatedSettlePrice": mark,
            "lastFundingRate": "0.00010000", "interestRate": "0.00010000",
            "nextFundingTime": (now // 28_800_000 + 1) * 28_800_000, "time": now,
        }  # fmt: skip

    symbol = call.params.get("symbol")
    if symbol:
        if symbol not in book_engine.instruments:
            raise errors.invalid_symbol()
        return row(symbol)
    return [row(s) for s in book_engine.instruments]


def new_order(call: Call) -> Any:
    account = call.signed_account()
    book_engine = engine(call)
    params = call.params
    side, kind = params.get("side", ""), params.get("type", "")
    for name, value in (("symbol", params.get("symbol")), ("side", side), ("type", kind)):
        if not value:
            raise errors.mandatory_param(name)
    if side not in ("BUY", "SELL"):
        raise errors.invalid_parameter("side")
    if kind not in ("LIMIT", "MARKET"):
        raise errors.invalid_parameter("type")
    tif = params.get("timeInForce") or "GTC"
    if tif not in TIME_IN_FORCE:
        raise errors.invalid_parameter("timeInForce")
    leg = LEGS.get(params.get("positionSide") or "BOTH")
    if leg is None:
        raise errors.invalid_parameter("positionSide")
    hedge = account.position_mode == "hedge"
    if hedge and params.get("reduceOnly"):
        # Binance futures: "Parameter 'reduceOnly' sent when not required." in hedge mode.
        raise AsterError(-1106, "Parameter 'reduceOnly' sent when not required.")
    qty = _decimal(call, "quantity", required=True)
    assert qty is not None
    request = OrderRequest(
        symbol=params["symbol"],
        side=Side.BUY if side == "BUY" else Side.SELL,
        order_type=kind.lower(),
        qty=qty,
        price=_decimal(call, "price") if kind == "LIMIT" else None,
        reduce_only=params.get("reduceOnly") == "true",
        time_in_force=TIME_IN_FORCE[tif],
        client_id=params.get("newClientOrderId", ""),
        position_side=leg,
    )
    fault = book_engine.take_order_fault()
    if fault == "reject":
        book_engine.record_rejected(account, request)
        raise _refuse(TradeRejected(Reject.REJECTED))
    try:
        order = book_engine.place(account, request, hedge=hedge)
    except TradeRejected as exc:
        raise _refuse(exc) from None
    answer = order_row(order)
    return HangAfterward(answer) if fault == "accept_then_timeout" else answer


def _find(call: Call) -> Order:
    account = call.signed_account()
    order_id = call.params.get("orderId")
    client_id = call.params.get("origClientOrderId")
    if not order_id and not client_id:
        raise errors.mandatory_param("orderId")
    try:
        order = engine(call).find(account, order_id=order_id or None, client_id=client_id or None)
    except TradeRejected as exc:
        raise _refuse(exc) from None
    if order.symbol != call.params.get("symbol"):
        raise _refuse(TradeRejected(Reject.ORDER_NOT_FOUND))
    return order


def query_order(call: Call) -> Any:
    return order_row(_find(call))


def cancel_order(call: Call) -> Any:
    order = _find(call)
    try:
        engine(call).cancel(call.signed_account(), order)
    except TradeRejected as exc:
        raise _refuse(exc) from None
    return order_row(order)


def cancel_all(call: Call) -> Any:
    symbol = call.params.get("symbol")
    if not symbol:
        raise errors.mandatory_param("symbol")
    engine(call).cancel_all(call.signed_account(), [symbol])
    return {"code": 200, "msg": "The operation of cancel all open order is done."}


def open_orders(call: Call) -> Any:
    symbol = call.params.get("symbol") or None
    return [order_row(o) for o in engine(call).orders(call.signed_account(), symbol)]


def all_orders(call: Call) -> Any:
    symbol = call.params.get("symbol")
    if not symbol:
        raise errors.mandatory_param("symbol")
    rows = engine(call).orders(call.signed_account(), symbol, open_only=False)
    return [order_row(o) for o in sorted(rows, key=lambda o: o.created_ms)]


def user_trades(call: Call) -> Any:
    symbol = call.params.get("symbol")
    if not symbol:
        raise errors.mandatory_param("symbol")
    account = call.signed_account()
    book_engine = engine(call)
    book = book_engine.book(account)
    order_id = call.params.get("orderId")  # optional, only with symbol (Binance-style "Account Trade List")
    fills = [f for f in book_engine.fills(account, symbol) if order_id is None or str(f.order_id) == str(order_id)]
    return [trade_row(f, book.orders[f.order_id]) for f in reversed(fills)]


def _f(section: str) -> str:
    return f'{DOC} "{section}"'


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/fapi/v3/premiumIndex", 1, premium_index, doc=_f("Mark Price")),
    Endpoint("POST", "/fapi/v3/order", 1, new_order, True, "canPerpTrade", _f("New Order (TRADE)")),
    Endpoint("GET", "/fapi/v3/order", 1, query_order, True, "canRead", _f("Query Order (USER_DATA)")),
    Endpoint("DELETE", "/fapi/v3/order", 1, cancel_order, True, "canPerpTrade", _f("Cancel Order (TRADE)")),
    Endpoint(
        "DELETE", "/fapi/v3/allOpenOrders", 1, cancel_all, True, "canPerpTrade", _f("Cancel All Open Orders (TRADE)")
    ),
    Endpoint("GET", "/fapi/v3/openOrders", 1, open_orders, True, "canRead", _f("Current All Open Orders (USER_DATA)")),
    Endpoint("GET", "/fapi/v3/allOrders", 5, all_orders, True, "canRead", _f("All Orders (USER_DATA)")),
    Endpoint("GET", "/fapi/v3/userTrades", 5, user_trades, True, "canRead", _f("Account Trade List (USER_DATA)")),
)
