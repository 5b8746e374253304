"""Aster endpoints over HTTP: public reads, account reads, mode switches and their refusals, weights."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sim.aster.conftest import AsterKey, AsterTestClient, error_of


async def perp_key(aster: AsterTestClient, **account: object) -> AsterKey:
    uid = await aster.account(**account)
    return await aster.key(uid, permissions={"canRead": True, "canPerpTrade": True, "canSpotTrade": True})


class TestPublic:
    @pytest.mark.parametrize("prefix", ["", "/testnet"])
    async def test_time_and_ping(self, aster: AsterTestClient, prefix: str) -> None:
        for path in ("/fapi/v3/time", "/api/v3/time"):
            body = (await aster.http.get(prefix + path)).json()
            assert isinstance(body["serverTime"], int) and body["serverTime"] > 1_700_000_000_000
        assert (await aster.http.get(prefix + "/fapi/v3/ping")).json() == {}

    async def test_time_follows_the_exchange_clock(self, aster: AsterTestClient) -> None:
        before = (await aster.http.get("/fapi/v3/time")).json()["serverTime"]
        await aster.control("clock", {"offset_ms": 3_600_000})
        after = (await aster.http.get("/fapi/v3/time")).json()["serverTime"]
        assert after - before >= 3_600_000

    async def test_exchange_info_carries_rate_limits_and_symbols(self, aster: AsterTestClient) -> None:
        response = await aster.http.get("/fapi/v3/exchangeInfo")
        body = response.json()
        weight = next(limit for limit in body["rateLimits"] if limit["rateLimitType"] == "REQUEST_WEIGHT")
        assert weight == {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400}
        assert "BTCUSDT" in {symbol["symbol"] for symbol in body["symbols"]}
        assert response.headers["X-MBX-USED-WEIGHT-1M"] == "1"

    async def test_unknown_method_is_405(self, aster: AsterTestClient) -> None:
        assert (await aster.http.delete("/fapi/v3/balance")).status_code == 405


class TestAccountReads:
    async def test_agent_list(self, aster: AsterTestClient) -> None:
        uid = await aster.account()
        key = await aster.key(
            uid,
            permissions={"canRead": True, "canPerpTrade": True, "canWithdraw": True},
            ips=["203.0.113.7", "127.0.0.1"],
            expires_at=1_900_000_000_000,
            label="bot-1",
        )
        await aster.key(uid, environment="testnet")  # not listed on live
        other = await aster.key(uid)
        await aster.http.delete(f"/_sim/keys/{other.api_wallet}")  # revoked: not listed
        agents = (await aster.signed("GET", "/fapi/v3/agent", key)).json()
        assert agents == [
            {
                "agentAddress": key.api_wallet,
                "agentName": "bot-1",
                "ipWhitelist": "203.0.113.7 127.0.0.1",
                "expired": 1_900_000_000_000,
                "source": "web",
                "canRead": True,
                "canSpotTrade": False,
                "canPerpTrade": True,
                "canWithdraw": True,
            }
        ]

    async def test_futures_balance_and_account(self, aster: AsterTestClient) -> None:
        key = await perp_key(aster, balances={"futures": {"USDT": "123.45", "USDC": "7"}})
        balance = await aster.signed("GET", "/fapi/v3/balance", key)
        rows = {row["asset"]: row for row in balance.json()}
        assert rows["USDT"]["balance"] == rows["USDT"]["availableBalance"] == "123.45000000"
        assert rows["USDC"]["crossWalletBalance"] == "7.00000000"
        assert balance.headers["X-MBX-USED-WEIGHT-1M"] == "5"
        account = (await aster.signed("GET", "/fapi/v3/accountWithJoinMargin", key)).json()
        assert account["totalWalletBalance"] == "130.45000000"
        assert {asset["asset"] for asset in account["assets"]} == {"USDT", "USDC"}

    async def test_empty_futures_wallet_still_lists_usdt(self, aster: AsterTestClient) -> None:
        key = await perp_key(aster)
        assert [row["balance"] for row in (await aster.signed("GET", "/fapi/v3/balance", key)).json()] == ["0.00000000"]

    async def test_spot_account(self, aster: AsterTestClient) -> None:
        key = await perp_key(aster, balances={"spot": {"USDT": "50", "ASTER": "12.5"}})
        body = (await aster.signed("GET", "/api/v3/account", key)).json()
        assert {b["asset"]: (b["free"], b["locked"]) for b in body["balances"]} == {
            "USDT": ("50.00000000", "0.00000000"),
            "ASTER": ("12.50000000", "0.00000000"),
        }

    async def test_position_risk_one_way_and_hedge(self, aster: AsterTestClient) -> None:
        one_way = await perp_key(aster, open_positions=True)
        rows = (await aster.signed("GET", "/fapi/v3/positionRisk", one_way, [("symbol", "BTCUSDT")])).json()
        assert [(r["positionSide"], r["positionAmt"], r["marginType"]) for r in rows] == [("BOTH", "0.010", "cross")]
        hedge = await perp_key(aster, position_mode="hedge", margin_type="isolated")
        rows = (await aster.signed("GET", "/fapi/v3/positionRisk", hedge)).json()
        assert {r["positionSide"] for r in rows} == {"LONG", "SHORT"}
        assert {r["marginType"] for r in rows} == {"isolated"}

    async def test_account_positions_are_the_position_risk_rows(self, aster: AsterTestClient) -> None:
        """accountWithJoinMargin lists the matching engine's positions (as positionRisk does), leverage included."""
        key = await perp_key(aster, open_positions=True)
        await aster.signed("POST", "/fapi/v3/leverage", key, [("symbol", "BTCUSDT"), ("leverage", "7")])
        risk = (await aster.signed("GET", "/fapi/v3/positionRisk", key)).json()
        account = (await aster.signed("GET", "/fapi/v3/accountWithJoinMargin", key)).json()
        fields = ("symbol", "positionSide", "positionAmt", "entryPrice", "leverage")
        assert [tuple(r[f] for f in fields) for r in account["positions"]] == [
            tuple(r[f] for f in fields) for r in risk
        ]
        btc = next(r for r in account["positions"] if r["symbol"] == "BTCUSDT")
        assert (btc["positionAmt"], btc["leverage"]) == ("0.010", "7")

    async def test_unknown_symbol(self, aster: AsterTestClient) -> None:
        key = await perp_key(aster)
        response = await aster.signed("GET", "/fapi/v3/positionRisk", key, [("symbol", "NOPEUSDT")])
        assert error_of(response) == (400, -1121)


class TestPositionMode:
    async def test_switch_and_read_back(self, aster: AsterTestClient) -> None:
        key = await perp_key(aster)
        assert (await aster.signed("GET", "/fapi/v3/positionSide/dual", key)).json() == {"dualSidePosition": False}
        switched = await aster.signed(
            "POST", "/fapi/v3/positionSide/dual", key, [("dualSidePosition", "true")], in_body=True
        )
        assert switched.json() == {"code": 200, "msg": "success"}
        assert (await aster.signed("GET", "/fapi/v3/positionSide/dual", key)).json() == {"dualSidePosition": True}

    @pytest.mark.parametrize(
        ("account", "code"),
        [
            ({"position_mode": "hedge"}, -4059),
            ({"position_mode": "one_way", "open_orders": True}, -4067),
            ({"position_mode": "one_way", "open_positions": True}, -4068),
        ],
    )
    async def test_refusals(self, aster: AsterTestClient, account: dict[str, object], code: int) -> None:
        key = await perp_key(aster, **account)
        response = await aster.signed("POST", "/fapi/v3/positionSide/dual", key, [("dualSidePosition", "true")])
        assert error_of(response) == (400, code)

    async def test_python_style_boolean_is_refused(self, aster: AsterTestClient) -> None:
        key = await perp_key(aster)
        response = await aster.signed("POST", "/fapi/v3/positionSide/dual", key, [("dualSidePosition", "True")])
        assert error_of(response) == (400, -1130)


class TestMarginModes:
    async def test_multi_assets_switch(self, aster: AsterTestClient) -> None:
        key = await perp_key(aster)
        assert (await aster.signed("GET", "/fapi/v3/multiAssetsMargin", key)).json() == {"multiAssetsMargin": False}
        await aster.signed("POST", "/fapi/v3/multiAssetsMargin", key, [("multiAssetsMargin", "true")])
        assert (await aster.signed("GET", "/fapi/v3/multiAssetsMargin", key)).json() == {"multiAssetsMargin": True}
        again = await aster.signed("POST", "/fapi/v3/multiAssetsMargin", key, [("multiAssetsMargin", "true")])
        assert error_of(again) == (400, -4171)

    async def test_margin_type_switch_and_refusals(self, aster: AsterTestClient) -> None:
        key = await perp_key(aster, open_positions=True)
        isolated = [("symbol", "ETHUSDT"), ("marginType", "ISOLATED")]
        assert (await aster.signed("POST", "/fapi/v3/marginType", key, isolated)).json()["code"] == 200
        assert error_of(await aster.signed("POST", "/fapi/v3/marginType", key, isolated)) == (400, -4046)
        btc = [("symbol", "BTCUSDT"), ("marginType", "ISOLATED")]
        assert error_of(await aster.signed("POST", "/fapi/v3/marginType", key, btc)) == (400, -4048)
        rows = (await aster.signed("GET", "/fapi/v3/positionRisk", key, [("symbol", "ETHUSDT")])).json()
        assert rows[0]["marginType"] == "isolated"

    async def test_isolated_refused_under_multi_assets(self, aster: AsterTestClient) -> None:
        key = await perp_key(aster, margin_mode="multi_assets")
        response = await aster.signed(
            "POST", "/fapi/v3/marginType", key, [("symbol", "ETHUSDT"), ("marginType", "ISOLATED")]
        )
        assert error_of(response) == (400, -4168)

    async def test_leverage(self, aster: AsterTestClient) -> None:
        key = await perp_key(aster)
        ok = await aster.signed("POST", "/fapi/v3/leverage", key, [("symbol", "ASTERUSDT"), ("leverage", "7")])
        assert ok.json() == {"leverage": 7, "maxNotionalValue": "1000000", "symbol": "ASTERUSDT"}
        too_high = await aster.signed("POST", "/fapi/v3/leverage", key, [("symbol", "ASTERUSDT"), ("leverage", "51")])
        assert error_of(too_high) == (400, -4028)


class TestRateLimit:
    async def test_weight_budget_then_429_then_418(self, aster: AsterTestClient) -> None:
        key = await perp_key(aster)
        for _ in range(2400 // 30):  # GET positionSide/dual weighs 30
            assert (await aster.signed("GET", "/fapi/v3/positionSide/dual", key)).status_code == 200
        over = await aster.signed("GET", "/fapi/v3/positionSide/dual", key)
        assert error_of(over) == (429, -1003)
        assert int(over.headers["Retry-After"]) >= 1
        assert over.headers["X-MBX-USED-WEIGHT-1M"] == "2400"
        # The 5th refusal inside one minute turns into a ban (ratelimit.BAN_AFTER_429S).
        statuses = [(await aster.http.get("/fapi/v3/exchangeInfo")).status_code for _ in range(5)]
        assert statuses == [429, 429, 429, 418, 418]
        banned = await aster.http.get("/fapi/v3/time")
        assert error_of(banned) == (418, -1003)
        assert "banned until" in banned.json()["msg"]

    async def test_rate_limit_fault_speaks_aster(self, aster: AsterTestClient) -> None:
        await aster.control("faults", {"error": "rate_limit"})
        assert error_of(await aster.http.get("/fapi/v3/time")) == (429, -1003)


class TestOverLoopback:
    async def test_signed_calls_over_real_http(self, sim_servers: Any) -> None:
        """Through uvicorn and a TCP socket the raw query string reaches the verifier byte for byte."""
        sims = sim_servers("aster")
        async with httpx.AsyncClient(base_url=sims.urls["aster"]) as http:
            aster = AsterTestClient(http)
            key = await perp_key(aster, balances={"futures": {"USDT": "42"}})
            balance = await aster.signed("GET", "/fapi/v3/balance", key)
            switched = await aster.signed(
                "POST", "/fapi/v3/positionSide/dual", key, [("dualSidePosition", "true")], in_body=True
            )
        assert balance.json()[0]["balance"] == "42.00000000"
        assert switched.json() == {"code": 200, "msg": "success"}
