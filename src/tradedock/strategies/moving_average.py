"""Moving-average crossover: a fast and a slow simple moving average (SMA) of closing prices over closed candles.

At each evaluation only the most recently closed candle can cross: the fast SMA moving from at or below the slow
one (on the candle before) to above it is a golden cross → ``long``; from at or above to below is a death cross →
``short`` (``mode: long_only`` → ``close``). The signal id is ``ma-<fast>-<slow>-<interval>-<open time of that
candle>``, so the same cross is the same signal however often, and wherever, it is evaluated. No signal when the
candles do not reach up to the candle just closed (stale data), have a gap, or are fewer than ``slow + 1``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from tradedock.domain import Candle, CandleInterval
from tradedock.errors import InvalidInputError
from tradedock.strategies.base import (
    Action,
    ParamSpec,
    Signal,
    closed_candles,
    field,
    parse_int,
    parse_interval,
    parse_symbol,
    refuse_unknown,
)

MODES = ("long_short", "long_only")
MAX_SLOW = 199  # slow + 1 closed candles, plus the open one, fit in one request on every exchange (Bybit: 200)


def sma(closes: Sequence[Decimal]) -> Decimal:
    return sum(closes, Decimal(0)) / len(closes)


class MovingAverageCrossover:
    name: str = "ma_crossover"
    title: str = "Moving-average crossover"
    description: str = (
        "Goes long when the fast simple moving average of closing prices crosses above the slow one, short (or "
        "flat, in long_only mode) when it crosses below; evaluated on each closed candle."
    )
    params: tuple[ParamSpec, ...] = (
        ParamSpec("symbol", "symbol", "The USDT perpetual, e.g. BTCUSDT."),
        ParamSpec("interval", "interval", "Candle length.", choices=tuple(i.value for i in CandleInterval)),
        ParamSpec("fast", "integer", "Candles in the fast average.", minimum=1, maximum=MAX_SLOW - 1),
        ParamSpec("slow", "integer", "Candles in the slow average (more than fast).", minimum=2, maximum=MAX_SLOW),
        ParamSpec(
            "mode", "choice", "long_short: a death cross goes short; long_only: it closes.", False, "long_short", MODES
        ),
    )

    def validate(self, raw: Mapping[str, object], prefix: str = "params") -> dict[str, Any]:
        refuse_unknown(raw, self.params, prefix)
        symbol = parse_symbol(raw.get("symbol"), prefix)
        interval = parse_interval(raw.get("interval"), prefix)
        fast = parse_int(raw.get("fast"), "fast", prefix, 1, MAX_SLOW - 1)
        slow = parse_int(raw.get("slow"), "slow", prefix, 2, MAX_SLOW)
        if fast >= slow:
            raise InvalidInputError(
                field(prefix, "fast"), f"fast ({fast}) must be less than slow ({slow})", fix="e.g. fast 9, slow 21."
            )
        mode = raw.get("mode", "long_short")
        if mode not in MODES:
            raise InvalidInputError(field(prefix, "mode"), "mode is not known", fix=f"Use one of: {', '.join(MODES)}.")
        return {"symbol": symbol, "interval": interval.value, "fast": fast, "slow": slow, "mode": mode}

    def symbol(self, params: Mapping[str, Any]) -> str:
        return str(params["symbol"])

    def interval(self, params: Mapping[str, Any]) -> CandleInterval:
        return CandleInterval(params["interval"])

    def candles_needed(self, params: Mapping[str, Any]) -> int:
        return int(params["slow"]) + 2  # slow + 1 closed ones, and the open one the exchange returns first

    def evaluate(self, params: Mapping[str, Any], candles: tuple[Candle, ...], now: datetime) -> Signal | None:
        interval = self.interval(params)
        fast, slow = int(params["fast"]), int(params["slow"])
        now_ms = int(now.timestamp() * 1000)
        closed = closed_candles(candles, interval, now_ms)[-(slow + 1) :]
        if len(closed) < slow + 1:
            return None
        last = closed[-1]
        if now_ms >= last.close_time_ms + interval.ms:
            return None  # a newer candle has closed that the data does not show: stale, decide nothing
        if any(b.open_time_ms - a.open_time_ms != interval.ms for a, b in itertools.pairwise(closed)):
            return None  # a gap: the averages would mix distant prices
        closes = [c.close for c in closed]
        fast_now, slow_now = sma(closes[-fast:]), sma(closes[-slow:])
        fast_before, slow_before = sma(closes[-fast - 1 : -1]), sma(closes[-slow - 1 : -1])
        if fast_before <= slow_before and fast_now > slow_now:
            action, word = Action.LONG, "crossed above"
        elif fast_before >= slow_before and fast_now < slow_now:
            action = Action.CLOSE if params.get("mode") == "long_only" else Action.SHORT
            word = "crossed below"
        else:
            return None
        return Signal(
            signal_id=f"ma-{fast}-{slow}-{interval.value}-{last.open_time_ms}",
            action=action,
            symbol=self.symbol(params),
            time=now,
            reason=(
                f"SMA{fast} {_text(fast_now)} {word} SMA{slow} {_text(slow_now)} on the {interval.value} candle "
                f"that opened at {last.open_time_ms} (close {_text(last.close)})"
            ),
        )


def _text(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.00000001")).normalize(), "f")
