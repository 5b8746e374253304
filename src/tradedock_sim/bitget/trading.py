"""Bitget V2 futures (mix) trading over the shared matching engine: ticker, place/modify/cancel/cancel-all orders,
order detail, pending orders, history, fills, positions and leverage, for USDT-FUTURES.

Sources: https://www.bitget.com/api-doc/contract/trade/Place-Order (and Modify-Order, Cancel-Order,
Batch-Cancel-Orders, Get-Order-Details, Get-Orders-Pending, Get-Orders-History, Get-Order-Fills),
https://www.bitget.com/api-doc/contract/position/get-all-position, .../account/Change-Leverage,
.../market/Get-Ticker. Limits per UID per second: place/modify/cancel 10, cancel-all 10, reads 10–20 (ccxt costs
where the docs are silent). Belongs here: Bitget's names and codes for orders; matching is `core/engine.py`.
Hedge mode (V2): `side` is the position's direction and `tradeSide` open/close (close long = buy + close).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from tradedock_sim.bitget import errors, instruments, payloads, permissions
from tradedock_sim.bitget.endpoint import Context, Endpoint, HangAfterward
from tradedock_sim.bitget.errors import BitgetError, ErrorSpec
from tradedock_sim.core import SimState
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

PRODUCT_TYPE = "USDT-FUTURES"
WALLET = "USDT-FUTURES"
ORDER_WRITE = frozenset({"coow", "trade"})

# Engine refusal -> Bitget answer. Texts from ccxt's bitget error table comments (real answers) unless UNCONFIRMED.
REJECTIONS: dict[Reject, ErrorSpec] = {
    Reject.UNKNOWN_SYMBOL: ErrorSpec("40020", "Parameter symbol error"),
    Reject.QTY_TOO_SMALL: ErrorSpec("45111", "less than the minimum order quantity"),  # UNCONFIRMED text
    Reject.QTY_TOO_LARGE: ErrorSpec("45112", "more than the maximum order quantity"),  # UNCONFIRMED
    Reject.QTY_STEP: ErrorSpec("40808", "Parameter verification exception size checkBDScale error"),
    Reject.PRICE_TICK: ErrorSpec("40808", "Parameter verification exception price checkBDScale error"),
    Reject.PRICE_MISSING: errors.parameter_empty("price"),
    Reject.MIN_NOTIONAL: ErrorSpec("45110", "less than the minimum amount 5 USDT"),
    Reject.INSUFFICIENT_MARGIN: ErrorSpec("40762", "The order amount exceeds the balance"),
    Reject.REDUCE_ONLY: ErrorSpec("22002", "No position to close"),  # UNCONFIRMED text
    Reject.DUPLICATE_CLIENT_ID: ErrorSpec("40786", "Duplicate clientOid"),  # UNCONFIRMED
    Reject.POSITION_SIDE: ErrorSpec(
        "40774", "The order type for unilateral position must also be the unilateral position type."
    ),
    Reject.ORDER_NOT_FOUND: ErrorSpec("40768", "Order does not exist"),
    Reject.ORDER_FINISHED: ErrorSpec("40768", "Order does not exist"),
    Reject.LEVERAGE_INVALID: ErrorSpec("40020", "Parameter leverage error"),
    Reject.REJECTED: errors.SYSTEM_ERROR,
}
STATUS = {
    OrderStatus.NEW: "live",
    OrderStatus.PARTIALLY_FILLED: "partially_filled",
    OrderStatus.FILLED: "filled",
    OrderStatus.CANCELLED: "canceled",
    OrderStatus.REJECTED: "canceled",
}
FORCE = {"gtc": "GTC", "ioc": "IOC", "fok": "FOK", "post_only": "POST_ONLY"}
FORCE_NAME = {v: k for k, v in FORCE.items()}


def engine_instruments() -> list[Instrument]:
    """USDT-FUTURES contracts as the engine trades them (tick = priceEndStep at pricePlace decimals)."""
    out = []
    for row in instruments.contracts(PRODUCT_TYPE):
        tick = Decimal(row["priceEndStep"]).scaleb(-int(row["pricePlace"]))
        out.append(
            Instrument(
                symbol=row["symbol"],
                base=row["baseCoin"],
                quote=row["quoteCoin"],
                settle="USDT",
                wallet=WALLET,
                tick=tick,
                lot=Decimal(row["sizeMultiplier"]),
                min_qty=Decimal(row["minTradeNum"]),
                max_qty=Decimal(1_000_000),
                min_notional=Decimal(row["minTradeUSDT"]),
                max_leverage=Decimal(row["maxLever"]),
                reference_price=Decimal(instruments.USDT_PRICES[row["baseCoin"]]),
            )
        )
    return out


def new_order_id(state: SimState) -> str:
    """Bitget order ids are 19-digit numbers ("1111488897767604224")."""
    return str(state.rng.randint(10**18, 10**19 - 1))


def _engine(context: Context) -> Engine:
    state = context.state
    return engine_of(state, engine_instruments, lambda: new_order_id(state))


def _refuse(exc: TradeRejected) -> BitgetError:
    return BitgetError(REJECTIONS.get(exc.reason, errors.SYSTEM_ERROR))


def _usdt_futures(context: Context) -> None:
    if context.required("productType").upper() != PRODUCT_TYPE:
        raise BitgetError(ErrorSpec("40020", "Parameter productType error"))  # only USDT-FUTURES trades here


def _require_order_write(context: Context) -> None:
    key, _ = context.caller
    codes = set(permissions.classic_authorities(key.permissions))
    if not codes & ORDER_WRITE or "readonly" in codes:
        raise BitgetError(errors.incorrect_permissions("future order write"))


def _decimal(context: Context, name: str, *, required: bool = False) -> Decimal | None:
    raw = context.required(name) if required else context.param(name)
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise BitgetError(ErrorSpec("40020", f"Parameter {name} error")) from None
    if not value.is_finite():
        raise BitgetError(ErrorSpec("40020", f"Parameter {name} error"))
    return value


def text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f") if value else "0"


def _hedge(context: Context) -> bool:
    _, account = context.caller
    return payloads.position_mode(account, PRODUCT_TYPE) == "hedge_mode"


def _sides(order: Order) -> tuple[str, str, str]:
    """(side, tradeSide, posSide) as Bitget reports an order."""
    if order.position_side is PositionSide.NET:
        return order.side.value, "buy_single" if order.side is Side.BUY else "sell_single", "net"
    closing = (order.side is Side.BUY) != (order.position_side is PositionSide.LONG)
    direction = "buy" if order.position_side is PositionSide.LONG else "sell"
    return direction, "close" if closing else "open", order.position_side.value


def order_row(engine: Engine, order: Order, leverage: Decimal, *, detail: bool = False) -> dict[str, Any]:
    side, trade_side, pos_side = _sides(order)
    row: dict[str, Any] = {
        "symbol": order.symbol,
        "size": text(order.qty),
        "orderId": order.order_id,
        "clientOid": order.client_id,
        "baseVolume": text(order.filled_qty),
        "fee": text(-order.fee),
        "price": text(order.price),
        "priceAvg": text(order.avg_price),
        "side": side,
        "force": FORCE_NAME.get(order.time_in_force, "gtc"),
        "totalProfits": "0",
        "posSide": pos_side,
        "marginCoin": "USDT",
        "quoteVolume": text(order.filled_value),
        "leverage": text(leverage),
        "marginMode": "crossed",
        "enterPointSource": "API",
        "tradeSide": trade_side,
        "posMode": "one_way_mode" if order.position_side is PositionSide.NET else "hedge_mode",
        "orderType": order.order_type,
        "orderSource": "normal",
        "presetStopSurplusPrice": "",
        "presetStopLossPrice": "",
        "reduceOnly": "YES" if order.reduce_only else "NO",
        "cTime": str(order.created_ms),
        "uTime": str(order.updated_ms),
    }
    row["state" if detail else "status"] = STATUS[order.status]
    return row


def fill_row(fill: Fill, order: Order) -> dict[str, Any]:
    side, trade_side, _ = _sides(order)
    return {
        "tradeId": fill.exec_id,
        "symbol": fill.symbol,
        "orderId": fill.order_id,
        "price": text(fill.price),
        "baseVolume": text(fill.qty),
        "feeDetail": [{"deduction": "no", "feeCoin": "USDT", "totalDeductionFee": "0", "totalFee": text(-fill.fee)}],
        "side": side,
        "quoteVolume": text(fill.qty * fill.price),
        "profit": "0",
        "enterPointSource": "API",
        "tradeSide": trade_side,
        "posMode": "one_way_mode" if order.position_side is PositionSide.NET else "hedge_mode",
        "tradeScope": "maker" if fill.maker else "taker",
        "cTime": str(fill.time_ms),
    }


def position_row(engine: Engine, context: Context, pos: Position) -> dict[str, Any]:
    _, account = context.caller
    mark = engine.mark(pos.symbol)
    leverage = engine.leverage(account, pos.symbol)
    return {
        "marginCoin": "USDT",
        "symbol": pos.symbol,
        "holdSide": "long" if pos.long else "short",
        "openDelegateSize": "0",
        "marginSize": text(pos.size * pos.entry_price / leverage),
        "available": text(pos.size),
        "locked": "0",
        "total": text(pos.size),
        "leverage": text(leverage),
        "achievedProfits": text(pos.realised_pnl),
        "openPriceAvg": text(pos.entry_price),
        "marginMode": payloads.margin_mode(account, pos.symbol),
        "posMode": payloads.position_mode(account, PRODUCT_TYPE),
        "unrealizedPL": text(pos.size * (mark - pos.entry_price) * (1 if pos.long else -1)),
        "liquidationPrice": "0",
        "keepMarginRate": "0.004",
        "markPrice": text(mark),
        "breakEvenPrice": text(pos.entry_price),
        "totalFee": "0",
        "deductedFee": "0",
        "marginRatio": "0",
        "assetMode": "single",
        "autoMargin": "off",
        "cTime": str(pos.created_ms),
        "uTime": str(pos.updated_ms),
    }


def positions(context: Context, symbol: str | None = None) -> list[dict[str, Any]]:
    _, account = context.caller
    engine = _engine(context)
    return [position_row(engine, context, p) for p in engine.positions(account, symbol)]


# --- handlers --------------------------------------------------------------------------------------------------


def ticker(context: Context) -> Any:
    _usdt_futures(context)
    engine = _engine(context)
    symbol = context.required("symbol").upper()
    if symbol not in engine.instruments:
        raise BitgetError(ErrorSpec("40034", "Parameter symbol does not exist"))  # UNCONFIRMED
    mark = engine.mark(symbol)
    tick = engine.instruments[symbol].tick
    now = str(context.now_ms)
    return [
        {
            "symbol": symbol, "lastPr": text(mark), "askPr": text(mark + tick), "bidPr": text(mark - tick),
            "bidSz": "1", "askSz": "1", "high24h": text(mark), "low24h": text(mark), "ts": now,
            "change24h": "0", "baseVolume": "0", "quoteVolume": "0", "usdtVolume": "0", "openUtc": text(mark),
            "changeUtc24h": "0", "indexPrice": text(mark), "fundingRate": "0.0001", "holdingAmount": "0",
            "deliveryStartTime": None, "deliveryTime": None, "deliveryStatus": "", "open24h": text(mark),
            "markPrice": text(mark),
        }
    ]  # fmt: skip


def place_order(context: Context) -> Any:
    _require_order_write(context)
    _usdt_futures(context)
    _, account = context.caller
    engine = _engine(context)
    side = context.required("side")
    order_type = context.required("orderType")
    if side not in ("buy", "sell"):
        raise BitgetError(ErrorSpec("40020", "Parameter side error"))
    if order_type not in ("limit", "market"):
        raise BitgetError(ErrorSpec("40020", "Parameter orderType error"))
    force = (context.param("force") or "gtc").lower()
    if force not in FORCE:
        raise BitgetError(ErrorSpec("40020", "Parameter force error"))
    client_id = context.param("clientOid") or ""
    hedge = _hedge(context)
    trade_side = (context.param("tradeSide") or "").lower() or None  # ccxt sends "Open"/"Close"
    if hedge:
        if trade_side not in ("open", "close"):
            raise BitgetError(ErrorSpec("40774", REJECTIONS[Reject.POSITION_SIDE].msg))
        leg = PositionSide.LONG if side == "buy" else PositionSide.SHORT
        opening = trade_side == "open"
        engine_side = Side(side) if opening else (Side.SELL if side == "buy" else Side.BUY)
        reduce_only = not opening
    else:
        if trade_side is not None:
            raise BitgetError(REJECTIONS[Reject.POSITION_SIDE])
        leg, engine_side = PositionSide.NET, Side(side)
        reduce_only = (context.param("reduceOnly") or "NO").upper() == "YES"
    size = _decimal(context, "size", required=True)
    assert size is not None
    request = OrderRequest(
        symbol=context.required("symbol").upper(),
        side=engine_side,
        order_type=order_type,
        qty=size,
        price=_decimal(context, "price") if order_type == "limit" else None,
        reduce_only=reduce_only,
        time_in_force=FORCE[force],
        client_id=client_id,
        position_side=leg,
    )
    fault = engine.take_order_fault()
    if fault == "reject":
        engine.record_rejected(account, request)
        raise BitgetError(REJECTIONS[Reject.REJECTED])
    try:
        order = engine.place(account, request, hedge=hedge)
    except TradeRejected as exc:
        raise _refuse(exc) from None
    answer = {"orderId": order.order_id, "clientOid": order.client_id}
    return HangAfterward(answer) if fault == "accept_then_timeout" else answer


def _find(context: Context) -> Order:
    _, account = context.caller
    engine = _engine(context)
    try:
        order = engine.find(account, order_id=context.param("orderId"), client_id=context.param("clientOid"))
    except TradeRejected as exc:
        raise _refuse(exc) from None
    symbol = context.param("symbol")
    if symbol is not None and order.symbol != symbol.upper():
        raise _refuse(TradeRejected(Reject.ORDER_NOT_FOUND))
    return order


def _named(context: Context) -> None:
    if context.param("orderId") is None and context.param("clientOid") is None:
        raise BitgetError(errors.parameter_empty("orderId"))


def cancel_order(context: Context) -> Any:
    _require_order_write(context)
    _usdt_futures(context)
    _named(context)
    _, account = context.caller
    order = _find(context)
    try:
        _engine(context).cancel(account, order)
    except TradeRejected as exc:
        raise _refuse(exc) from None
    return {"orderId": order.order_id, "clientOid": order.client_id}


def modify_order(context: Context) -> Any:
    _require_order_write(context)
    _usdt_futures(context)
    _named(context)
    _, account = context.caller
    order = _find(context)
    try:
        _engine(context).amend(account, order, qty=_decimal(context, "newSize"), price=_decimal(context, "newPrice"))
    except TradeRejected as exc:
        raise _refuse(exc) from None
    return {"orderId": order.order_id, "clientOid": order.client_id}


def cancel_all(context: Context) -> Any:
    _require_order_write(context)
    _usdt_futures(context)
    _, account = context.caller
    engine = _engine(context)
    symbol = context.param("symbol")
    wanted = [symbol.upper()] if symbol else list(engine.instruments)
    cancelled = engine.cancel_all(account, wanted)
    return {
        "successList": [{"orderId": o.order_id, "clientOid": o.client_id} for o in cancelled],
        "failureList": [],
    }


def order_detail(context: Context) -> Any:
    _usdt_futures(context)
    context.required("symbol")
    _named(context)
    _, account = context.caller
    engine = _engine(context)
    order = _find(context)
    return order_row(engine, order, engine.leverage(account, order.symbol), detail=True)


def _orders(context: Context, *, open_only: bool) -> list[Order]:
    _usdt_futures(context)
    _, account = context.caller
    symbol = context.param("symbol")
    rows = _engine(context).orders(account, symbol.upper() if symbol else None, open_only=open_only)
    if not open_only:
        rows = [o for o in rows if not o.status.open]
    for name, attr in (("orderId", "order_id"), ("clientOid", "client_id")):
        if (wanted := context.param(name)) is not None:
            rows = [o for o in rows if getattr(o, attr) == wanted]
    return rows


def _rows(context: Context, *, open_only: bool) -> list[dict[str, Any]]:
    _, account = context.caller
    engine = _engine(context)
    return [order_row(engine, o, engine.leverage(account, o.symbol)) for o in _orders(context, open_only=open_only)]


def orders_pending(context: Context) -> Any:
    rows = _rows(context, open_only=True)
    return {"entrustedList": rows or None, "endId": rows[-1]["orderId"] if rows else None}


def orders_history(context: Context) -> Any:
    rows = _rows(context, open_only=False)
    return {"entrustedList": rows or None, "endId": rows[-1]["orderId"] if rows else None}


def fills(context: Context) -> Any:
    _usdt_futures(context)
    _, account = context.caller
    engine = _engine(context)
    book = engine.book(account)
    symbol = context.param("symbol")
    order_id = context.param("orderId")
    rows = [
        fill_row(f, book.orders[f.order_id])
        for f in engine.fills(account, symbol.upper() if symbol else None)
        if order_id in (None, f.order_id)
    ]
    return {"fillList": rows or None, "endId": rows[-1]["tradeId"] if rows else None}


def set_leverage(context: Context) -> Any:
    _require_order_write(context)
    _usdt_futures(context)
    _, account = context.caller
    symbol = context.required("symbol").upper()
    leverage = _decimal(context, "leverage", required=True)
    assert leverage is not None
    engine = _engine(context)
    try:
        engine.set_leverage(account, symbol, leverage)
    except TradeRejected as exc:
        if exc.reason is not Reject.LEVERAGE_NOT_MODIFIED:  # Bitget answers success when nothing changes
            raise _refuse(exc) from None
    lever = text(leverage)
    return {
        "symbol": symbol,
        "marginCoin": context.param("marginCoin") or "USDT",
        "longLeverage": lever,
        "shortLeverage": lever,
        "crossMarginLeverage": lever,
        "marginMode": payloads.margin_mode(account, symbol),
    }


def has_exposure(context: Context) -> bool:
    """Open positions or orders in the engine (the `open_positions`/`open_orders` flags become real ones)."""
    _, account = context.caller
    found_positions, found_orders = _engine(context).has_exposure(account)
    return found_positions or found_orders


ENDPOINTS = [
    # https://www.bitget.com/api-doc/contract/market/Get-Ticker
    Endpoint("GET", "/api/v2/mix/market/ticker", "public", 20, ticker),
    # https://www.bitget.com/api-doc/contract/trade/Place-Order
    Endpoint("POST", "/api/v2/mix/order/place-order", "classic", 10, place_order),
    # https://www.bitget.com/api-doc/contract/trade/Modify-Order
    Endpoint("POST", "/api/v2/mix/order/modify-order", "classic", 10, modify_order),
    # https://www.bitget.com/api-doc/contract/trade/Cancel-Order
    Endpoint("POST", "/api/v2/mix/order/cancel-order", "classic", 10, cancel_order),
    # https://www.bitget.com/api-doc/contract/trade/Cancel-All-Orders
    Endpoint("POST", "/api/v2/mix/order/cancel-all-orders", "classic", 10, cancel_all),
    # https://www.bitget.com/api-doc/contract/trade/Get-Order-Details
    Endpoint("GET", "/api/v2/mix/order/detail", "classic", 10, order_detail, reads="futures"),
    # https://www.bitget.com/api-doc/contract/trade/Get-Orders-Pending
    Endpoint("GET", "/api/v2/mix/order/orders-pending", "classic", 10, orders_pending, reads="futures"),
    # https://www.bitget.com/api-doc/contract/trade/Get-Orders-History
    Endpoint("GET", "/api/v2/mix/order/orders-history", "classic", 10, orders_history, reads="futures"),
    # https://www.bitget.com/api-doc/contract/trade/Get-Order-Fills
    Endpoint("GET", "/api/v2/mix/order/fills", "classic", 10, fills, reads="futures"),
    # https://www.bitget.com/api-doc/contract/account/Change-Leverage
    Endpoint("POST", "/api/v2/mix/account/set-leverage", "classic", 5, set_leverage),
]
