"""DCA schedule: buy a fixed quote amount of a perpetual every N hours, from a start time, up to a number of buys.

The bots hold target positions, so each slot's signal is ``long`` with an absolute ``size``: the base quantity all
buys so far add up to, each buy valued at the open price of its slot's candle (``quote_amount / open``). Slot ``k``
starts at ``start_at + k × every_hours``; its signal id is ``dca-<slot start ms>``, so a slot is bought once
however often it is evaluated. No signal before the start, after the last buy, or when the candles do not show
every slot so far (then the target cannot be computed and nothing is guessed).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from tradedock.domain import Candle, CandleInterval
from tradedock.errors import InvalidInputError
from tradedock.strategies.base import (
    Action,
    ParamSpec,
    Signal,
    field,
    parse_decimal,
    parse_int,
    parse_symbol,
    refuse_unknown,
)

#: every_hours → the candle whose open prices each slot.
EVERY_HOURS = {
    1: CandleInterval.H1,
    4: CandleInterval.H4,
    6: CandleInterval.H6,
    12: CandleInterval.H12,
    24: CandleInterval.D1,
}
MAX_ORDERS = 199  # every slot's candle, plus the open one, fits in one request on every exchange (Bybit: 200)
QUANTUM = Decimal("0.00000001")


class DcaSchedule:
    name: str = "dca"
    title: str = "DCA schedule"
    description: str = (
        "Buys a fixed quote amount every N hours from a start time, up to a number of buys; the bot's position "
        "grows by each buy (valued at the open price of its hour)."
    )
    params: tuple[ParamSpec, ...] = (
        ParamSpec("symbol", "symbol", "The USDT perpetual, e.g. BTCUSDT."),
        ParamSpec("quote_amount", "decimal", "USDT per buy, e.g. 50."),
        ParamSpec("every_hours", "choice", "Hours between buys.", choices=tuple(str(h) for h in EVERY_HOURS)),
        ParamSpec("max_orders", "integer", "How many buys in all.", minimum=1, maximum=MAX_ORDERS),
        ParamSpec(
            "start_at", "datetime", "First buy, UTC, on the hour (and a multiple of every_hours since midnight)."
        ),
    )

    def validate(self, raw: Mapping[str, object], prefix: str = "params") -> dict[str, Any]:
        refuse_unknown(raw, self.params, prefix)
        symbol = parse_symbol(raw.get("symbol"), prefix)
        quote = parse_decimal(raw.get("quote_amount"), "quote_amount", prefix, "50")
        every = parse_int(raw.get("every_hours"), "every_hours", prefix, 1, 24)
        if every not in EVERY_HOURS:
            raise InvalidInputError(
                field(prefix, "every_hours"), "every_hours is not offered", fix="Use 1, 4, 6, 12 or 24."
            )
        max_orders = parse_int(raw.get("max_orders"), "max_orders", prefix, 1, MAX_ORDERS)
        start = _parse_start(raw.get("start_at"), EVERY_HOURS[every], prefix)
        return {
            "symbol": symbol,
            "quote_amount": format(quote.normalize(), "f"),
            "every_hours": every,
            "max_orders": max_orders,
            "start_at": start.isoformat().replace("+00:00", "Z"),
        }

    def symbol(self, params: Mapping[str, Any]) -> str:
        return str(params["symbol"])

    def interval(self, params: Mapping[str, Any]) -> CandleInterval:
        return EVERY_HOURS[int(params["every_hours"])]

    def candles_needed(self, params: Mapping[str, Any]) -> int:
        return int(params["max_orders"]) + 1

    def evaluate(self, params: Mapping[str, Any], candles: tuple[Candle, ...], now: datetime) -> Signal | None:
        interval = self.interval(params)
        start_ms = int(datetime.fromisoformat(str(params["start_at"])).timestamp() * 1000)
        now_ms = int(now.timestamp() * 1000)
        if now_ms < start_ms:
            return None
        slot = (now_ms - start_ms) // interval.ms
        max_orders = int(params["max_orders"])
        if slot >= max_orders:
            return None
        opens = {c.open_time_ms: c.open for c in candles if c.interval is interval}
        quote = Decimal(str(params["quote_amount"]))
        target = Decimal(0)
        for index in range(slot + 1):
            price = opens.get(start_ms + index * interval.ms)
            if price is None or price <= 0:
                return None  # a slot the data does not show: the target cannot be computed
            target += quote / price
        slot_start = start_ms + slot * interval.ms
        size = target.quantize(QUANTUM, rounding=ROUND_DOWN)
        return Signal(
            signal_id=f"dca-{slot_start}",
            action=Action.LONG,
            symbol=self.symbol(params),
            time=now,
            size=size,
            reason=f"DCA buy {slot + 1} of {max_orders}: {quote} USDT at {opens[slot_start]}; target {size}",
        )


def _parse_start(raw: object, interval: CandleInterval, prefix: str) -> datetime:
    fix = 'An ISO 8601 UTC time on the hour, e.g. "2026-12-01T12:00:00Z".'
    if not isinstance(raw, str):
        raise InvalidInputError(field(prefix, "start_at"), "start_at is required", fix=fix)
    try:
        start = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError(field(prefix, "start_at"), "start_at is not an ISO 8601 time", fix=fix) from None
    if start.tzinfo is None:
        raise InvalidInputError(field(prefix, "start_at"), "start_at needs a time zone (Z for UTC)", fix=fix)
    start = start.astimezone(UTC)
    if int(start.timestamp() * 1000) % interval.ms:
        raise InvalidInputError(
            field(prefix, "start_at"),
            f"start_at must fall on a {interval.value} candle's start (UTC)",
            fix="e.g. a time on the hour whose hour is a multiple of every_hours.",
        )
    return start
