"""ccxt 4.5 (an independent client that speaks each exchange's real kline format) reads the simulators' candles:
the loaded series comes back with the right times, field order and values on Bybit, Bitget and Aster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ccxt
import httpx
import pytest

from tradedock_sim.server import BackgroundSims

CLOSES = ["100", "101", "103", "102"]
OFFICIAL = ("https://fapi.asterdex.com", "https://sapi.asterdex.com")


def client(name: str, base: str) -> Any:
    exchange = getattr(ccxt, name)({"timeout": 10_000, "options": {"defaultType": "swap"}})
    if name == "aster":
        exchange.urls["api"] = {
            key: base + url.removeprefix(OFFICIAL[0]).removeprefix(OFFICIAL[1])
            for key, url in exchange.urls["api"].items()
        }
    else:
        exchange.urls["api"] = dict.fromkeys(exchange.urls["api"], base)
    return exchange


@pytest.mark.parametrize("name", ["bybit", "bitget", "aster"])
def test_ccxt_fetch_ohlcv_reads_the_loaded_series(sim_servers: Callable[..., BackgroundSims], name: str) -> None:
    base = sim_servers(name).urls[name]
    answer = httpx.post(f"{base}/_sim/candles", json={"symbol": "BTCUSDT", "interval": "1h", "closes": CLOSES})
    loaded = answer.json()
    rows = client(name, base).fetch_ohlcv("BTC/USDT:USDT", "1h", limit=5)
    # [time, open, high, low, close, volume], oldest first; the last one is the candle open now (mark = 102)
    assert [r[0] for r in rows] == [loaded["first_open_time"] + i * 3_600_000 for i in range(5)]
    assert [r[4] for r in rows] == [100.0, 101.0, 103.0, 102.0, 102.0]
    assert rows[2][1:5] == [101.0, 103.0, 101.0, 103.0]
