"""The shared matching engine on its own: rules, fills, positions, margin and fees, with a controllable clock."""

from __future__ import annotations

import itertools
from decimal import Decimal as D

import pytest

from tradedock_sim.core.engine import Engine
from tradedock_sim.core.orders import (
    Instrument,
    OrderRequest,
    OrderStatus,
    PositionSide,
    Reject,
    Side,
    TradeRejected,
)
from tradedock_sim.core.state import Account

BTC = Instrument(
    "BTCUSDT", "BTC", "USDT", "USDT", "W", D("0.1"), D("0.001"), D("0.001"), D("100"), D("5"), D("100"), D("60000")
)
ETH = Instrument(
    "ETHUSDT", "ETH", "USDT", "USDT", "W", D("0.01"), D("0.01"), D("0.01"), D("1000"), D("50"), D("50"), D("3000")
)


class Clock:
    def __init__(self) -> None:
        self.ms = 1_000_000

    def __call__(self) -> int:
        return self.ms


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(clock: Clock) -> Engine:
    ids = itertools.count(1)
    return Engine.build([BTC, ETH], clock, lambda: f"id{next(ids)}")


UIDS = itertools.count(1)


def account(usdt: str = "1000", **fields: object) -> Account:
    return Account(uid=str(next(UIDS)), balances={"W": {"USDT": D(usdt)}}, **fields)  # type: ignore[arg-type]


def buy(qty: str, price: str | None = None, **fields: object) -> OrderRequest:
    kind = "limit" if price else "market"
    return OrderRequest("BTCUSDT", Side.BUY, kind, D(qty), D(price) if price else None, **fields)  # type: ignore[arg-type]


def sell(qty: str, price: str | None = None, **fields: object) -> OrderRequest:
    kind = "limit" if price else "market"
    return OrderRequest("BTCUSDT", Side.SELL, kind, D(qty), D(price) if price else None, **fields)  # type: ignore[arg-type]


def refusal(engine: Engine, acct: Account, request: OrderRequest, *, hedge: bool = False) -> Reject:
    with pytest.raises(TradeRejected) as caught:
        engine.place(acct, request, hedge=hedge)
    return caught.value.reason


def test_market_order_fills_at_mark_with_taker_fee(engine: Engine) -> None:
    acct = account()
    order = engine.place(acct, buy("0.01"), hedge=False)
    assert (order.status, order.avg_price, order.fee) == (OrderStatus.FILLED, D("60000"), D("0.33"))
    [pos] = engine.positions(acct)
    assert (pos.side, pos.size, pos.entry_price, pos.long) == (PositionSide.NET, D("0.01"), D("60000"), True)
    assert acct.balances["W"]["USDT"] == D("999.67")


def test_rules_before_anything_is_stored(engine: Engine) -> None:
    acct = account("100")
    assert refusal(engine, acct, buy("0.0005")) is Reject.QTY_TOO_SMALL
    assert refusal(engine, acct, buy("0.0015")) is Reject.QTY_STEP
    assert refusal(engine, acct, buy("101")) is Reject.QTY_TOO_LARGE
    assert refusal(engine, acct, buy("0.001", "59000.05")) is Reject.PRICE_TICK
    # 0.01 ETH at 3000 is 30 USDT, below this instrument's 50.
    assert refusal(engine, acct, OrderRequest("ETHUSDT", Side.BUY, "market", D("0.01"))) is Reject.MIN_NOTIONAL
    # 0.2 BTC at 10x needs 1200 USDT of margin: the account has 100.
    assert refusal(engine, acct, buy("0.2")) is Reject.INSUFFICIENT_MARGIN
    assert refusal(engine, acct, sell("0.001", reduce_only=True)) is Reject.REDUCE_ONLY
    assert refusal(engine, acct, buy("0.001"), hedge=True) is Reject.POSITION_SIDE
    assert engine.orders(acct, open_only=False) == []
    assert acct.balances["W"]["USDT"] == D("100")


def test_margin_boundary_counts_fee_and_resting_orders(engine: Engine) -> None:
    # 0.01 BTC at 60000 and 10x: 60 USDT margin + 0.33 taker fee.
    assert refusal(engine, account("60.32"), buy("0.01")) is Reject.INSUFFICIENT_MARGIN
    engine.place(account("60.33"), buy("0.01"), hedge=False)
    acct = account("100")
    engine.place(acct, buy("0.01", "50000"), hedge=False)  # holds 50 USDT
    assert refusal(engine, acct, buy("0.01")) is Reject.INSUFFICIENT_MARGIN


def test_duplicate_client_id_even_after_the_first_finished(engine: Engine) -> None:
    acct = account()
    first = engine.place(acct, buy("0.001", client_id="a"), hedge=False)
    assert first.status is OrderStatus.FILLED
    assert refusal(engine, acct, buy("0.001", client_id="a")) is Reject.DUPLICATE_CLIENT_ID
    assert engine.find(acct, client_id="a") is first


def test_limit_rests_then_fills_as_maker_when_the_path_crosses(engine: Engine, clock: Clock) -> None:
    acct = account()
    order = engine.place(acct, buy("0.01", "59000"), hedge=False)
    assert order.status is OrderStatus.NEW
    engine.set_path("BTCUSDT", [(0, D("60000")), (100, D("58950")), (200, D("60200"))])
    clock.ms += 300  # the dip came and went between two looks
    assert engine.orders(acct) == []
    assert (order.status, order.avg_price, order.fee) == (OrderStatus.FILLED, D("59000"), D("0.118"))
    assert engine.fills(acct)[0].maker is True


def test_post_only_that_would_take_is_cancelled_and_ioc_does_not_rest(engine: Engine) -> None:
    acct = account()
    post = engine.place(acct, buy("0.001", "61000", time_in_force="POST_ONLY"), hedge=False)
    assert (post.status, post.cancel_reason, post.filled_qty) == (OrderStatus.CANCELLED, "post_only_would_take", 0)
    ioc = engine.place(acct, buy("0.001", "59000", time_in_force="IOC"), hedge=False)
    assert ioc.status is OrderStatus.CANCELLED
    crossing = engine.place(acct, buy("0.001", "61000"), hedge=False)
    assert (crossing.status, crossing.avg_price) == (OrderStatus.FILLED, D("60000"))  # better price, taker


def test_one_way_flip_realises_pnl(engine: Engine) -> None:
    acct = account()
    engine.taker_fee = D(0)
    engine.place(acct, buy("0.01"), hedge=False)
    engine.set_path("BTCUSDT", [(0, D("61000"))])
    engine.place(acct, sell("0.03"), hedge=False)
    [pos] = engine.positions(acct)
    assert (pos.long, pos.size, pos.entry_price) == (False, D("0.02"), D("61000"))
    assert acct.balances["W"]["USDT"] == D("1010")


def test_reduce_only_is_cut_to_the_position_and_cancelled_with_it(engine: Engine) -> None:
    acct = account()
    engine.place(acct, buy("0.01"), hedge=False)
    resting = engine.place(acct, sell("0.05", "70000", reduce_only=True), hedge=False)
    assert resting.qty == D("0.01")
    engine.place(acct, sell("0.01"), hedge=False)
    assert (resting.status, resting.cancel_reason) == (OrderStatus.CANCELLED, "reduce_only")


def test_hedge_legs_are_separate(engine: Engine) -> None:
    acct = account(position_mode="hedge")
    engine.place(acct, buy("0.01", position_side=PositionSide.LONG), hedge=True)
    engine.place(acct, sell("0.02", position_side=PositionSide.SHORT), hedge=True)
    legs = {p.side: (p.size, p.long) for p in engine.positions(acct)}
    assert legs == {PositionSide.LONG: (D("0.01"), True), PositionSide.SHORT: (D("0.02"), False)}
    # Selling on the long leg closes it (and never opens a short there).
    closing = engine.place(acct, sell("0.05", position_side=PositionSide.LONG), hedge=True)
    assert closing.filled_qty == D("0.01")
    assert [p.side for p in engine.positions(acct)] == [PositionSide.SHORT]


def test_amend_cancel_and_leverage(engine: Engine) -> None:
    acct = account()
    order = engine.place(acct, buy("0.01", "50000"), hedge=False)
    engine.amend(acct, order, qty=D("0.02"), price=D("50500"))
    assert (order.qty, order.price) == (D("0.02"), D("50500"))
    engine.amend(acct, order, price=D("60000"))  # now crosses: fills
    assert order.status is OrderStatus.FILLED
    with pytest.raises(TradeRejected) as finished:
        engine.cancel(acct, order)
    assert finished.value.reason is Reject.ORDER_FINISHED
    engine.set_leverage(acct, "BTCUSDT", D(25))
    with pytest.raises(TradeRejected) as same:
        engine.set_leverage(acct, "BTCUSDT", D(25))
    assert same.value.reason is Reject.LEVERAGE_NOT_MODIFIED
    with pytest.raises(TradeRejected) as too_high:
        engine.set_leverage(acct, "ETHUSDT", D(51))
    assert too_high.value.reason is Reject.LEVERAGE_INVALID


def test_flags_become_a_real_position_and_order(engine: Engine) -> None:
    acct = account(open_positions=True, open_orders=True)
    assert engine.has_exposure(acct) == (True, True)
    [pos] = engine.positions(acct)
    assert (pos.symbol, pos.size) == ("BTCUSDT", D("0.01"))
