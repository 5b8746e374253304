"""Moving-average crossover: hand-computed crosses, no repeats, stale or gappy data decides nothing, params."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradedock.domain import Candle, CandleInterval
from tradedock.errors import InvalidInputError
from tradedock.strategies.base import Action
from tradedock.strategies.catalog import get_builtin

H1 = CandleInterval.H1
T0 = 1_796_000_400_000 - 1_796_000_400_000 % H1.ms  # an hour boundary
MA = get_builtin("ma_crossover")
PARAMS = MA.validate({"symbol": "btcusdt", "interval": "1h", "fast": 2, "slow": 3})


def series(closes: list[str], *, interval: CandleInterval = H1) -> tuple[Candle, ...]:
    """Candles opening T0, T0+1h, …; open = previous close (exact values do not matter to an SMA of closes)."""
    out = []
    for i, close in enumerate(closes):
        c = Decimal(close)
        out.append(Candle(T0 + i * interval.ms, interval, c, c, c, c, Decimal(0)))
    return tuple(out)


def just_after_close(candles: tuple[Candle, ...], after_ms: int = 5_000) -> datetime:
    return datetime.fromtimestamp((candles[-1].close_time_ms + after_ms) / 1000, UTC)


def test_params_are_normalised() -> None:
    assert PARAMS == {"symbol": "BTCUSDT", "interval": "1h", "fast": 2, "slow": 3, "mode": "long_short"}
    assert MA.interval(PARAMS) is H1
    assert MA.candles_needed(PARAMS) == 5


def test_golden_cross_is_long() -> None:
    # last four closes 10, 10, 9, 12: before SMA2 = 9.5 <= SMA3 = 9.667; now SMA2 = 10.5 > SMA3 = 10.333
    candles = series(["10", "10", "10", "9", "12"])
    signal = MA.evaluate(PARAMS, candles, just_after_close(candles))
    assert signal is not None
    assert signal.action is Action.LONG
    assert signal.symbol == "BTCUSDT"
    assert signal.signal_id == f"ma-2-3-1h-{T0 + 4 * H1.ms}"
    assert "SMA2 10.5 crossed above SMA3 10.33333333" in signal.reason


def test_death_cross_is_short_or_close_in_long_only_mode() -> None:
    # last four closes 10, 10, 11, 8: before SMA2 = 10.5 >= SMA3 = 10.333; now SMA2 = 9.5 < SMA3 = 9.667
    candles = series(["10", "10", "10", "11", "8"])
    short = MA.evaluate(PARAMS, candles, just_after_close(candles))
    assert short is not None and short.action is Action.SHORT
    long_only = MA.validate({**PARAMS, "mode": "long_only"})
    close = MA.evaluate(long_only, candles, just_after_close(candles))
    assert close is not None and close.action is Action.CLOSE
    assert close.signal_id == short.signal_id


def test_no_cross_no_signal() -> None:
    # before SMA2 10.5 > SMA3 10.333, now SMA2 11.5 > SMA3 11: still above
    candles = series(["10", "10", "10", "11", "12"])
    assert MA.evaluate(PARAMS, candles, just_after_close(candles)) is None


def test_touching_then_crossing_counts_once() -> None:
    # before: SMA2 = SMA3 = 10 (touching); now SMA2 11 > SMA3 10.667: a cross
    candles = series(["10", "10", "10", "10", "12"])
    first = MA.evaluate(PARAMS, candles, just_after_close(candles))
    assert first is not None and first.action is Action.LONG
    # one candle later the fast average is still above: nothing new
    later = series(["10", "10", "10", "10", "12", "13"])
    assert MA.evaluate(PARAMS, later, just_after_close(later)) is None


def test_same_candles_same_signal_id_whenever_evaluated() -> None:
    candles = series(["10", "10", "10", "9", "12"])
    a = MA.evaluate(PARAMS, candles, just_after_close(candles, 1_000))
    b = MA.evaluate(PARAMS, candles, just_after_close(candles, 3_000_000))
    assert a is not None and b is not None
    assert a.signal_id == b.signal_id


def test_the_open_candle_is_ignored() -> None:
    # the last candle is still open at `now`: its close 100 would make a cross, but it does not count yet
    closed = series(["10", "10", "10", "11", "12"])
    with_open = series(["10", "10", "10", "11", "12", "1"])
    now = just_after_close(closed)
    assert with_open[-1].closed_at(int(now.timestamp() * 1000)) is False
    assert MA.evaluate(PARAMS, with_open, now) is None
    crossing_open = series(["10", "10", "10", "9", "12", "1"])
    signal = MA.evaluate(PARAMS, crossing_open, now)
    assert signal is not None and signal.signal_id == f"ma-2-3-1h-{T0 + 4 * H1.ms}"


def test_stale_or_short_or_gappy_data_decides_nothing() -> None:
    candles = series(["10", "10", "10", "9", "12"])
    two_hours_late = just_after_close(candles, H1.ms + 1)
    assert MA.evaluate(PARAMS, candles, two_hours_late) is None
    too_few = candles[-3:]
    assert MA.evaluate(PARAMS, too_few, just_after_close(too_few)) is None
    gappy = (*candles[:2], *candles[3:])
    assert MA.evaluate(PARAMS, gappy, just_after_close(gappy)) is None
    other_interval = series(["10", "10", "10", "9", "12"], interval=CandleInterval.M1)
    assert MA.evaluate(PARAMS, other_interval, just_after_close(candles)) is None


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"symbol": "BTCUSDT", "interval": "1h", "fast": 21, "slow": 9}, "params.fast", "less than slow"),
        ({"symbol": "BTCUSDT", "interval": "1h", "fast": 9, "slow": 9}, "params.fast", "less than slow"),
        ({"symbol": "BTCUSDT", "interval": "2h", "fast": 9, "slow": 21}, "params.interval", "not one"),
        ({"symbol": "BTC/USDT", "interval": "1h", "fast": 9, "slow": 21}, "params.symbol", "letters and digits"),
        ({"interval": "1h", "fast": 9, "slow": 21}, "params.symbol", "required"),
        ({"symbol": "BTCUSDT", "interval": "1h", "fast": "x", "slow": 21}, "params.fast", "whole number"),
        ({"symbol": "BTCUSDT", "interval": "1h", "fast": 9, "slow": 500}, "params.slow", "2 to 199"),
        ({"symbol": "BTCUSDT", "interval": "1h", "fast": True, "slow": 21}, "params.fast", "whole number"),
        ({"symbol": "BTCUSDT", "interval": "1h", "fast": 9, "slow": 21, "mode": "x"}, "params.mode", "not known"),
        ({"symbol": "BTCUSDT", "interval": "1h", "fast": 9, "slow": 21, "speed": 1}, "params.speed", "unknown"),
    ],
)
def test_bad_params_name_the_field(raw: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        MA.validate(raw)
    assert caught.value.field == field
    assert words in str(caught.value)
    assert caught.value.fix
