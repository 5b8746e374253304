"""`BitgetTrader`: the Bitget adapter with the trading calls (`TradingAdapter`) on classic (V2) USDT-M perpetuals.

What belongs here: Bitget's V2 mix trading requests and the parsing of its order/position rows into
``exchanges/orders.py`` values. What does not: the placement procedure (``exchanges/placing.py``), signing and the
envelope (``adapter.py``), codes (``errors.py``). Unified (V3) accounts are not traded yet: they are refused with
`AccountModeMismatchError`. Hedge mode on V2: ``side`` is the position's direction and ``tradeSide`` open/close
(closing a long is buy + close). https://www.bitget.com/api-doc/contract/trade/Place-Order
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tradedock.domain import AccountMode, Candle, CandleInterval, ContractType, MarginMode, PositionMode
from tradedock.errors import (
    AccountModeMismatchError,
    InvalidInputError,
    OrderRejectedError,
    UnexpectedResponseError,
)
from tradedock.exchanges import placing
from tradedock.exchanges.bitget import candles as bitget_candles
from tradedock.exchanges.bitget import endpoints, parsing
from tradedock.exchanges.bitget.adapter import EXCHANGE_NAME, BitgetAdapter
from tradedock.exchanges.bitget.endpoints import PRODUCT_TYPES, Endpoint
from tradedock.exchanges.bitget.signing import encode_query, public_headers
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

USDT_M = PRODUCT_TYPES[ContractType.USDT_M]
_CLIENT_ID = "clientOid"
_FORCE = {TimeInForce.GTC: "gtc", TimeInForce.IOC: "ioc", TimeInForce.FOK: "fok", TimeInForce.POST_ONLY: "post_only"}
# https://www.bitget.com/api-doc/contract/trade/Get-Order-Details (state / status values)
_STATUS = {
    "live": OrderStatus.OPEN,
    "new": OrderStatus.OPEN,
    "init": OrderStatus.OPEN,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
}
_MARGIN = {MarginMode.CROSS: "crossed", MarginMode.ISOLATED: "isolated"}
_NO_SUCH_ORDER = frozenset({"40768", "40109", "43001"})


def _dec(value: object) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def parse_order(row: Mapping[str, Any]) -> OrderState:
    state = str(row.get("state") or row.get("status") or "")
    status = _STATUS.get(state)
    if status is None:
        raise UnexpectedResponseError(f"Bitget answered with an unknown order state {state!r}", exchange=EXCHANGE_NAME)
    side = OrderSide.BUY if row.get("side") == "buy" else OrderSide.SELL
    if row.get("tradeSide") == "close":  # hedge mode: closing a long is "buy" + close, i.e. selling
        side = OrderSide.SELL if side is OrderSide.BUY else OrderSide.BUY
    price = _dec(row.get("price"))
    return OrderState(
        order_id=str(row.get("orderId") or ""),
        client_order_id=str(row.get("clientOid") or ""),
        symbol=str(row.get("symbol") or ""),
        side=side,
        order_type=OrderType.MARKET if row.get("orderType") == "market" else OrderType.LIMIT,
        status=status,
        qty=parsing.decimal(row.get("size"), "order size"),
        filled_qty=_dec(row.get("baseVolume")) or Decimal(0),
        price=price or None,
        average_price=_dec(row.get("priceAvg")) or None,
        reduce_only=row.get("reduceOnly") == "YES" or row.get("tradeSide") == "close",
        fee=_fee(row.get("fee")),
    )


def _fee(raw: object) -> Decimal | None:
    """Bitget reports the order's fee as a negative amount (paid); TradeDock counts fees paid as positive."""
    value = _dec(raw)
    return None if value is None else -value


def parse_position(row: Mapping[str, Any]) -> PositionState:
    long = row.get("holdSide") == "long"
    hedge = row.get("posMode") == "hedge_mode"
    return PositionState(
        symbol=str(row.get("symbol") or ""),
        leg=(PositionLeg.LONG if long else PositionLeg.SHORT) if hedge else PositionLeg.NET,
        size=parsing.decimal(row.get("total"), "position size"),
        long=long,
        entry_price=_dec(row.get("openPriceAvg")) or Decimal(0),
        leverage=_dec(row.get("leverage")),
        unrealised_pnl=_dec(row.get("unrealizedPL")),
        mark_price=_dec(row.get("markPrice")),
    )


class BitgetTrader(InstrumentRulesCache, BitgetAdapter):
    """A Bitget key that reads (verification) and trades USDT-M perpetuals on a classic account."""

    async def _fetch_instrument_rules(self, symbol: str) -> InstrumentRules:
        rows = await self._public(endpoints.MIX_CONTRACTS, {"productType": USDT_M.name, "symbol": symbol})
        row = next((r for r in parsing.as_list(rows, "contracts") if r.get("symbol") == symbol), None)
        if row is None:
            raise InvalidInputError("symbol", f"Bitget has no USDT-M perpetual {symbol}.", fix="Check the symbol.")
        place = int(str(row.get("pricePlace") or "0"))
        return InstrumentRules(
            symbol=symbol,
            tick_size=parsing.decimal(row.get("priceEndStep"), "price step").scaleb(-place),
            lot_size=parsing.decimal(row.get("sizeMultiplier"), "size multiplier"),
            min_qty=parsing.decimal(row.get("minTradeNum"), "minimum size"),
            min_notional=_dec(row.get("minTradeUSDT")) or Decimal(0),
            max_leverage=_dec(row.get("maxLever")),
        )

    async def candles(self, symbol: str, interval: CandleInterval, limit: int = 200) -> tuple[Candle, ...]:
        """Public candles, oldest first (``candles.py``: the one parser, shared with `PublicMarket`)."""
        return await bitget_candles.fetch_candles(self._http, symbol, interval, limit)

    async def mark_price(self, symbol: str) -> Decimal:
        rows = parsing.as_list(
            await self._public(endpoints.MIX_TICKER, {"productType": USDT_M.name, "symbol": symbol}), "ticker"
        )
        if not rows:
            raise InvalidInputError("symbol", f"Bitget has no ticker for {symbol}.", fix="Check the symbol.")
        return parsing.decimal(rows[0].get("markPrice") or rows[0].get("lastPr"), "mark price")

    async def place_order(self, order: OrderRequest) -> OrderState:
        return await placing.place_once(self, order, exchange=EXCHANGE_NAME)

    async def submit_order(self, order: OrderRequest) -> OrderState:
        data: dict[str, object] = {
            "symbol": order.symbol,
            "productType": USDT_M.name,
            "marginMode": "crossed",
            "marginCoin": USDT_M.margin_coin,
            "size": format(order.qty, "f"),
            "orderType": order.order_type.value,
            "clientOid": order.client_order_id,
        }
        if order.leg is PositionLeg.NET:
            data["side"] = order.side.value
            if order.reduce_only:
                data["reduceOnly"] = "YES"
        else:
            opening = (order.side is OrderSide.BUY) == (order.leg is PositionLeg.LONG)
            data["side"] = "buy" if order.leg is PositionLeg.LONG else "sell"
            data["tradeSide"] = "open" if opening else "close"
        if order.order_type is OrderType.LIMIT and order.price is not None:
            data["price"] = format(order.price, "f")
            data["force"] = _FORCE[order.time_in_force]
        result = parsing.as_object(await self._post(endpoints.MIX_PLACE_ORDER, data), "order")
        found = await self.get_order(order.symbol, order_id=str(result.get("orderId") or ""))
        if found is None:
            raise UnexpectedResponseError("Bitget accepted an order it then could not show.", exchange=EXCHANGE_NAME)
        return found

    async def get_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState | None:
        params = {
            "symbol": symbol,
            "productType": USDT_M.name,
            **order_ref(order_id, client_order_id, client_id_param=_CLIENT_ID),
        }
        try:
            data = await self._signed_get(endpoints.MIX_ORDER_DETAIL, params)
        except OrderRejectedError as exc:  # "no such order" is an answer here
            if exc.code in _NO_SUCH_ORDER:
                return None
            raise
        return parse_order(parsing.as_object(data, "order detail")) if data else None

    async def cancel_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState:
        ids = order_ref(order_id, client_order_id, client_id_param=_CLIENT_ID)
        data = {"symbol": symbol, "productType": USDT_M.name, "marginCoin": USDT_M.margin_coin, **ids}
        await self._post(endpoints.MIX_CANCEL_ORDER, data)
        found = await self.get_order(symbol, order_id=order_id, client_order_id=client_order_id)
        if found is None:
            raise UnexpectedResponseError("Bitget cancelled an order it then could not show.", exchange=EXCHANGE_NAME)
        return found

    async def open_orders(self, symbol: str | None = None) -> tuple[OrderState, ...]:
        params = {"productType": USDT_M.name, **({"symbol": symbol} if symbol else {})}
        data = parsing.as_object(await self._signed_get(endpoints.MIX_ORDERS_PENDING, params), "pending orders")
        return tuple(parse_order(row) for row in parsing.as_list(data.get("entrustedList") or [], "orders"))

    async def positions(self, symbol: str | None = None) -> tuple[PositionState, ...]:
        params = {"productType": USDT_M.name, "marginCoin": USDT_M.margin_coin}
        rows = parsing.as_list(await self._signed_get(endpoints.MIX_ALL_POSITIONS, params), "positions")
        found = (parse_position(row) for row in rows)
        return tuple(p for p in found if p.size and symbol in (None, p.symbol))

    async def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        """Bitget answers success when the leverage is already as asked."""
        data = {
            "symbol": symbol,
            "productType": USDT_M.name,
            "marginCoin": USDT_M.margin_coin,
            "leverage": format(leverage, "f"),
        }
        await self._post(endpoints.MIX_SET_LEVERAGE, data)

    async def set_position_mode(self, mode: PositionMode, contract: ContractType) -> None:
        product = PRODUCT_TYPES[contract]
        pos_mode = "hedge_mode" if mode is PositionMode.HEDGE else "one_way_mode"
        await self._post(endpoints.MIX_SET_POSITION_MODE, {"productType": product.name, "posMode": pos_mode})

    async def set_margin_mode(self, mode: MarginMode, contract: ContractType) -> None:
        """Per symbol on Bitget: set for the product type's reference market (BTCUSDT for USDT-M)."""
        native = _MARGIN.get(mode)
        if native is None:
            raise InvalidInputError("margin_mode", f"Bitget has no {mode.value} margin mode.", fix="Use cross.")
        product = PRODUCT_TYPES[contract]
        data = {
            "symbol": product.reference_symbol,
            "productType": product.name,
            "marginCoin": product.margin_coin,
            "marginMode": native,
        }
        await self._post(endpoints.MIX_SET_MARGIN_MODE, data)

    # --- wire ---------------------------------------------------------------------------------------------

    def _classic_only(self) -> None:
        if self.account_mode is AccountMode.UNIFIED:
            raise AccountModeMismatchError(
                "TradeDock trades Bitget classic accounts only for now (this is a unified trading account).",
                exchange=EXCHANGE_NAME,
                fix="Connect a classic-account key to trade through TradeDock.",
            )

    async def _signed_get(self, endpoint: Endpoint, params: Mapping[str, str]) -> Any:
        self._classic_only()
        return await self._get(endpoint, params)

    async def _public(self, endpoint: Endpoint, params: Mapping[str, str]) -> Any:
        query = encode_query(params)
        response, body = await self._http.request(
            endpoint.method, endpoint.path, params=query or None, headers=public_headers()
        )
        return self._unwrap(response, body)

    async def _post(self, endpoint: Endpoint, data: Mapping[str, object]) -> Any:
        """One signed POST, never retried by the HTTP layer (it may already have acted)."""
        self._classic_only()
        body = json.dumps(dict(data), separators=(",", ":"))

        response, answer = await self._http.request(
            endpoint.method, endpoint.path, content=body, idempotent=False, sign=self._signer(endpoint, body=body)
        )
        return self._unwrap(response, answer)
