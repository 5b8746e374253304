"""ccxt 4.5 trades Aster perpetuals against the simulator over real loopback (under the `main_wallet_signer=accept`
reading, ccxt's only credential model): orders, positions, leverage, position mode, exception classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ccxt
import httpx
import pytest
from eth_account import Account

from tradedock_sim.server import BackgroundSims

BTC = "BTC/USDT:USDT"


@pytest.fixture
def sim(sim_servers: Callable[..., BackgroundSims]) -> str:
    base = sim_servers("aster").urls["aster"]
    httpx.post(f"{base}/_sim/config", json={"rules": {"main_wallet_signer": "accept"}}).raise_for_status()
    return base


def trader(base: str, usdt: str = "1000") -> Any:
    wallet = Account.create()
    answer = httpx.post(f"{base}/_sim/accounts", json={"uid": wallet.address, "balances": {"futures": {"USDT": usdt}}})
    answer.raise_for_status()
    exchange = ccxt.aster({"privateKey": wallet.key.hex(), "timeout": 10_000, "options": {"defaultType": "swap"}})
    exchange.urls["api"] = {
        name: base + url.removeprefix("https://fapi.asterdex.com").removeprefix("https://sapi.asterdex.com")
        for name, url in exchange.urls["api"].items()
    }
    return exchange


def test_order_lifecycle_positions_and_settings(sim: str) -> None:
    aster = trader(sim)
    aster.set_leverage(5, BTC)
    order = aster.create_order(BTC, "limit", "buy", 0.002, 60000, {"clientOrderId": "as-1"})
    [listed] = aster.fetch_open_orders(BTC)
    assert (listed["id"], listed["clientOrderId"], listed["price"], listed["amount"], listed["status"]) == (
        order["id"],
        "as-1",
        60000.0,
        0.002,
        "open",
    )
    cancelled = aster.cancel_order(order["id"], BTC)
    assert cancelled["status"] == "canceled"
    assert aster.fetch_open_orders(BTC) == []
    filled = aster.create_order(BTC, "market", "buy", 0.01)
    assert (filled["status"], filled["filled"], filled["average"]) == ("closed", 0.01, 65000.0)
    positions = [p for p in aster.fetch_positions([BTC]) if p["contracts"]]
    assert [(p["side"], p["contracts"], p["entryPrice"], p["leverage"]) for p in positions] == [
        ("long", 0.01, 65000.0, 5)
    ]
    with pytest.raises(ccxt.OperationRejected):  # -4068: an open position blocks the switch
        aster.set_position_mode(True)
    aster.create_order(BTC, "market", "sell", 0.01, None, {"reduceOnly": True})
    aster.set_position_mode(True)
    aster.create_order(BTC, "market", "sell", 0.002, None, {"positionSide": "SHORT"})
    positions = [p for p in aster.fetch_positions([BTC]) if p["contracts"]]
    assert [(p["side"], p["contracts"]) for p in positions] == [("short", 0.002)]


def test_exception_classes(sim: str) -> None:
    aster = trader(sim, usdt="100")
    with pytest.raises(ccxt.InvalidOrder):  # -4164: 0.001 ETH at 3200 is below 5 USDT
        aster.create_order("ETH/USDT:USDT", "market", "buy", 0.001)
    with pytest.raises(ccxt.InsufficientFunds):  # -2019
        aster.create_order(BTC, "market", "buy", 0.1)
    with pytest.raises(ccxt.OrderNotFound):  # -2013
        aster.cancel_order("123456", BTC)
