"""The control API as Aster maps it: main-wallet uids, API-wallet keys, permissions in Aster's vocabulary."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account

from tests.sim.aster.conftest import AsterKey, AsterTestClient, error_of
from tradedock_sim.core import DAY_MS


def is_checksummed_address(value: str) -> bool:
    return value.startswith("0x") and len(value) == 42 and value != value.lower()


class TestAccounts:
    async def test_uid_is_a_generated_main_wallet_address(self, aster: AsterTestClient) -> None:
        uid = await aster.account()
        assert is_checksummed_address(uid)

    async def test_given_uid_is_checksummed(self, aster: AsterTestClient) -> None:
        wallet = Account.from_key("0x" + "42" * 32)
        uid = await aster.account(uid=wallet.address.lower())
        assert uid == wallet.address

    async def test_same_seed_same_wallets(self, aster: AsterTestClient, sim_client: Any) -> None:
        twin = AsterTestClient(await sim_client("aster", seed=7))
        assert await aster.account() == await twin.account()

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"uid": "not-an-address"}, "uid"),
            ({"balances": {"UNIFIED": {"USDT": "1"}}}, "balances.UNIFIED"),
            ({"margin_mode": "cross"}, "margin_mode"),
            ({"margin_type": "crossed"}, "margin_type"),
            ({"sim_credentials": "whatever"}, "sim_credentials"),
            ({"unified_margin_status": 6}, "unified_margin_status"),
        ],
    )
    async def test_bad_account_input_names_the_field(
        self, aster: AsterTestClient, payload: dict[str, Any], field: str
    ) -> None:
        response = await aster.control("accounts", payload)
        assert response.status_code == 400
        assert response.json()["field"] == field


class TestKeys:
    async def test_key_is_an_approved_api_wallet(self, aster: AsterTestClient) -> None:
        uid = await aster.account()
        response = await aster.control(
            "keys", {"uid": uid, "permissions": {"canRead": True, "canPerpTrade": True}, "label": "bot"}
        )
        body = response.json()
        assert body["main_wallet"] == uid
        assert Account.from_key(body["private_key"]).address == body["api_wallet"]
        assert body["api_wallet"] != uid
        key = AsterKey(body["api_wallet"], body["private_key"], body["main_wallet"])
        agents = (await aster.signed("GET", "/fapi/v3/agent", key)).json()
        assert [(a["agentAddress"], a["agentName"]) for a in agents] == [(body["api_wallet"], "bot")]
        assert body["private_key"] not in str(agents)

    async def test_default_expiry_is_a_year(self, aster: AsterTestClient) -> None:
        uid = await aster.account()
        body = (await aster.control("keys", {"uid": uid, "permissions": {}})).json()
        now = (await aster.http.get("/fapi/v3/time")).json()["serverTime"]
        assert 364 * DAY_MS < body["expires_at"] - now <= 365 * DAY_MS

    async def test_missing_permissions_default_to_read_only(self, aster: AsterTestClient) -> None:
        uid = await aster.account()
        key = await aster.key(uid, permissions={})
        agent = (await aster.signed("GET", "/fapi/v3/agent", key)).json()[0]
        assert (agent["canRead"], agent["canSpotTrade"], agent["canPerpTrade"], agent["canWithdraw"]) == (
            True,
            False,
            False,
            False,
        )

    @pytest.mark.parametrize(
        ("permissions", "field"),
        [
            (["canRead"], "permissions"),
            ({"ContractTrade": ["Order"]}, "permissions.ContractTrade"),
            ({"canRead": "yes"}, "permissions.canRead"),
        ],
    )
    async def test_bad_permissions_name_the_field(self, aster: AsterTestClient, permissions: Any, field: str) -> None:
        uid = await aster.account()
        response = await aster.control("keys", {"uid": uid, "permissions": permissions})
        assert response.status_code == 400
        assert response.json()["field"] == field

    async def test_demo_environment_does_not_exist_on_aster(self, aster: AsterTestClient) -> None:
        uid = await aster.account()
        response = await aster.control("keys", {"uid": uid, "permissions": {}, "environment": "demo"})
        assert response.json()["field"] == "environment"

    async def test_testnet_key_lives_under_the_testnet_prefix(self, aster: AsterTestClient) -> None:
        uid = await aster.account()
        key = await aster.key(uid, environment="testnet")
        assert (await aster.signed("GET", "/fapi/v3/agent", key)).status_code == 200
        assert error_of(await aster.signed("GET", "/fapi/v3/agent", key, environment="live")) == (400, -1000)

    async def test_source_extra_shows_in_the_agent_list(self, aster: AsterTestClient) -> None:
        uid = await aster.account()
        key = await aster.key(uid, source="builder")
        assert (await aster.signed("GET", "/fapi/v3/agent", key)).json()[0]["source"] == "builder"

    async def test_reset_forgets_keys(self, aster: AsterTestClient) -> None:
        key = await aster.funded_key()
        await aster.control("reset")
        assert error_of(await aster.signed("GET", "/fapi/v3/balance", key)) == (400, -1000)

    async def test_main_wallet_key_variant_needs_a_generated_wallet(self, aster: AsterTestClient) -> None:
        uid = await aster.account(uid=Account.from_key("0x" + "43" * 32).address, sim_credentials="main_wallet_key")
        response = await aster.control("keys", {"uid": uid, "permissions": {}})
        assert response.status_code == 400
        assert response.json()["field"] == "sim_credentials"
