"""ccxt 4.5 trades USDT-M perpetuals against the Bitget simulator over real loopback: orders, positions, leverage,
position mode, and the exception classes of the simulator's refusals. ccxt's parsers judge the answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ccxt
import httpx
import pytest

from tradedock_sim.server import BackgroundSims

BTC = "BTC/USDT:USDT"
FUTURES = ["coow", "cpow", "stor"]  # futures orders + holdings read-write, spot read (ccxt's load_markets)


@pytest.fixture
def base(sim_servers: Callable[..., BackgroundSims]) -> str:
    return sim_servers("bitget").urls["bitget"]


def key(base: str, usdt: str = "1000", permissions: list[str] | None = None, **account: Any) -> dict[str, str]:
    with httpx.Client(base_url=base) as client:
        payload = {"account_mode": "classic", "balances": {"USDT-FUTURES": {"USDT": usdt}}, **account}
        uid = client.post("/_sim/accounts", json=payload).json()["uid"]
        minted = client.post("/_sim/keys", json={"uid": uid, "permissions": permissions or FUTURES}).json()
    return {name: minted[name] for name in ("api_key", "secret", "passphrase")}


def exchange(base: str, credentials: dict[str, str]) -> Any:
    client = ccxt.bitget(
        {
            "apiKey": credentials["api_key"],
            "secret": credentials["secret"],
            "password": credentials["passphrase"],
            "enableRateLimit": False,
            "options": {"defaultType": "swap"},
        }
    )
    client.urls["api"] = dict.fromkeys(client.urls["api"], base)
    return client


def test_order_lifecycle_position_and_leverage(base: str) -> None:
    bitget = exchange(base, key(base))
    bitget.set_leverage(5, BTC, {"marginMode": "cross"})
    order = bitget.create_order(BTC, "limit", "buy", 0.002, 60000, {"clientOrderId": "cc-1"})
    [listed] = bitget.fetch_open_orders(BTC)
    assert (listed["id"], listed["clientOrderId"], listed["price"], listed["amount"], listed["status"]) == (
        order["id"],
        "cc-1",
        60000.0,
        0.002,
        "open",
    )
    bitget.cancel_order(order["id"], BTC)
    assert bitget.fetch_open_orders(BTC) == []
    bitget.create_order(BTC, "market", "buy", 0.01)
    [position] = bitget.fetch_positions([BTC])
    assert (position["side"], position["contracts"], position["entryPrice"], position["leverage"]) == (
        "long",
        0.01,
        65000.0,
        5.0,
    )
    with pytest.raises(ccxt.ExchangeError):  # 40920: an open position blocks the switch
        bitget.set_position_mode(True, BTC)
    bitget.create_order(BTC, "market", "sell", 0.01, None, {"reduceOnly": True})
    assert bitget.fetch_positions([BTC]) == []
    bitget.set_position_mode(True, BTC)
    bitget.create_order(BTC, "market", "sell", 0.002, None, {"hedged": True})
    [short] = bitget.fetch_positions([BTC])
    assert (short["side"], short["contracts"], short["hedged"]) == ("short", 0.002, True)


def test_limit_order_fills_when_the_price_crosses(base: str) -> None:
    bitget = exchange(base, key(base))
    order = bitget.create_order(BTC, "limit", "sell", 0.001, 66000)
    httpx.post(f"{base}/_sim/prices", json={"symbol": "BTCUSDT", "price": "66500"})
    fetched = bitget.fetch_order(order["id"], BTC)
    assert (fetched["status"], fetched["filled"], fetched["average"]) == ("closed", 0.001, 66000.0)


def test_exception_classes(base: str) -> None:
    read_only = exchange(base, key(base, permissions=["cpor", "coor", "stor"]))
    with pytest.raises(ccxt.PermissionDenied):  # 40014
        read_only.create_order(BTC, "market", "buy", 0.001)
    bitget = exchange(base, key(base, usdt="100"))
    with pytest.raises(ccxt.InvalidOrder):  # 45110: 0.001 ETH at 3200 is below 5 USDT
        bitget.create_order("ETH/USDT:USDT", "market", "buy", 0.001)
    with pytest.raises(ccxt.InsufficientFunds):  # 40762
        bitget.create_order(BTC, "market", "buy", 0.1)
    with pytest.raises(ccxt.OrderNotFound):  # 40768
        bitget.cancel_order("1234567890123456789", BTC)
