"""A webhook strategy drives two bots (Bybit fixed quote, Bitget % of balance) on the in-process simulators:
a long then a close signal give the right orders, positions and PnL on the simulators and in the service views.
SQLite and PostgreSQL (the ``harness`` fixture)."""

from __future__ import annotations

from decimal import Decimal as D

from tradedock.domain import ExchangeId, OrderSide, OrderStatus, OrderType
from tradedock.domain import OrderState as ExchangeOrder
from tradedock.exchanges.aster.trading import order_fee
from tradedock.services.bot_views import BotState, OrderState, SizingKind
from tradedock.services.bots import BotService

from .bots_helpers import execute, link, running_bot, signal, sim_orders, sim_positions, sim_realised, webhook_strategy
from .conftest import Harness


async def test_long_then_close_on_two_exchanges(harness: Harness) -> None:
    bybit = await link(harness, ExchangeId.BYBIT, fees=True)
    bitget = await link(harness, ExchangeId.BITGET, fees=True)
    strategy_id, secret = await webhook_strategy(harness)
    # Bybit: 300 USDT a position (0.005 BTC at 60000); Bitget: 50 % of its 200 USDT = 100 USDT → 0.001 BTC.
    bot_a = await running_bot(harness, bybit, strategy_id, kind=SizingKind.FIXED_QUOTE, value="300")
    bot_b = await running_bot(harness, bitget, strategy_id, kind=SizingKind.BALANCE_PCT, value="50")

    accepted = await signal(harness, strategy_id, secret, "tv-1", "long")
    assert (accepted.orders_created, accepted.bots_skipped) == (2, 0)
    assert sim_orders(harness, bybit) == [] and sim_orders(harness, bitget) == []  # nothing before a worker runs

    first = await execute(harness)
    assert (first.sent, first.rejected, first.failed) == (2, 0, 0)
    [long_a] = sim_orders(harness, bybit)
    [long_b] = sim_orders(harness, bitget)
    assert (long_a.side.value, long_a.qty, long_a.filled_qty) == ("buy", D("0.005"), D("0.005"))
    assert (long_b.side.value, long_b.qty, long_b.filled_qty) == ("buy", D("0.001"), D("0.001"))
    assert [(p.size, p.long) for p in sim_positions(harness, bybit)] == [(D("0.005"), True)]
    assert [(p.size, p.long) for p in sim_positions(harness, bitget)] == [(D("0.001"), True)]

    service = BotService(harness.ctx)
    detail = await service.get(bot_a)
    [order] = detail.orders
    assert order.state is OrderState.FILLED and order.client_order_id == long_a.client_id
    assert (order.exchange_order_id, order.filled_qty, order.avg_price) == (long_a.order_id, D("0.005"), D(60000))
    [position] = detail.bot.positions
    assert (position.symbol, position.qty, position.entry_price) == ("BTCUSDT", D("0.005"), D(60000))

    # The price rises 1000; the close signal flattens both with reduce-only sells.
    await harness.controls[ExchangeId.BYBIT].set_price("BTCUSDT", "61000")
    await harness.controls[ExchangeId.BITGET].set_price("BTCUSDT", "61000")
    assert (await signal(harness, strategy_id, secret, "tv-2", "close")).orders_created == 2
    second = await execute(harness)
    assert second.sent == 2
    [closing_a] = [o for o in sim_orders(harness, bybit) if o.order_id != long_a.order_id]
    [closing_b] = [o for o in sim_orders(harness, bitget) if o.order_id != long_b.order_id]
    assert (closing_a.side.value, closing_a.qty, closing_a.reduce_only) == ("sell", D("0.005"), True)
    assert (closing_b.side.value, closing_b.qty, closing_b.reduce_only) == ("sell", D("0.001"), True)
    assert sim_positions(harness, bybit) == [] and sim_positions(harness, bitget) == []
    assert len(sim_orders(harness, bybit)) == 2 and len(sim_orders(harness, bitget)) == 2

    view_a, view_b = (await service.get(bot_a)).bot, (await service.get(bot_b)).bot
    assert view_a.positions == [] and view_b.positions == []
    # 0.005 × 1000 and 0.001 × 1000, less the taker fees the exchanges charged (0.055 % of each fill's value)
    fees_a = (D("0.005") * 60000 + D("0.005") * 61000) * D("0.00055")
    fees_b = (D("0.001") * 60000 + D("0.001") * 61000) * D("0.00055")
    assert (view_a.fees_paid, view_b.fees_paid) == (fees_a.quantize(D("0.00000001")), fees_b.quantize(D("0.00000001")))
    assert view_a.realized_pnl == D("5") - view_a.fees_paid == sim_realised(harness, bybit)
    assert view_b.realized_pnl == D("1") - view_b.fees_paid == sim_realised(harness, bitget)
    assert view_a.state is BotState.RUNNING
    kinds = [e.type for e in (await service.get(bot_a)).events]
    assert kinds.count("bot.order_done") == 2 and "bot.state_changed" in kinds

    # A third round has nothing to do: no order is sent twice.
    third = await execute(harness)
    assert third.sent == 0 and len(sim_orders(harness, bybit)) == 2


async def test_aster_bot_long_then_close(harness: Harness) -> None:
    """Aster's order answers carry no fee: the bot reads each filled order's trades (Account Trade List) for it,
    so the PnL is net of fees as on the other exchanges."""
    aster = await link(harness, ExchangeId.ASTER, fees=True)
    strategy_id, secret = await webhook_strategy(harness)
    bot_id = await running_bot(harness, aster, strategy_id, kind=SizingKind.FIXED_QUOTE, value="300")
    await signal(harness, strategy_id, secret, "a-1", "long")
    assert (await execute(harness)).sent == 1
    assert [(p.size, p.long) for p in sim_positions(harness, aster)] == [(D("0.005"), True)]
    await harness.controls[ExchangeId.ASTER].set_price("BTCUSDT", "59000")
    await signal(harness, strategy_id, secret, "a-2", "close")
    assert (await execute(harness)).sent == 1
    assert sim_positions(harness, aster) == []
    view = (await BotService(harness.ctx).get(bot_id)).bot
    fees = (D("0.005") * 60000 + D("0.005") * 59000) * D("0.00055")  # the taker fee on each fill's value
    assert view.fees_paid == fees.quantize(D("0.00000001"))
    assert view.realized_pnl == D("-5") - view.fees_paid == sim_realised(harness, aster)


async def test_an_aster_fee_that_cannot_be_read_leaves_the_order_and_the_pnl_gross(harness: Harness) -> None:
    """The trades lookup follows an order that was placed: its failure never fails (or repeats) the order."""
    aster = await link(harness, ExchangeId.ASTER, fees=True)
    strategy_id, secret = await webhook_strategy(harness)
    bot_id = await running_bot(harness, aster, strategy_id, kind=SizingKind.FIXED_QUOTE, value="300")
    await harness.controls[ExchangeId.ASTER].set_faults(error="http_500", paths=["/fapi/v3/userTrades"])
    await signal(harness, strategy_id, secret, "a-1", "long")
    assert (await execute(harness)).sent == 1
    assert len(sim_orders(harness, aster)) == 1 and [p.size for p in sim_positions(harness, aster)] == [D("0.005")]
    view = (await BotService(harness.ctx).get(bot_id)).bot
    assert view.fees_paid == 0


def test_an_aster_fee_counts_only_the_orders_trades_in_its_quote_coin() -> None:
    state = ExchangeOrder(
        order_id="7", client_order_id="c", symbol="BTCUSDT", side=OrderSide.BUY, order_type=OrderType.MARKET,
        status=OrderStatus.FILLED, qty=D("2"), filled_qty=D("2"),
    )  # fmt: skip
    mine = [{"orderId": 7, "commission": "0.1", "commissionAsset": "USDT"}] * 2
    other = {"orderId": 8, "commission": "9", "commissionAsset": "USDT"}
    assert order_fee([*mine, other], state) == D("0.2")
    assert order_fee([*mine, {"orderId": 7, "commission": "1", "commissionAsset": "BNB"}], state) is None
    assert order_fee({"code": -1000}, state) is None
