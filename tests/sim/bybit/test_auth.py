"""Bybit V5 authentication on the simulator: every refusal gives the documented retCode (docs/v5/error)."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.sim.bybit import signing
from tradedock_sim.core.ratelimit import SlidingWindowLimiter

QUERY_API = "/v5/user/query-api"


def now_ms() -> int:
    return int(time.time() * 1000)


class TestAccepted:
    async def test_valid_get_and_post(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        response = await bybit.get(creds, "/v5/position/list", {"category": "linear", "symbol": "BTCUSDT"})
        assert (response.status_code, response.json()["retCode"]) == (200, 0)
        body = {"category": "linear", "coin": "USDT", "mode": 3}
        response = await bybit.post(creds, "/v5/position/switch-mode", body)
        assert response.json()["retCode"] == 0

    async def test_recv_window_header_is_optional_default_5000(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        ts = now_ms()
        headers = {
            "X-BAPI-API-KEY": creds["api_key"],
            "X-BAPI-TIMESTAMP": str(ts),
            "X-BAPI-SIGN": signing.sign(creds["secret"], ts, creds["api_key"], 5000, ""),
        }
        assert (await bybit.http.get(QUERY_API, headers=headers)).json()["retCode"] == 0

    async def test_timestamp_up_to_one_second_ahead_is_accepted(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        response = await bybit.get(creds, QUERY_API, timestamp=now_ms() + 700)
        assert response.json()["retCode"] == 0


class TestUnknownKey:
    async def test_unknown_key_is_10003(self, bybit: Any) -> None:
        creds = {"api_key": "A" * 18, "secret": "B" * 36}
        response = await bybit.get(creds, QUERY_API)
        assert (response.status_code, response.json()["retCode"]) == (200, 10003)
        assert response.json()["retMsg"] == "API key is invalid."

    async def test_deleted_key_is_10003(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        assert (await bybit.get(creds, QUERY_API)).json()["retCode"] == 0
        await bybit.control.delete_key(creds["api_key"])
        assert (await bybit.get(creds, QUERY_API)).json()["retCode"] == 10003

    async def test_demo_key_on_live_host_and_live_key_on_demo_host_are_10003(self, bybit: Any) -> None:
        demo = await bybit.scenario("wrong_environment")
        assert (await bybit.get(demo, QUERY_API)).json()["retCode"] == 10003
        assert (await bybit.get(demo, "/demo" + QUERY_API)).json()["retCode"] == 0
        live = await bybit.scenario("healthy")
        assert (await bybit.get(live, "/testnet" + QUERY_API)).json()["retCode"] == 10003

    async def test_missing_key_header_is_http_401(self, bybit: Any) -> None:
        response = await bybit.http.get(QUERY_API)
        assert (response.status_code, response.json()["retCode"]) == (401, 10003)


class TestSignature:
    async def test_wrong_secret_is_10004(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        response = await bybit.get({**creds, "secret": "x" * 36}, QUERY_API)
        body = response.json()
        assert body["retCode"] == 10004
        assert body["retMsg"].startswith("error sign! origin_string[")
        assert creds["secret"] not in response.text

    async def test_body_changed_after_signing_is_10004(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        raw, headers = signing.post_request(creds, {"category": "linear", "coin": "USDT", "mode": 3})
        tampered = raw.replace(b'"mode":3', b'"mode":0')
        response = await bybit.http.post("/v5/position/switch-mode", content=tampered, headers=headers)
        assert response.json()["retCode"] == 10004
        assert bybit.state.accounts[creds["uid"]].position_mode == "one_way"

    async def test_query_changed_after_signing_is_10004(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        url, headers = signing.get_request(creds, "/v5/position/list", {"category": "linear", "symbol": "BTCUSDT"})
        response = await bybit.http.get(url.replace("BTCUSDT", "ETHUSDT"), headers=headers)
        assert response.json()["retCode"] == 10004

    async def test_recv_window_header_differing_from_signed_is_10004(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        url, headers = signing.get_request(creds, QUERY_API, recv_window=5000)
        headers["X-BAPI-RECV-WINDOW"] = "10000"
        assert (await bybit.http.get(url, headers=headers)).json()["retCode"] == 10004

    async def test_commas_may_be_signed_raw_or_encoded(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        raw_query = "accountType=UNIFIED&coin=USDT,BTC"
        url = f"/v5/account/wallet-balance?{raw_query}"
        assert (await bybit.http.get(url, headers=signing.headers(creds, raw_query))).json()["retCode"] == 0


class TestTimestamp:
    async def test_replayed_stale_request_is_10002(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        url, headers = signing.get_request(creds, QUERY_API, timestamp=now_ms() - 6_000)
        body = (await bybit.http.get(url, headers=headers)).json()
        assert body["retCode"] == 10002
        assert "recv_window[5000]" in body["retMsg"]

    async def test_more_than_one_second_ahead_is_10002(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        assert (await bybit.get(creds, QUERY_API, timestamp=now_ms() + 3_000)).json()["retCode"] == 10002

    async def test_small_recv_window_rejects_what_default_accepts(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        ts = now_ms() - 2_000
        assert (await bybit.get(creds, QUERY_API, timestamp=ts, recv_window=1000)).json()["retCode"] == 10002
        assert (await bybit.get(creds, QUERY_API, timestamp=ts, recv_window=5000)).json()["retCode"] == 0

    async def test_clock_skew_scenario_is_10002(self, bybit: Any) -> None:
        creds = await bybit.scenario("clock_skew")
        assert (await bybit.get(creds, QUERY_API)).json()["retCode"] == 10002

    async def test_non_numeric_timestamp_is_10002(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        url, headers = signing.get_request(creds, QUERY_API)
        headers["X-BAPI-TIMESTAMP"] = "yesterday"
        response = await bybit.http.get(url, headers=headers)
        assert response.json()["retCode"] == 10002


class TestKeyRules:
    async def test_unmatched_ip_is_10010(self, bybit: Any) -> None:
        creds = await bybit.scenario("ip_not_whitelisted")
        body = (await bybit.get(creds, QUERY_API)).json()
        assert body["retCode"] == 10010
        await bybit.control.set_client_ip("198.51.100.23")
        assert (await bybit.get(creds, QUERY_API)).json()["retCode"] == 0

    async def test_expired_key_is_33004(self, bybit: Any) -> None:
        creds = await bybit.scenario("expired")
        assert (await bybit.get(creds, QUERY_API)).json()["retCode"] == 33004

    async def test_read_only_key_cannot_switch_mode_10005(self, bybit: Any) -> None:
        creds = await bybit.scenario("read_only")
        assert (await bybit.get(creds, QUERY_API)).json()["retCode"] == 0
        body = {"category": "linear", "coin": "USDT", "mode": 3}
        assert (await bybit.post(creds, "/v5/position/switch-mode", body)).json()["retCode"] == 10005

    async def test_spot_only_key_cannot_switch_mode_10005(self, bybit: Any) -> None:
        creds = await bybit.scenario("spot_only")
        body = {"category": "linear", "coin": "USDT", "mode": 3}
        assert (await bybit.post(creds, "/v5/position/switch-mode", body)).json()["retCode"] == 10005

    async def test_get_with_a_body_is_http_403(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        url, headers = signing.get_request(creds, QUERY_API)
        response = await bybit.http.request("GET", url, headers=headers, content=json.dumps({}).encode())
        assert response.status_code == 403


def freeze_limiter(bybit: Any) -> None:
    """Stop the rate-limit window from sliding so the counts do not depend on test speed."""
    bybit.state.limiter = SlidingWindowLimiter(monotonic_ms=lambda: 1_000_000)


class TestRateLimits:
    async def test_query_api_allows_10_per_second_then_10006(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        freeze_limiter(bybit)
        statuses = []
        for _ in range(10):
            response = await bybit.get(creds, QUERY_API)
            statuses.append(int(response.headers["X-Bapi-Limit-Status"]))
            assert response.json()["retCode"] == 0
            assert response.headers["X-Bapi-Limit"] == "10"
        assert statuses == list(range(9, -1, -1))
        limited = await bybit.get(creds, QUERY_API)
        assert limited.json()["retCode"] == 10006
        assert limited.json()["retMsg"] == "Too many visits!"
        assert int(limited.headers["X-Bapi-Limit-Reset-Timestamp"]) > 0
        other = await bybit.get(creds, "/v5/account/info")  # budgets are per endpoint
        assert other.json()["retCode"] == 0

    async def test_ip_budget_600_per_5_seconds_then_http_403(self, bybit: Any) -> None:
        freeze_limiter(bybit)
        for _ in range(600):
            assert (await bybit.http.get("/v5/market/time")).status_code == 200
        banned = await bybit.http.get("/v5/market/time")
        assert banned.status_code == 403
        assert "access too frequent" in banned.text
        assert (await bybit.http.get("/_sim/scenarios")).status_code == 200  # control API is exempt
