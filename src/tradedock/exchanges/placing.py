"""Placing an order exactly once: exchange rules first, one send, and a lost answer resolved by the client order id.

What belongs here: the exchange-neutral procedure every trading adapter's `place_order` uses. What does not: wire
formats (``exchanges/<x>/trading.py``) or retries of reads (``exchanges/http.py``).

Why: an order POST that times out may or may not have reached the exchange. Sending it again could open the
position twice; giving up could leave an order the caller does not know about. So the order carries a client
order id from the start, the POST is never retried, and after a lost answer the exchange is asked for that id
a few times (it may take a moment to show it). Found: that is the order. Reliably not found: it was not placed,
and the caller may send it again (with the same id, which the exchange would refuse if it did exist).
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Protocol

from tradedock.errors import ExchangeTimeoutError, ExchangeUnavailableError, ExchangeUnreachableError, RateLimitedError
from tradedock.exchanges.orders import InstrumentRules, OrderRequest, OrderState, OrderType

log = logging.getLogger("tradedock.exchanges.placing")

LOOKUPS = 3
LOOKUP_PAUSE_S = 0.5


class _Placer(Protocol):
    async def instrument_rules(self, symbol: str) -> InstrumentRules: ...

    async def mark_price(self, symbol: str) -> Decimal: ...

    async def submit_order(self, order: OrderRequest) -> OrderState: ...

    async def get_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState | None: ...


async def prepare(trader: _Placer, order: OrderRequest) -> OrderRequest:
    """The order on the exchange's grid with a client order id; refuses locally what the exchange would refuse."""
    rules = await trader.instrument_rules(order.symbol)
    mark = None
    if order.order_type is OrderType.MARKET and rules.min_notional and not order.reduce_only:
        mark = await trader.mark_price(order.symbol)
    return rules.prepare(order, mark)


async def place_once(
    trader: _Placer, order: OrderRequest, *, exchange: str, lookups: int = LOOKUPS, pause_s: float = LOOKUP_PAUSE_S
) -> OrderState:
    """Prepare, send once, and resolve a lost answer by asking for the client order id (never re-sending)."""
    prepared = await prepare(trader, order)
    try:
        return await trader.submit_order(prepared)
    except RateLimitedError:
        raise  # refused before it was processed: nothing to resolve
    except (ExchangeTimeoutError, ExchangeUnavailableError) as lost:
        log.info("%s order %s: answer lost (%s); asking by client order id", exchange, prepared.client_order_id, lost)
        cause: ExchangeUnreachableError = lost
    answered = False
    for attempt in range(lookups):
        if attempt:
            await asyncio.sleep(pause_s)
        try:
            found = await trader.get_order(prepared.symbol, client_order_id=prepared.client_order_id)
        except ExchangeUnreachableError as exc:
            cause = exc
            continue
        answered = True
        if found is not None:
            return found
    if answered:
        raise ExchangeTimeoutError(
            f"{exchange} did not confirm the order and does not know client order id {prepared.client_order_id}: "
            "it was not placed.",
            exchange=exchange,
            fix=f"Send it again with client order id {prepared.client_order_id} (a duplicate would be refused).",
        ) from cause
    raise ExchangeTimeoutError(
        f"{exchange} did not confirm the order with client order id {prepared.client_order_id}, and could not be "
        "asked whether it exists.",
        exchange=exchange,
        fix=f"Look the order up by client order id {prepared.client_order_id} before sending anything again.",
    ) from cause
