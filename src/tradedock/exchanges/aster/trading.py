"""`AsterTrader`: the Aster adapter with the trading calls (`TradingAdapter`) on V3 USDT perpetuals.

What belongs here: Aster's (Binance-style) order, position and settings requests and the parsing of their rows
into ``exchanges/orders.py`` values. What does not: the placement procedure (``exchanges/placing.py``), EIP-712
signing (``signing.py``), codes (``errors.py``). Every signed call carries a one-time nonce, so none is ever sent
twice by the HTTP layer. https://github.com/asterdex/api-docs/blob/master/V3(Recommended)/EN/aster-finance-futures-api-v3.md
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from tradedock.domain import Candle, CandleInterval, ContractType, MarginMode, PositionMode
from tradedock.errors import InvalidInputError, OrderRejectedError, TradeDockError, UnexpectedResponseError
from tradedock.exchanges import placing
from tradedock.exchanges.aster import candles as aster_candles
from tradedock.exchanges.aster.adapter import EXCHANGE, AsterAdapter
from tradedock.exchanges.aster.endpoints import USER_TRADES
from tradedock.exchanges.http import Signed
from tradedock.exchanges.orders import (
    InstrumentRules,
    OrderRequest,
    OrderSide,
    OrderState,
    OrderStatus,
    OrderType,
    PositionLeg,
    PositionState,
    TimeInForce,
    order_ref,
)
from tradedock.exchanges.rules_cache import InstrumentRulesCache

_TIF = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK", TimeInForce.POST_ONLY: "GTX"}
_LEG = {PositionLeg.NET: "BOTH", PositionLeg.LONG: "LONG", PositionLeg.SHORT: "SHORT"}
_LEGS = {v: k for k, v in _LEG.items()}
_STATUS = {
    "NEW": OrderStatus.OPEN,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELLED,
    "EXPIRED": OrderStatus.CANCELLED,
    "REJECTED": OrderStatus.REJECTED,
}
_NO_SUCH_ORDER = frozenset({"-2013", "-2011"})
_POSITION_MODE_UNCHANGED = "-4059"
_MARGIN_TYPE_UNCHANGED = "-4046"
_MULTI_ASSETS_UNCHANGED = "-4171"

_log = logging.getLogger(__name__)


def _dec(value: object) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _need(value: object, what: str) -> Decimal:
    parsed = _dec(value)
    if parsed is None:
        raise UnexpectedResponseError(f"Aster answered with an unreadable {what}", exchange=EXCHANGE)
    return parsed


def parse_order(row: Mapping[str, Any]) -> OrderState:
    status = _STATUS.get(str(row.get("status")))
    if status is None:
        raise UnexpectedResponseError(f"Aster answered with an unknown order status {row.get('status')!r}")
    return OrderState(
        order_id=str(row.get("orderId") or ""),
        client_order_id=str(row.get("clientOrderId") or ""),
        symbol=str(row.get("symbol") or ""),
        side=OrderSide.BUY if row.get("side") == "BUY" else OrderSide.SELL,
        order_type=OrderType.MARKET if row.get("type") == "MARKET" else OrderType.LIMIT,
        status=status,
        qty=_need(row.get("origQty"), "order quantity"),
        filled_qty=_dec(row.get("executedQty")) or Decimal(0),
        price=_dec(row.get("price")) or None,
        average_price=_dec(row.get("avgPrice")) or None,
        reduce_only=bool(row.get("reduceOnly")),
    )


def order_fee(rows: object, state: OrderState) -> Decimal | None:
    """The commissions of ``state``'s trades (rows of Account Trade List; other orders' rows are skipped), or None
    when a row is unreadable or charged in another asset than the symbol's quote coin (e.g. a fee discount token)."""
    if not isinstance(rows, list):
        return None
    total = Decimal(0)
    for row in rows:
        if not isinstance(row, Mapping) or str(row.get("orderId")) != state.order_id:
            continue
        commission, asset = _dec(row.get("commission")), str(row.get("commissionAsset") or "")
        if commission is None or not asset or not state.symbol.endswith(asset):
            return None
        total += abs(commission)
    return total


def parse_position(row: Mapping[str, Any]) -> PositionState:
    amount = _need(row.get("positionAmt"), "position amount")
    return PositionState(
        symbol=str(row.get("symbol") or ""),
        leg=_LEGS.get(str(row.get("positionSide")), PositionLeg.NET),
        size=abs(amount),
        long=amount >= 0 if row.get("positionSide") != "SHORT" else False,
        entry_price=_dec(row.get("entryPrice")) or Decimal(0),
        leverage=_dec(row.get("leverage")),
        unrealised_pnl=_dec(row.get("unRealizedProfit")),
        mark_price=_dec(row.get("markPrice")),
    )


def _ref(order_id: str | None, client_order_id: str | None) -> list[tuple[str, object]]:
    """The order's id parameter as a signed-query item (Aster names a client order id ``origClientOrderId``)."""
    return list(order_ref(order_id, client_order_id, client_id_param="origClientOrderId").items())


def _filter(row: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    for item in row.get("filters") or []:
        if isinstance(item, Mapping) and item.get("filterType") == kind:
            return item
    raise UnexpectedResponseError(f"Aster listed {row.get('symbol')} without a {kind} filter", exchange=EXCHANGE)


class AsterTrader(InstrumentRulesCache, AsterAdapter):
    """An Aster API wallet that reads (verification) and trades USDT perpetuals for its main wallet."""

    async def _fetch_instrument_rules(self, symbol: str) -> InstrumentRules:
        response, body = await self._futures.request("GET", "/fapi/v3/exchangeInfo")
        self._check(body, response.status_code)
        rows = [r for r in (body.get("symbols") or []) if isinstance(r, Mapping) and r.get("symbol") == symbol]
        if not rows:
            raise InvalidInputError("symbol", f"Aster has no perpetual {symbol}.", fix="Check the symbol.")
        price, lot = _filter(rows[0], "PRICE_FILTER"), _filter(rows[0], "LOT_SIZE")
        notional = next(
            (
                f
                for f in rows[0].get("filters") or []
                if isinstance(f, Mapping) and f.get("filterType") == "MIN_NOTIONAL"
            ),
            {},
        )
        return InstrumentRules(
            symbol=symbol,
            tick_size=_need(price.get("tickSize"), "tick size"),
            lot_size=_need(lot.get("stepSize"), "step size"),
            min_qty=_need(lot.get("minQty"), "minimum quantity"),
            max_qty=_dec(lot.get("maxQty")),
            min_notional=_dec(notional.get("notional")) or Decimal(0),
        )

    async def candles(self, symbol: str, interval: CandleInterval, limit: int = 200) -> tuple[Candle, ...]:
        """Public candles, oldest first (``candles.py``: the one parser, shared with `PublicMarket`)."""
        return await aster_candles.fetch_candles(self._futures, symbol, interval, limit)

    async def mark_price(self, symbol: str) -> Decimal:
        response, body = await self._futures.request("GET", "/fapi/v3/premiumIndex", params={"symbol": symbol})
        self._check(body, response.status_code)
        return _need(body.get("markPrice") if isinstance(body, Mapping) else None, "mark price")

    async def place_order(self, order: OrderRequest) -> OrderState:
        return await placing.place_once(self, order, exchange=EXCHANGE)

    async def submit_order(self, order: OrderRequest) -> OrderState:
        params: list[tuple[str, object]] = [
            ("symbol", order.symbol),
            ("side", order.side.value.upper()),
            ("type", order.order_type.value.upper()),
            ("quantity", format(order.qty, "f")),
            ("positionSide", _LEG[order.leg]),
            ("newClientOrderId", order.client_order_id),
        ]
        if order.order_type is OrderType.LIMIT and order.price is not None:
            params += [("price", format(order.price, "f")), ("timeInForce", _TIF[order.time_in_force])]
        if order.reduce_only and order.leg is PositionLeg.NET:
            params.append(("reduceOnly", "true"))
        return await self._with_fee(parse_order(await self._signed("POST", "/fapi/v3/order", params)))

    async def get_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState | None:
        try:
            row = await self._signed("GET", "/fapi/v3/order", [("symbol", symbol), *_ref(order_id, client_order_id)])
        except OrderRejectedError as exc:
            if exc.code in _NO_SUCH_ORDER:
                return None
            raise
        return await self._with_fee(parse_order(row))

    async def _with_fee(self, state: OrderState) -> OrderState:
        """Aster's order answers carry no fee; the order's trades do (Account Trade List). The fee so far is the sum
        of their commissions when all are in the symbol's quote coin, else unknown (None: the bot's PnL then leaves
        it out). A failed lookup never fails the order call it follows (the order was placed or read)."""
        if state.filled_qty <= 0 or not state.order_id:
            return state
        try:
            rows = await self._signed("GET", USER_TRADES.path, [("symbol", state.symbol), ("orderId", state.order_id)])
        except TradeDockError as exc:
            _log.info("aster: the trades of order %s could not be read (%s)", state.order_id, exc.code)
            return state
        return replace(state, fee=order_fee(rows, state))

    async def cancel_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState:
        ids = _ref(order_id, client_order_id)
        return await self._with_fee(
            parse_order(await self._signed("DELETE", "/fapi/v3/order", [("symbol", symbol), *ids]))
        )

    async def open_orders(self, symbol: str | None = None) -> tuple[OrderState, ...]:
        rows = await self._signed("GET", "/fapi/v3/openOrders", [("symbol", symbol)] if symbol else [])
        return tuple(parse_order(row) for row in rows or [])

    async def positions(self, symbol: str | None = None) -> tuple[PositionState, ...]:
        rows = await self._signed("GET", "/fapi/v3/positionRisk", [("symbol", symbol)] if symbol else [])
        return tuple(p for p in (parse_position(row) for row in rows or []) if p.size)

    async def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        await self._signed("POST", "/fapi/v3/leverage", [("symbol", symbol), ("leverage", str(int(leverage)))])

    async def set_position_mode(self, mode: PositionMode, contract: ContractType) -> None:
        dual = "true" if mode is PositionMode.HEDGE else "false"
        await self._setting("/fapi/v3/positionSide/dual", [("dualSidePosition", dual)], _POSITION_MODE_UNCHANGED)

    async def set_margin_mode(self, mode: MarginMode, contract: ContractType) -> None:
        """Multi-assets is account-wide; cross/isolated is per symbol (set here on BTCUSDT, the reference market)."""
        if mode is MarginMode.MULTI_ASSET:
            await self._setting("/fapi/v3/multiAssetsMargin", [("multiAssetsMargin", "true")], _MULTI_ASSETS_UNCHANGED)
            return
        if mode not in (MarginMode.CROSS, MarginMode.ISOLATED):
            raise InvalidInputError("margin_mode", f"Aster has no {mode.value} margin mode.", fix="Use cross.")
        kind = "CROSSED" if mode is MarginMode.CROSS else "ISOLATED"
        await self._setting(
            "/fapi/v3/marginType", [("symbol", "BTCUSDT"), ("marginType", kind)], _MARGIN_TYPE_UNCHANGED
        )

    # --- wire ---------------------------------------------------------------------------------------------

    async def _setting(self, path: str, params: Sequence[tuple[str, object]], unchanged: str) -> None:
        try:
            await self._signed("POST", path, params)
        except TradeDockError as exc:
            if exc.code != unchanged:
                raise

    async def _signed(self, method: str, path: str, params: Sequence[tuple[str, object]]) -> Any:
        """One signed call with a fresh nonce, sent once (POST as a form body, GET/DELETE in the query); signed
        when it leaves, after the rate budget's wait."""
        post = method == "POST"

        def sign() -> Signed:
            query = self._sign(params).query
            return Signed(body=query) if post else Signed(query=query)

        headers = {"Content-Type": "application/x-www-form-urlencoded"} if post else None
        response, body = await self._futures.request(method, path, headers=headers, idempotent=False, sign=sign)
        self._check(body, response.status_code)
        return body
