"""Control API for trading, served on every simulator port: prices (a path over time), fees and order faults;
plus `trading_engine(request)`, how exchange handlers reach the shared matching engine.

Belongs here: validating those control payloads and holding the engine in the port's state (it is forgotten by
`POST /_sim/reset`, like everything else). Does not belong here: matching (`engine.py`) or wire formats.

- `POST /_sim/prices` `{"symbol": "BTCUSDT", "price": "59000"}` or `{"symbol": ..., "path": [{"after_ms": 0,
  "price": "60000"}, {"after_ms": 500, "price": "58000"}]}` (steps, relative to now) → `{"symbol", "mark"}`;
  `GET /_sim/prices` → `{symbol: mark}`.
- `POST /_sim/fees` `{"taker"?: "0.00055", "maker"?: "0.0002"}` (rates, not percent) → both rates.
- `GET /_sim/orders?uid=` → `{"orders": [{uid, order_id, client_id, symbol, side, qty, filled_qty, avg_price,
  status, reduce_only}]}` and `GET /_sim/positions?uid=` → `{"positions": [{uid, symbol, side, size, long,
  entry_price, realised_pnl}]}`: what the engine holds (every account that traded, or one uid), oldest first, so
  tests can count orders on the exchange without going through any client's code.
- `POST /_sim/order-faults` `{"fault": "accept_then_timeout" | "reject", "count"?: 1}` → the queue; `{}` clears.
  The next `count` order placements are affected: `accept_then_timeout` places the order, then never answers
  (the client times out; the order exists); `reject` refuses it with the exchange's service error and records it
  as rejected in the order history. `partial_fill` fills only half of a market order (rounded down to the
  lot) and cancels the rest, as when the book was thin (the order is reported cancelled with its filled quantity).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tradedock_sim.core.control import error_response, read_json_object, sim_plugin, sim_state
from tradedock_sim.core.engine import Engine
from tradedock_sim.core.orders import Instrument, TradeRejected
from tradedock_sim.core.state import ControlInputError, SimState

ORDER_FAULTS = ("accept_then_timeout", "reject", "partial_fill")
ENGINE_KEY = "trading.engine"


def engine_of(state: SimState, instruments: Callable[[], Sequence[Instrument]], new_id: Callable[[], str]) -> Engine:
    """The matching engine of this simulator port (built on first use, dropped by reset). Handlers that only have
    the state pass the same factories as their plugin's `instruments()` / `new_order_id()`."""
    engine = state.extra.get(ENGINE_KEY)
    if engine is None:
        engine = Engine.build(instruments(), state.now_ms, new_id)
        state.extra[ENGINE_KEY] = engine
    assert isinstance(engine, Engine)
    return engine


def trading_engine(request: Request) -> Engine:
    """`engine_of` for a request: the port's plugin supplies instruments and order ids."""
    state = sim_state(request)
    plugin = sim_plugin(request)
    return engine_of(state, plugin.instruments, lambda: plugin.new_order_id(state))


def decimal_value(raw: object, name: str, *, positive: bool = True) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ControlInputError(name, 'must be a number or a decimal string, e.g. "59000.5"')
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise ControlInputError(name, 'must be a number or a decimal string, e.g. "59000.5"') from exc
    if not value.is_finite() or value < 0 or (positive and value == 0):
        raise ControlInputError(name, "must be a positive number" if positive else "must not be negative")
    return value


def _points(payload: dict[str, Any]) -> list[tuple[int, Decimal]]:
    if "price" in payload and "path" in payload:
        raise ControlInputError("path", "give either price or path, not both")
    if "price" in payload:
        return [(0, decimal_value(payload["price"], "price"))]
    path = payload.get("path")
    if not isinstance(path, list) or not path:
        raise ControlInputError("price", 'required: a price, or a path [{"after_ms": 0, "price": "60000"}, ...]')
    points: list[tuple[int, Decimal]] = []
    for index, point in enumerate(path):
        if not isinstance(point, dict):
            raise ControlInputError(f"path[{index}]", 'must be an object {"after_ms": 0, "price": "60000"}')
        after = point.get("after_ms", 0)
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ControlInputError(f"path[{index}].after_ms", "must be a non-negative integer (ms from now)")
        points.append((after, decimal_value(point.get("price"), f"path[{index}].price")))
    return points


async def _set_prices(request: Request) -> Response:
    engine = trading_engine(request)
    try:
        payload = await read_json_object(request)
        symbol = payload.get("symbol")
        if not isinstance(symbol, str) or symbol not in engine.instruments:
            known = ", ".join(engine.instruments) or "none"
            raise ControlInputError("symbol", f"unknown symbol {symbol!r}; this simulator trades: {known}")
        engine.set_path(symbol, _points(payload))
    except ControlInputError as exc:
        return error_response(exc)
    except TradeRejected as exc:  # pragma: no cover - the symbol was checked above
        return error_response(ControlInputError("symbol", exc.detail))
    return JSONResponse({"symbol": symbol, "mark": str(engine.mark(symbol))})


async def _get_prices(request: Request) -> Response:
    engine = trading_engine(request)
    return JSONResponse({symbol: str(engine.mark(symbol)) for symbol in engine.instruments})


async def _fees(request: Request) -> Response:
    engine = trading_engine(request)
    try:
        payload = await read_json_object(request)
        for name in payload:
            if name not in ("taker", "maker"):
                raise ControlInputError(name, "unknown field; use taker, maker (rates such as 0.00055)")
        taker = decimal_value(payload["taker"], "taker", positive=False) if "taker" in payload else engine.taker_fee
        maker = decimal_value(payload["maker"], "maker", positive=False) if "maker" in payload else engine.maker_fee
    except ControlInputError as exc:
        return error_response(exc)
    engine.taker_fee, engine.maker_fee = taker, maker
    return JSONResponse({"taker": str(taker), "maker": str(maker)})


async def _order_faults(request: Request) -> Response:
    engine = trading_engine(request)
    try:
        payload = await read_json_object(request)
        fault = payload.get("fault")
        count = payload.get("count", 1)
        if fault is not None and fault not in ORDER_FAULTS:
            raise ControlInputError("fault", f"must be one of {', '.join(ORDER_FAULTS)}")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ControlInputError("count", "must be a positive integer (how many order placements)")
    except ControlInputError as exc:
        return error_response(exc)
    engine.order_faults = [fault] * count if fault else []
    return JSONResponse({"pending": list(engine.order_faults)})


def _book_rows(request: Request) -> list[tuple[str, Any]]:
    engine = trading_engine(request)
    uid = request.query_params.get("uid")
    return [(owner, book) for owner, book in engine.books.items() if uid in (None, "", owner)]


async def _list_orders(request: Request) -> Response:
    rows = []
    for uid, book in _book_rows(request):
        for order in sorted(book.orders.values(), key=lambda o: (o.created_ms, o.order_id)):
            avg = order.avg_price
            rows.append(
                {
                    "uid": uid,
                    "order_id": order.order_id,
                    "client_id": order.client_id,
                    "symbol": order.symbol,
                    "side": order.side.value,
                    "qty": str(order.qty),
                    "filled_qty": str(order.filled_qty),
                    "avg_price": None if avg is None else str(avg),
                    "status": order.status.value,
                    "reduce_only": order.reduce_only,
                }
            )
    return JSONResponse({"orders": rows})


async def _list_positions(request: Request) -> Response:
    rows = []
    for uid, book in _book_rows(request):
        for position in book.positions.values():
            rows.append(
                {
                    "uid": uid,
                    "symbol": position.symbol,
                    "side": position.side.value,
                    "size": str(position.size),
                    "long": position.long,
                    "entry_price": str(position.entry_price),
                    "realised_pnl": str(position.realised_pnl),
                }
            )
    return JSONResponse({"positions": rows})


def trading_control_routes() -> list[Route]:
    return [
        Route("/_sim/prices", _set_prices, methods=["POST"]),
        Route("/_sim/prices", _get_prices, methods=["GET"]),
        Route("/_sim/fees", _fees, methods=["POST"]),
        Route("/_sim/order-faults", _order_faults, methods=["POST"]),
        Route("/_sim/orders", _list_orders, methods=["GET"]),
        Route("/_sim/positions", _list_positions, methods=["GET"]),
    ]
