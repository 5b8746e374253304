"""Bybit V5 endpoints on the simulator: shapes and values per the docs, driven through the scenarios."""

from __future__ import annotations

from typing import Any

QUERY_API = "/v5/user/query-api"


async def result_of(bybit: Any, creds: dict[str, str], path: str, params: dict[str, Any] | None = None) -> Any:
    body = (await bybit.get(creds, path, params)).json()
    assert body["retCode"] == 0, body
    assert set(body) == {"retCode", "retMsg", "result", "retExtInfo", "time"}
    return body["result"]


class TestPublic:
    async def test_server_time(self, bybit: Any) -> None:
        await bybit.control.set_clock_offset(-3_000_000)
        body = (await bybit.http.get("/v5/market/time")).json()
        assert body["retCode"] == 0
        assert int(body["result"]["timeSecond"]) == int(body["result"]["timeNano"]) // 10**9
        assert abs(body["time"] - int(body["result"]["timeNano"]) // 10**6) < 1000

    async def test_instruments(self, bybit: Any) -> None:
        linear = (await bybit.http.get("/v5/market/instruments-info", params={"category": "linear"})).json()
        assert [row["symbol"] for row in linear["result"]["list"]] == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "DOGEUSDT"]
        inverse = (await bybit.http.get("/v5/market/instruments-info", params={"category": "inverse"})).json()
        assert inverse["result"]["list"][0]["contractType"] == "InversePerpetual"
        prelaunch = await bybit.http.get(
            "/v5/market/instruments-info", params={"category": "linear", "status": "PreLaunch"}
        )
        assert prelaunch.json()["result"]["list"] == []
        bad = await bybit.http.get("/v5/market/instruments-info", params={"category": "bonds"})
        assert bad.json()["retCode"] == 10001


class TestKeyInfo:
    async def test_healthy_key(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        info = await result_of(bybit, creds, QUERY_API)
        assert info["apiKey"] == creds["api_key"]
        assert info["secret"] == ""
        assert info["readOnly"] == 0
        assert info["ips"] == ["203.0.113.7"]
        assert info["permissions"]["ContractTrade"] == ["Order", "Position"]
        assert info["permissions"]["Wallet"] == []
        assert (info["uta"], info["isMaster"], info["parentUid"], info["userID"]) == (1, True, "0", int(creds["uid"]))
        assert info["deadlineDay"] == -2

    async def test_withdraw_and_transfer_show_in_wallet_group(self, bybit: Any) -> None:
        withdraw = await result_of(bybit, await bybit.scenario("withdraw_enabled"), QUERY_API)
        assert "Withdraw" in withdraw["permissions"]["Wallet"]
        transfer = await result_of(bybit, await bybit.scenario("transfer_enabled"), QUERY_API)
        assert transfer["permissions"]["Wallet"] == ["AccountTransfer"]

    async def test_read_only_and_spot_only(self, bybit: Any) -> None:
        read_only = await result_of(bybit, await bybit.scenario("read_only"), QUERY_API)
        assert read_only["readOnly"] == 1
        spot = await result_of(bybit, await bybit.scenario("spot_only"), QUERY_API)
        assert (spot["permissions"]["Spot"], spot["permissions"]["ContractTrade"]) == (["SpotTrade"], [])

    async def test_unbound_key_expires_in_90_days(self, bybit: Any) -> None:
        info = await result_of(bybit, await bybit.scenario("no_ip_whitelist"), QUERY_API)
        assert info["ips"] == ["*"]
        assert info["deadlineDay"] == 90

    async def test_expiring_key_counts_down(self, bybit: Any) -> None:
        info = await result_of(bybit, await bybit.scenario("expiring_in_5_days"), QUERY_API)
        assert info["deadlineDay"] == 5
        assert info["expiredAt"].endswith("Z")

    async def test_classic_account_reports_uta_0(self, bybit: Any) -> None:
        info = await result_of(bybit, await bybit.scenario("classic_account"), QUERY_API)
        assert info["uta"] == 0

    async def test_sub_account_key(self, bybit: Any) -> None:
        uid = await bybit.control.create_account()
        creds = await bybit.control.create_key(uid, {"ContractTrade": ["Order"]}, is_master=False, ips=["*"])
        info = await result_of(bybit, creds, QUERY_API)
        assert info["isMaster"] is False
        assert info["parentUid"] != "0"


class TestAccount:
    async def test_account_info(self, bybit: Any) -> None:
        info = await result_of(bybit, await bybit.scenario("healthy"), "/v5/account/info")
        assert (info["unifiedMarginStatus"], info["marginMode"]) == (6, "REGULAR_MARGIN")
        classic = await result_of(bybit, await bybit.scenario("classic_account"), "/v5/account/info")
        assert classic["unifiedMarginStatus"] == 1
        isolated = await result_of(bybit, await bybit.scenario("isolated_margin"), "/v5/account/info")
        assert isolated["marginMode"] == "ISOLATED_MARGIN"

    async def test_unified_wallet_balance(self, bybit: Any) -> None:
        uid = await bybit.control.create_account(balances={"UNIFIED": {"USDT": "250.5", "BTC": "0.01", "ETH": "0"}})
        creds = await bybit.control.create_key(uid, {"ContractTrade": ["Order"]})
        result = await result_of(bybit, creds, "/v5/account/wallet-balance", {"accountType": "UNIFIED"})
        account = result["list"][0]
        assert account["accountType"] == "UNIFIED"
        assert {row["coin"]: row["walletBalance"] for row in account["coin"]} == {"BTC": "0.01", "USDT": "250.5"}
        assert account["totalEquity"] == "850.5"  # 250.5 USDT + 0.01 BTC at the simulated 60000
        with_zero = await result_of(
            bybit, creds, "/v5/account/wallet-balance", {"accountType": "UNIFIED", "coin": "ETH"}
        )
        assert with_zero["list"][0]["coin"][0]["walletBalance"] == "0"

    async def test_classic_account_gets_http_400_for_unified_and_reads_contract(self, bybit: Any) -> None:
        creds = await bybit.scenario("classic_account")
        response = await bybit.get(creds, "/v5/account/wallet-balance", {"accountType": "UNIFIED"})
        assert response.status_code == 400
        contract = await result_of(bybit, creds, "/v5/account/wallet-balance", {"accountType": "CONTRACT"})
        assert contract["list"][0]["coin"][0]["walletBalance"] == "500"

    async def test_uta2_rejects_contract_account_type(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        body = (await bybit.get(creds, "/v5/account/wallet-balance", {"accountType": "CONTRACT"})).json()
        assert body["retCode"] == 10001

    async def test_funding_wallet(self, bybit: Any) -> None:
        creds = await bybit.scenario("funds_in_funding_wallet")
        fund = await result_of(bybit, creds, "/v5/asset/transfer/query-account-coins-balance", {"accountType": "FUND"})
        assert fund["balance"] == [
            {
                "coin": "USDT",
                "walletBalance": "120",
                "transferBalance": "120",
                "bonus": "",
                "transferSafeAmount": "",
                "ltvTransferSafeAmount": "",
            }
        ]
        unified = await result_of(bybit, creds, "/v5/account/wallet-balance", {"accountType": "UNIFIED"})
        assert unified["list"][0]["totalEquity"] == "0.5"

    async def test_low_balance(self, bybit: Any) -> None:
        creds = await bybit.scenario("low_balance")
        unified = await result_of(bybit, creds, "/v5/account/wallet-balance", {"accountType": "UNIFIED"})
        assert unified["list"][0]["coin"][0]["walletBalance"] == "30"

    async def test_set_margin_mode(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        body = {"setMarginMode": "ISOLATED_MARGIN"}
        assert (await bybit.post(creds, "/v5/account/set-margin-mode", body)).json()["retCode"] == 0
        assert (await bybit.post(creds, "/v5/account/set-margin-mode", body)).json()["retCode"] == 110026
        info = await result_of(bybit, creds, "/v5/account/info")
        assert info["marginMode"] == "ISOLATED_MARGIN"

    async def test_uta_only_and_non_uta_only_endpoints(self, bybit: Any) -> None:
        classic = await bybit.scenario("classic_account")
        body = {"setMarginMode": "ISOLATED_MARGIN"}
        assert (await bybit.post(classic, "/v5/account/set-margin-mode", body)).json()["retCode"] == 10028
        uta = await bybit.scenario("healthy")
        isolated = {
            "category": "linear",
            "symbol": "BTCUSDT",
            "tradeMode": 1,
            "buyLeverage": "10",
            "sellLeverage": "10",
        }
        assert (await bybit.post(uta, "/v5/position/switch-isolated", isolated)).json()["retCode"] == 100028
        assert (await bybit.post(classic, "/v5/position/switch-isolated", isolated)).json()["retCode"] == 0


class TestPositions:
    async def test_one_way_symbol_has_one_row_idx_0(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        result = await result_of(bybit, creds, "/v5/position/list", {"category": "linear", "symbol": "BTCUSDT"})
        assert [(row["positionIdx"], row["size"]) for row in result["list"]] == [(0, "0")]

    async def test_hedge_mode_has_rows_idx_1_and_2(self, bybit: Any) -> None:
        creds = await bybit.scenario("hedge_mode")
        result = await result_of(bybit, creds, "/v5/position/list", {"category": "linear", "symbol": "BTCUSDT"})
        assert [row["positionIdx"] for row in result["list"]] == [1, 2]

    async def test_linear_needs_symbol_or_settle_coin(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        assert (await bybit.get(creds, "/v5/position/list", {"category": "linear"})).json()["retCode"] == 10001
        empty = await result_of(bybit, creds, "/v5/position/list", {"category": "linear", "settleCoin": "USDT"})
        assert empty["list"] == []

    async def test_switch_mode_round_trip_and_not_modified(self, bybit: Any) -> None:
        creds = await bybit.scenario("hedge_mode")
        to_one_way = {"category": "linear", "coin": "USDT", "mode": 0}
        assert (await bybit.post(creds, "/v5/position/switch-mode", to_one_way)).json()["retCode"] == 0
        assert (await bybit.post(creds, "/v5/position/switch-mode", to_one_way)).json()["retCode"] == 110025
        result = await result_of(bybit, creds, "/v5/position/list", {"category": "linear", "symbol": "ETHUSDT"})
        assert [row["positionIdx"] for row in result["list"]] == [0]

    async def test_symbol_switch_overrides_coin_setting(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        body = {"category": "linear", "symbol": "ETHUSDT", "mode": 3}
        assert (await bybit.post(creds, "/v5/position/switch-mode", body)).json()["retCode"] == 0
        eth = await result_of(bybit, creds, "/v5/position/list", {"category": "linear", "symbol": "ETHUSDT"})
        btc = await result_of(bybit, creds, "/v5/position/list", {"category": "linear", "symbol": "BTCUSDT"})
        assert (len(eth["list"]), len(btc["list"])) == (2, 1)

    async def test_switch_refused_with_open_position_or_orders(self, bybit: Any) -> None:
        creds = await bybit.scenario("hedge_mode_with_position")
        body = {"category": "linear", "coin": "USDT", "mode": 0}
        assert (await bybit.post(creds, "/v5/position/switch-mode", body)).json()["retCode"] == 110024
        rows = await result_of(bybit, creds, "/v5/position/list", {"category": "linear", "settleCoin": "USDT"})
        # With settleCoin only legs holding a position are listed (https://bybit-exchange.github.io/docs/v5/position).
        assert [row["size"] for row in rows["list"]] == ["0.01"]
        uid = await bybit.control.create_account(open_orders=True)
        orders = await bybit.control.create_key(uid, {"ContractTrade": ["Order", "Position"]})
        to_hedge = {"category": "linear", "coin": "USDT", "mode": 3}
        assert (await bybit.post(orders, "/v5/position/switch-mode", to_hedge)).json()["retCode"] == 110028

    async def test_inverse_is_one_way_only(self, bybit: Any) -> None:
        creds = await bybit.scenario("healthy")
        body = {"category": "inverse", "symbol": "BTCUSD", "mode": 3}
        assert (await bybit.post(creds, "/v5/position/switch-mode", body)).json()["retCode"] == 110029


class TestControlVocabulary:
    async def test_bad_permissions_name_the_field(self, bybit: Any) -> None:
        uid = await bybit.control.create_account()
        for permissions, field in [
            ({"Futures": ["Order"]}, "permissions.Futures"),
            ({"Wallet": ["Withdraw", "Steal"]}, "permissions.Wallet[1]"),
            ({"Spot": "SpotTrade"}, "permissions.Spot"),
            (["ContractTrade"], "permissions"),
        ]:
            response = await bybit.http.post("/_sim/keys", json={"uid": uid, "permissions": permissions})
            assert (response.status_code, response.json()["field"]) == (400, field)

    async def test_credentials_have_bybit_lengths(self, bybit: Any) -> None:
        uid = await bybit.control.create_account()
        creds = await bybit.control.create_key(uid, {})
        assert (len(creds["api_key"]), len(creds["secret"])) == (18, 36)
        assert set(creds) == {"api_key", "secret", "uid", "environment", "expires_at"}

    async def test_bad_uid_and_wallet(self, bybit: Any) -> None:
        response = await bybit.http.post("/_sim/accounts", json={"uid": "alice"})
        assert response.json()["field"] == "uid"
        response = await bybit.http.post("/_sim/accounts", json={"balances": {"spot": {"USDT": 1}}})
        assert response.json()["field"] == "balances.spot"
