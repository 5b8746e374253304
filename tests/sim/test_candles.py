"""Simulated klines: each exchange's wire format (order, fields, limits, errors), the candle history from the price
path, and the `POST /_sim/candles` control API."""

from __future__ import annotations

import httpx
import pytest

from tradedock_sim.client import SimControl, SimControlError

H = 3_600_000


async def load(client: httpx.AsyncClient, closes: list[str], symbol: str = "BTCUSDT") -> dict[str, int]:
    return await SimControl(client).load_candles(symbol, "1h", closes)


async def test_bybit_kline_is_newest_first_with_seven_strings(sim_client) -> None:
    client = await sim_client("bybit")
    loaded = await load(client, ["100", "90", "95"])
    body = (
        await client.get(
            "/v5/market/kline", params={"category": "linear", "symbol": "BTCUSDT", "interval": "60", "limit": "4"}
        )
    ).json()
    assert body["retCode"] == 0 and body["result"]["category"] == "linear"
    rows = body["result"]["list"]
    assert [int(r[0]) for r in rows] == [loaded["last_open_time"] + H - i * H for i in range(4)]
    assert all(len(r) == 7 and all(isinstance(v, str) for v in r) for r in rows)
    # [start, open, high, low, close, volume, turnover]: the loaded candle "90" opened at the previous close 100
    assert rows[2][1:5] == ["100", "100", "90", "90"]
    assert rows[0][4] == "95"  # the open candle: the mark, which loading set to the last close


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"category": "linear", "symbol": "BTCUSDT", "interval": "2"}, "params error: intervalTime is invalid"),
        ({"category": "linear", "symbol": "NOPE", "interval": "60"}, "Not supported symbols"),
        ({"category": "option", "symbol": "BTCUSDT", "interval": "60"}, "params error: category invalid"),
        ({"category": "linear", "symbol": "BTCUSDT", "interval": "60", "limit": "0"}, "params error"),
    ],
)
async def test_bybit_kline_refusals(sim_client, params: dict[str, str], message: str) -> None:
    client = await sim_client("bybit")
    body = (await client.get("/v5/market/kline", params=params)).json()
    assert (body["retCode"], body["retMsg"]) == (10001, message)


async def test_bybit_kline_limit_defaults_to_200_and_caps_there(sim_client) -> None:
    client = await sim_client("bybit")
    base = {"category": "linear", "symbol": "BTCUSDT", "interval": "1"}
    assert len((await client.get("/v5/market/kline", params=base)).json()["result"]["list"]) == 200
    capped = (await client.get("/v5/market/kline", params={**base, "limit": "1000"})).json()
    assert len(capped["result"]["list"]) == 200


async def test_bitget_candles_oldest_first_and_errors(sim_client) -> None:
    client = await sim_client("bitget")
    loaded = await load(client, ["10", "12"], "ETHUSDT")
    params = {"symbol": "ETHUSDT", "productType": "usdt-futures", "granularity": "1H", "limit": "3"}
    body = (await client.get("/api/v2/mix/market/candles", params=params)).json()
    assert body["code"] == "00000"
    assert [int(r[0]) for r in body["data"]] == [loaded["last_open_time"] + (i - 1) * H for i in range(3)]
    assert [r[4] for r in body["data"]] == ["10", "12", "12"]
    assert len((await client.get("/api/v2/mix/market/candles", params={**params, "limit": None})).json()["data"]) == 100
    bad = await client.get("/api/v2/mix/market/candles", params={**params, "granularity": "1h"})
    assert (bad.status_code, bad.json()["code"], bad.json()["msg"]) == (400, "40020", "Parameter granularity error")
    unknown = await client.get("/api/v2/mix/market/candles", params={**params, "symbol": "NOPEUSDT"})
    assert unknown.json()["code"] == "40034"
    missing = await client.get("/api/v2/mix/market/candles", params={"symbol": "ETHUSDT", "granularity": "1H"})
    assert missing.json()["code"] == "40019"


async def test_aster_klines_binance_layout_weights_and_errors(sim_client) -> None:
    client = await sim_client("aster")
    loaded = await load(client, ["5", "6"])
    answer = await client.get("/fapi/v3/klines", params={"symbol": "BTCUSDT", "interval": "1h", "limit": "2"})
    rows = answer.json()
    assert rows[0][0] == loaded["last_open_time"] and rows[0][6] == loaded["last_open_time"] + H - 1
    assert rows[0][4] == "6" and len(rows[0]) == 12 and isinstance(rows[0][8], int)
    assert answer.headers["X-MBX-USED-WEIGHT-1M"] == "1"
    heavy = await client.get("/fapi/v1/klines", params={"symbol": "BTCUSDT", "interval": "1h", "limit": "600"})
    assert len(heavy.json()) == 600
    assert heavy.headers["X-MBX-USED-WEIGHT-1M"] == "6"  # 1 + 5 (limit 500..1000)
    for params, code in [
        ({"symbol": "BTCUSDT", "interval": "1y"}, -1120),
        ({"symbol": "NOPE", "interval": "1h"}, -1121),
        ({"interval": "1h"}, -1102),
        ({"symbol": "BTCUSDT", "interval": "1h", "limit": "1501"}, -1130),
    ]:
        refused = await client.get("/fapi/v3/klines", params=params)
        assert (refused.status_code, refused.json()["code"]) == (400, code)


async def test_history_follows_the_price_path_and_is_deterministic(sim_client) -> None:
    client = await sim_client("bybit")
    control = SimControl(client)
    await control.set_price("BTCUSDT", "60000")
    minute = {"category": "linear", "symbol": "BTCUSDT", "interval": "1", "limit": "3"}
    first = (await client.get("/v5/market/kline", params=minute)).json()["result"]["list"]
    again = (await client.get("/v5/market/kline", params=minute)).json()["result"]["list"]
    assert [r[:6] for r in first] == [r[:6] for r in again]
    assert {r[4] for r in first} == {"60000"}
    untouched = await sim_client("bybit")
    rows = (await untouched.get("/v5/market/kline", params=minute)).json()["result"]["list"]
    assert {r[4] for r in rows} == {"60000"}  # no path: the instrument's reference price


async def test_start_and_end_select_candles(sim_client) -> None:
    client = await sim_client("aster")
    loaded = await load(client, [str(100 + i) for i in range(10)])
    start = loaded["first_open_time"] + 2 * H
    rows = (
        await client.get(
            "/fapi/v3/klines",
            params={"symbol": "BTCUSDT", "interval": "1h", "startTime": str(start), "limit": "3"},
        )
    ).json()
    assert [r[0] for r in rows] == [start, start + H, start + 2 * H]
    assert [r[4] for r in rows] == ["102", "103", "104"]
    end = loaded["first_open_time"] + 4 * H
    rows = (
        await client.get(
            "/fapi/v3/klines", params={"symbol": "BTCUSDT", "interval": "1h", "endTime": str(end), "limit": "2"}
        )
    ).json()
    assert [r[4] for r in rows] == ["103", "104"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"symbol": "NOPE", "interval": "1h", "closes": ["1"]}, "symbol"),
        ({"symbol": "BTCUSDT", "interval": "1w", "closes": ["1"]}, "interval"),
        ({"symbol": "BTCUSDT", "interval": "1h", "closes": []}, "closes"),
        ({"symbol": "BTCUSDT", "interval": "1h", "closes": ["1", "-2"]}, "closes[1]"),
        ({"symbol": "BTCUSDT", "interval": "1h", "closes": ["1"], "volumes": ["1", "2"]}, "volumes"),
    ],
)
async def test_control_api_refuses_bad_series(sim_client, payload: dict[str, object], field: str) -> None:
    client = await sim_client("bitget")
    answer = await client.post("/_sim/candles", json=payload)
    assert answer.status_code == 400
    assert answer.json()["field"] == field


async def test_control_api_lists_loaded_series_and_reset_forgets_them(sim_client) -> None:
    client = await sim_client("bybit")
    await load(client, ["1", "2", "3"])
    assert (await client.get("/_sim/candles")).json() == {
        "loaded": [{"symbol": "BTCUSDT", "interval": "1h", "count": 3}]
    }
    await SimControl(client).reset()
    assert (await client.get("/_sim/candles")).json() == {"loaded": []}
    with pytest.raises(SimControlError):
        await SimControl(client).load_candles("BTCUSDT", "1h", ["x"])
