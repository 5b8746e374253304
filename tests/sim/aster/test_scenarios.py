"""Every Aster preset, applied through `POST /_sim/scenarios/{name}`, shows its failure on the wire."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from eth_account import Account

from tests.sim.aster.conftest import AsterKey, AsterTestClient, error_of
from tests.sim.aster.signing import fresh_nonce
from tradedock_sim.aster.scenarios import SCENARIOS
from tradedock_sim.core import DAY_MS

Check = Callable[[AsterTestClient, AsterKey, dict[str, Any]], Awaitable[None]]


def key_of(result: dict[str, Any]) -> AsterKey:
    credentials = result["credentials"]
    return AsterKey(credentials["api_wallet"], credentials["private_key"], credentials["main_wallet"])


async def balance(aster: AsterTestClient, key: AsterKey, **options: Any) -> Any:
    return await aster.signed("GET", "/fapi/v3/balance", key, **options)


async def usdt(aster: AsterTestClient, key: AsterKey) -> str:
    rows = (await balance(aster, key)).json()
    return str(next(row["balance"] for row in rows if row["asset"] == "USDT"))


async def agent_of(aster: AsterTestClient, key: AsterKey) -> dict[str, Any]:
    agents = (await aster.signed("GET", "/fapi/v3/agent", key)).json()
    return dict(next(agent for agent in agents if agent["agentAddress"] == key.api_wallet))


async def healthy(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert await usdt(aster, key) == "1000.00000000"
    agent = await agent_of(aster, key)
    assert (agent["canPerpTrade"], agent["canWithdraw"], agent["ipWhitelist"]) == (True, False, "127.0.0.1")
    assert (await aster.signed("GET", "/fapi/v3/positionSide/dual", key)).json() == {"dualSidePosition": False}


async def main_wallet_key(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert Account.from_key(key.private_key).address == key.main_wallet
    assert error_of(await balance(aster, key)) == (400, -1000)


async def other_api_wallet_key(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    derived = Account.from_key(key.private_key).address
    assert derived not in (key.api_wallet, key.main_wallet)
    assert error_of(await balance(aster, key)) == (400, -1000)
    as_derived = AsterKey(derived, key.private_key, key.main_wallet)
    agents = (await aster.signed("GET", "/fapi/v3/agent", as_derived)).json()
    assert {agent["agentAddress"] for agent in agents} == {derived, key.api_wallet}


async def refused_signature(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert Account.from_key(key.private_key).address == key.api_wallet
    assert error_of(await balance(aster, key)) == (400, -1000)


async def other_main_wallet(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert key.main_wallet != result["uid"]
    assert error_of(await balance(aster, key)) == (400, -1000)
    assert (await balance(aster, key, user=None)).status_code == 200  # the agent's own main wallet


async def expiring_in_5_days(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    now = (await aster.http.get("/fapi/v3/time")).json()["serverTime"]
    assert 4 * DAY_MS < (await agent_of(aster, key))["expired"] - now <= 5 * DAY_MS


async def withdraw_enabled(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert (await agent_of(aster, key))["canWithdraw"] is True


async def cannot_trade_perps(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert (await balance(aster, key)).status_code == 200
    probe = [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "0.001")]
    assert error_of(await aster.signed("POST", "/fapi/v3/order/test", key, probe)) == (400, -4088)
    assert (await agent_of(aster, key))["canPerpTrade"] is False


async def ip_not_whitelisted(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert error_of(await balance(aster, key)) == (400, -1011)


async def key_from_testnet(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert error_of(await balance(aster, key)) == (400, -1000)
    assert (await balance(aster, key, environment="testnet")).status_code == 200


async def hedge_mode(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert (await aster.signed("GET", "/fapi/v3/positionSide/dual", key)).json() == {"dualSidePosition": True}
    one_way = [("dualSidePosition", "false")]
    assert (await aster.signed("POST", "/fapi/v3/positionSide/dual", key, one_way)).json()["code"] == 200


async def hedge_mode_with_position(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    one_way = [("dualSidePosition", "false")]
    assert error_of(await aster.signed("POST", "/fapi/v3/positionSide/dual", key, one_way)) == (400, -4067)


async def multi_assets_margin(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert (await aster.signed("GET", "/fapi/v3/multiAssetsMargin", key)).json() == {"multiAssetsMargin": True}


async def low_balance(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert await usdt(aster, key) == "5.00000000"


async def zero_balance(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert await usdt(aster, key) == "0.00000000"
    assert (await aster.signed("GET", "/api/v3/account", key)).json()["balances"] == []


async def funds_in_spot_wallet(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert await usdt(aster, key) == "0.00000000"
    spot = (await aster.signed("GET", "/api/v3/account", key)).json()["balances"]
    assert spot == [{"asset": "USDT", "free": "500.00000000", "locked": "0.00000000"}]


async def clock_skew(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert error_of(await balance(aster, key, nonce=fresh_nonce())) == (400, -4225)
    server_ms = (await aster.http.get("/fapi/v3/time")).json()["serverTime"]
    assert (await balance(aster, key, nonce=server_ms * 1000)).status_code == 200


def html_status(status: int) -> Check:
    async def check(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
        response = await balance(aster, key)
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/html")

    return check


async def exchange_timeout(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    # The hang itself is the core's (tested there); here: the preset arms it for every path.
    assert result["faults"] == {"error": "timeout"}


async def rate_limited(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    assert error_of(await aster.http.get("/fapi/v3/time")) == (429, -1003)


async def spot_signed_get_500(aster: AsterTestClient, key: AsterKey, result: dict[str, Any]) -> None:
    spot = await aster.signed("GET", "/api/v3/account", key)
    assert spot.status_code == 500 and spot.headers["content-type"].startswith("text/html")
    assert (await aster.http.get("/api/v3/time")).status_code == 200
    assert await usdt(aster, key) == "1000.00000000"


CHECKS: dict[str, Check] = {
    "healthy": healthy,
    "main_wallet_key": main_wallet_key,
    "other_api_wallet_key": other_api_wallet_key,
    "agent_not_approved": refused_signature,
    "other_main_wallet": other_main_wallet,
    "expired_agent": refused_signature,
    "expiring_in_5_days": expiring_in_5_days,
    "withdraw_enabled": withdraw_enabled,
    "read_only": cannot_trade_perps,
    "spot_only": cannot_trade_perps,
    "ip_not_whitelisted": ip_not_whitelisted,
    "testnet_key_on_live": key_from_testnet,
    "hedge_mode": hedge_mode,
    "hedge_mode_with_position": hedge_mode_with_position,
    "multi_assets_margin": multi_assets_margin,
    "low_balance": low_balance,
    "zero_balance": zero_balance,
    "funds_in_spot_wallet": funds_in_spot_wallet,
    "clock_skew": clock_skew,
    "exchange_down": html_status(503),
    "exchange_500": html_status(500),
    "exchange_timeout": exchange_timeout,
    "rate_limited": rate_limited,
    "geo_blocked": html_status(403),
    "spot_signed_get_500": spot_signed_get_500,
}


def test_every_preset_has_a_wire_check() -> None:
    assert set(CHECKS) == set(SCENARIOS)


@pytest.mark.parametrize("name", sorted(CHECKS))
async def test_preset(aster: AsterTestClient, name: str) -> None:
    result = await aster.scenario(name)
    assert result["expect"] == SCENARIOS[name].expect
    await CHECKS[name](aster, key_of(result), result)


STANDARD_FAULT_PRESETS = {"http_500", "http_503_html", "timeout", "rate_limit", "geo_block"}


async def test_presets_are_listed_with_the_standard_fault_presets(aster: AsterTestClient) -> None:
    listed = (await aster.http.get("/_sim/scenarios")).json()
    assert set(listed) == set(SCENARIOS) | STANDARD_FAULT_PRESETS


async def test_standard_fault_preset_answers_in_aster_wording(aster: AsterTestClient) -> None:
    result = await aster.scenario("rate_limit")
    assert error_of(await balance(aster, key_of(result))) == (429, -1003)
    assert (await aster.control("faults", {})).status_code == 200
    assert await usdt(aster, key_of(result)) == "1000.00000000"  # the healthy preset underneath
