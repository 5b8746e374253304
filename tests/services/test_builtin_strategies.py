"""The built-in strategy runner on the in-process simulators: a loaded candle series that crosses gives exactly one
signal and one order per bot, however many times and by however many workers it is evaluated; a DCA slot orders
its target; an operator's published built-in strategy drives another user's bot; the catalog. SQLite and
PostgreSQL (the ``harness`` fixture)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from tradedock.domain import Candle, CandleInterval, ExchangeId
from tradedock.errors import InvalidInputError
from tradedock.services.accounts import AccountService
from tradedock.services.builtin_strategies import BuiltinStrategyRunner, builtin_catalog
from tradedock.services.strategies import StrategyService

from .bots_helpers import execute, link, running_bot, sim_orders, sim_positions, sim_state
from .conftest import Harness

#: SMA2 crosses above SMA3 on the last closed candle: before 59500 <= 59666.67, after 60500 > 60333.33.
CROSSING = ["60000", "60000", "60000", "59000", "62000"]
FLAT = ["60000"] * 5
MA = {"symbol": "BTCUSDT", "interval": "1h", "fast": 2, "slow": 3}


async def ma_strategy(harness: Harness, closes: list[str]) -> str:
    for exchange in (ExchangeId.BYBIT, ExchangeId.BITGET):
        await harness.controls[exchange].load_candles("BTCUSDT", "1h", closes)
    view = await StrategyService(harness.ctx).create_builtin("sma 2/3", "ma_crossover", MA)
    return view.id


async def test_a_cross_orders_once_per_bot_however_often_evaluated(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    bitget = await link(harness, ExchangeId.BITGET)
    strategy_id = await ma_strategy(harness, CROSSING)
    await running_bot(harness, bybit, strategy_id, value="300")
    await running_bot(harness, bitget, strategy_id, value="300")

    runner = BuiltinStrategyRunner(harness.ctx)
    first = await runner.run_round()
    assert (first.evaluated, first.signals, first.orders_created, first.failed) == (1, 1, 2, 0)
    assert (await runner.run_round()).evaluated == 0  # not due before the next candle closes

    other_worker = await BuiltinStrategyRunner(harness.ctx).run_round()
    assert (other_worker.evaluated, other_worker.signals, other_worker.already_emitted) == (1, 0, 1)

    await execute(harness)
    await execute(harness)
    for linked in (bybit, bitget):
        [order] = sim_orders(harness, linked)
        # 300 USDT at the mark, which loading the series set to its last close 62000: 0.00483 → lot 0.001
        assert (order.side.value, order.filled_qty) == ("buy", D("0.004"))
        assert [(p.size, p.long) for p in sim_positions(harness, linked)] == [(order.filled_qty, True)]
    [signal] = await StrategyService(harness.ctx).signals(strategy_id)
    assert signal.signal_id.startswith("ma-2-3-1h-") and signal.action.value == "long"


async def test_two_workers_at_once_make_one_signal(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id = await ma_strategy(harness, CROSSING)
    await running_bot(harness, bybit, strategy_id, value="300")
    rounds = await asyncio.gather(*(BuiltinStrategyRunner(harness.ctx).run_round() for _ in range(4)))
    assert sum(r.signals for r in rounds) == 1
    assert sum(r.already_emitted for r in rounds) == 3
    assert sum(r.failed for r in rounds) == 0
    await execute(harness)
    assert len(sim_orders(harness, bybit)) == 1


async def test_no_cross_no_signal(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    strategy_id = await ma_strategy(harness, FLAT)
    await running_bot(harness, bybit, strategy_id)
    result = await BuiltinStrategyRunner(harness.ctx).run_round()
    assert (result.evaluated, result.signals) == (1, 0)
    assert await StrategyService(harness.ctx).signals(strategy_id) == []


async def test_dca_slot_orders_its_target(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT, price="60000")
    now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    params = {"symbol": "BTCUSDT", "quote_amount": "300", "every_hours": 1, "max_orders": 3}
    params["start_at"] = hour.isoformat()
    view = await StrategyService(harness.ctx).create_builtin("dca", "dca", params)
    await running_bot(harness, bybit, view.id)
    result = await BuiltinStrategyRunner(harness.ctx).run_round()
    assert (result.signals, result.orders_created) == (1, 1)
    await execute(harness)
    [order] = sim_orders(harness, bybit)
    assert (order.side.value, order.filled_qty) == ("buy", D("0.005"))  # 300 / 60000


async def test_bad_params_are_refused_when_created(harness: Harness) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await StrategyService(harness.ctx).create_builtin("bad", "ma_crossover", {**MA, "fast": 5, "slow": 3})
    assert caught.value.field == "params.fast"


def test_catalog_lists_the_builtins_with_params() -> None:
    catalog = {entry.name: entry for entry in builtin_catalog()}
    assert list(catalog) == ["ma_crossover", "dca"]
    names = ["symbol", "quote_amount", "every_hours", "max_orders", "start_at"]
    assert [p.name for p in catalog["dca"].params] == names
    assert catalog["ma_crossover"].to_json()["params"][2] == {
        "name": "fast", "kind": "integer", "help": "Candles in the fast average.", "required": True,
        "default": None, "choices": [], "minimum": 1, "maximum": 198,
    }  # fmt: skip


async def test_an_operator_publishes_a_configured_builtin_that_drives_another_users_bot(harness: Harness) -> None:
    async with harness.ctx.transaction() as session:
        await AccountService(session, harness.ctx.clock).create_user("ops@example.com", None, is_operator=True)
    operator = StrategyService(harness.ctx, "ops@example.com")
    for exchange in (ExchangeId.BYBIT, ExchangeId.BITGET):
        await harness.controls[exchange].load_candles("BTCUSDT", "1h", CROSSING)
    created = await operator.create_builtin("SMA 2/3 BTC hourly", "ma_crossover", MA)
    published = await operator.publish(created.id)
    assert published.visibility.value == "public"

    bybit = await link(harness, ExchangeId.BYBIT)  # the local user's connection and bot
    await running_bot(harness, bybit, created.id, value="300")
    result = await BuiltinStrategyRunner(harness.ctx).run_round()
    assert (result.signals, result.orders_created) == (1, 1)
    await execute(harness)
    [order] = sim_orders(harness, bybit)
    assert order.side.value == "buy"


async def test_strategies_on_one_market_share_one_read_per_round(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    first = await ma_strategy(harness, CROSSING)
    other = await StrategyService(harness.ctx).create_builtin("sma 1/4", "ma_crossover", {**MA, "fast": 1, "slow": 4})
    second = other.id
    other_account = await link(harness, ExchangeId.BYBIT)  # one running bot per symbol and connection
    await running_bot(harness, bybit, first, value="300")
    await running_bot(harness, other_account, second, value="300")
    state = sim_state(harness, ExchangeId.BYBIT)
    before = [r for r in state.requests if r.path == "/v5/market/kline"]
    result = await BuiltinStrategyRunner(harness.ctx).run_round()
    reads = [r for r in state.requests if r.path == "/v5/market/kline"][len(before) :]
    assert result.evaluated == 2 and result.failed == 0
    assert len(reads) == 1 and "limit=6" in reads[0].query  # the larger need: slow 4 + 2


async def test_one_market_failing_does_not_stop_the_others(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT)
    bitget = await link(harness, ExchangeId.BITGET)
    on_bybit = await ma_strategy(harness, CROSSING)
    on_bitget = (await StrategyService(harness.ctx).create_builtin("sma b", "ma_crossover", MA)).id
    await running_bot(harness, bybit, on_bybit, value="300")
    await running_bot(harness, bitget, on_bitget, value="300")
    await harness.controls[ExchangeId.BITGET].set_faults(error="http_500", paths=["/api/v2/mix/market/candles"])
    runner = BuiltinStrategyRunner(harness.ctx, retry_s=0)
    first = await runner.run_round()
    assert (first.evaluated, first.signals, first.failed) == (1, 1, 1)
    await harness.controls[ExchangeId.BITGET].set_faults()
    second = await runner.run_round()  # retried at once (retry_s=0); Bybit's strategy is not due again
    assert (second.evaluated, second.signals, second.failed) == (1, 1, 0)
    assert len(await StrategyService(harness.ctx).signals(on_bitget)) == 1


def test_pacing_waits_for_the_next_candle_unless_the_exchange_lags() -> None:
    runner = BuiltinStrategyRunner(SimpleNamespace(), grace_s=2, retry_s=10)  # type: ignore[arg-type]
    hour = CandleInterval.H1
    now = datetime(2026, 12, 1, 10, 20, tzinfo=UTC)
    now_ms = int(now.timestamp() * 1000)
    current = now_ms - now_ms % hour.ms

    def upto(open_ms: int) -> tuple[Candle, ...]:
        return tuple(Candle(open_ms - i * hour.ms, hour, D(1), D(1), D(1), D(1), D(0)) for i in range(3))

    assert runner._next_due(upto(current), hour, now) == current + hour.ms + 2_000
    assert runner._next_due(upto(current - hour.ms), hour, now) == now_ms + 10_000  # the open candle is missing
    assert runner._next_due((), hour, now) == now_ms + 10_000
