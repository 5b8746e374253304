"""DCA schedule: one signal per slot with a cumulative target, deterministic ids, the schedule's ends, params."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradedock.domain import Candle, CandleInterval
from tradedock.errors import InvalidInputError
from tradedock.strategies.base import Action
from tradedock.strategies.catalog import BUILTINS, describe, get_builtin

H4 = CandleInterval.H4
START = datetime(2026, 12, 1, 8, tzinfo=UTC)
START_MS = int(START.timestamp() * 1000)
DCA = get_builtin("dca")
PARAMS = DCA.validate(
    {"symbol": "ETHUSDT", "quote_amount": "100", "every_hours": 4, "max_orders": 3, "start_at": "2026-12-01T08:00:00Z"}
)


def candles(opens: list[str]) -> tuple[Candle, ...]:
    return tuple(
        Candle(START_MS + i * H4.ms, H4, Decimal(o), Decimal(o), Decimal(o), Decimal(o), Decimal(0))
        for i, o in enumerate(opens)
    )


def at(hours: float) -> datetime:
    return datetime.fromtimestamp(START_MS / 1000 + hours * 3600, UTC)


def test_params_are_normalised() -> None:
    assert PARAMS == {
        "symbol": "ETHUSDT",
        "quote_amount": "100",
        "every_hours": 4,
        "max_orders": 3,
        "start_at": "2026-12-01T08:00:00Z",
    }
    assert DCA.interval(PARAMS) is H4
    assert DCA.candles_needed(PARAMS) == 4


def test_each_slot_targets_the_sum_of_its_buys() -> None:
    data = candles(["2000", "2500", "4000"])
    first = DCA.evaluate(PARAMS, data[:1], at(0.1))
    assert first is not None
    assert (first.action, first.size, first.signal_id) == (Action.LONG, Decimal("0.05"), f"dca-{START_MS}")
    second = DCA.evaluate(PARAMS, data[:2], at(4.5))
    assert second is not None
    assert second.size == Decimal("0.09")  # 100/2000 + 100/2500
    third = DCA.evaluate(PARAMS, data, at(11.9))
    assert third is not None
    assert third.size == Decimal("0.115")  # + 100/4000
    assert third.signal_id == f"dca-{START_MS + 2 * H4.ms}"


def test_same_slot_same_id_and_target() -> None:
    data = candles(["2000", "2500"])
    a, b = DCA.evaluate(PARAMS, data, at(4.0)), DCA.evaluate(PARAMS, data, at(7.99))
    assert a == DCA.evaluate(PARAMS, data, at(4.0))
    assert a is not None and b is not None and (a.signal_id, a.size) == (b.signal_id, b.size)


def test_nothing_before_the_start_after_the_last_buy_or_with_a_slot_missing() -> None:
    data = candles(["2000", "2500", "4000", "3000"])
    assert DCA.evaluate(PARAMS, data, at(-0.01)) is None
    assert DCA.evaluate(PARAMS, data, at(12.0)) is None  # slot 3 of max 3 buys (0, 1, 2): done
    assert DCA.evaluate(PARAMS, data[1:], at(5)) is None  # slot 0's price not in the data


def test_target_rounds_down_to_eight_decimals() -> None:
    signal = DCA.evaluate(PARAMS, candles(["3"]), at(1))
    assert signal is not None and signal.size == Decimal("33.33333333")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quote_amount": "0"}, "params.quote_amount"),
        ({"quote_amount": "abc"}, "params.quote_amount"),
        ({"every_hours": 5}, "params.every_hours"),
        ({"max_orders": 0}, "params.max_orders"),
        ({"start_at": "2026-12-01T09:00:00Z"}, "params.start_at"),  # 09:00 is not a 4h candle start
        ({"start_at": "2026-12-01T08:00:00"}, "params.start_at"),  # no time zone
        ({"start_at": "tomorrow"}, "params.start_at"),
    ],
)
def test_bad_params_name_the_field(change: dict[str, object], field: str) -> None:
    raw = {**PARAMS, **change}
    with pytest.raises(InvalidInputError) as caught:
        DCA.validate(raw)
    assert caught.value.field == field


def test_catalog_lists_both_with_params() -> None:
    names = [entry["name"] for entry in describe()]
    assert names == list(BUILTINS) == ["ma_crossover", "dca"]
    ma = describe()[0]
    assert [p["name"] for p in ma["params"]] == ["symbol", "interval", "fast", "slow", "mode"]
    assert "1h" in ma["params"][1]["choices"]
    with pytest.raises(InvalidInputError) as caught:
        get_builtin("rsi")
    assert caught.value.field == "builtin"
