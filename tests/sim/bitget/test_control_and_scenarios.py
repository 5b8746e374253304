"""Bitget control-API round trips and every scenario preset, checked through the exchange's own endpoints."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from tests.sim.bitget.helpers import headers, scenario, signed_get, signed_post
from tradedock_sim.bitget.scenarios import SCENARIOS

ACCOUNT_INFO = "/api/v2/spot/account/info"
MIX_ACCOUNTS = "/api/v2/mix/account/accounts"
SINGLE_ACCOUNT = "/api/v2/mix/account/account"
BTCUSDT_QUERY = "marginCoin=USDT&productType=USDT-FUTURES&symbol=BTCUSDT"


async def _account(client: httpx.AsyncClient, **payload: Any) -> str:
    answer = await client.post("/_sim/accounts", json=payload)
    assert answer.status_code == 200, answer.text
    uid: str = answer.json()["uid"]
    return uid


async def _key(client: httpx.AsyncClient, **payload: Any) -> dict[str, Any]:
    answer = await client.post("/_sim/keys", json=payload)
    assert answer.status_code == 200, answer.text
    creds: dict[str, Any] = answer.json()
    return creds


async def test_keys_have_bitget_formats_and_a_supplied_passphrase_is_kept(client: httpx.AsyncClient) -> None:
    uid = await _account(client, account_mode="classic")
    assert re.fullmatch(r"\d{10}", uid)
    creds = await _key(client, uid=uid, permissions=["coow", "cpow", "stor"], passphrase="MyPass2024")
    assert re.fullmatch(r"bg_[0-9a-f]{32}", creds["api_key"])
    assert re.fullmatch(r"[0-9a-f]{64}", creds["secret"])
    assert creds["passphrase"] == "MyPass2024"
    generated = await _key(client, uid=uid, permissions=["coow"])
    assert re.fullmatch(r"[A-Za-z0-9]{8,32}", generated["passphrase"])
    assert generated["api_key"] != creds["api_key"]
    assert (await signed_get(client, creds, ACCOUNT_INFO)).json()["code"] == "00000"


async def test_account_info_reports_what_the_key_was_created_with(client: httpx.AsyncClient) -> None:
    uid = await _account(client, uid="5550001111", account_mode="classic")
    creds = await _key(
        client, uid=uid, permissions=["coow", "cpow", "stor", "wwow"], ips=["127.0.0.1", "10.0.0.2"], label="bot"
    )
    data = (await signed_get(client, creds, ACCOUNT_INFO)).json()["data"]
    assert (data["userId"], data["ips"], data["authorities"]) == (
        uid,
        "127.0.0.1,10.0.0.2",
        ["coow", "cpow", "stor", "wwow"],
    )


async def test_key_without_ips_reports_an_empty_whitelist(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "no_ip_whitelist"))["credentials"]
    assert (await signed_get(client, creds, ACCOUNT_INFO)).json()["data"]["ips"] == ""


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"permissions": ["futures"]}, "permissions.0"),
        ({"permissions": "coow"}, "permissions"),
        ({"permissions": ["coow"], "passphrase": "short1"}, "passphrase"),
        ({"permissions": ["coow"], "tamper": "everything"}, "tamper"),
        ({"permissions": ["coow"], "colour": "red"}, "colour"),
        ({"permissions": ["coow"], "environment": "mainnet"}, "environment"),
    ],
)
async def test_bad_key_payloads_name_the_field(client: httpx.AsyncClient, payload: dict[str, Any], field: str) -> None:
    uid = await _account(client)
    answer = await client.post("/_sim/keys", json={"uid": uid, **payload})
    assert answer.status_code == 400
    assert answer.json()["field"] == field


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"uid": "abc"}, "uid"),
        ({"balances": {"FUND": {"USDT": "1"}}}, "balances.FUND"),
        ({"margin_mode": "cross"}, "margin_mode"),
        ({"account_mode": "portfolio"}, "account_mode"),
    ],
)
async def test_bad_account_payloads_name_the_field(
    client: httpx.AsyncClient, payload: dict[str, Any], field: str
) -> None:
    answer = await client.post("/_sim/accounts", json=payload)
    assert answer.status_code == 400
    assert answer.json()["field"] == field


async def test_balances_per_wallet(client: httpx.AsyncClient) -> None:
    balances = {
        "spot": {"USDT": "12.5", "BTC": "0.1"},
        "USDT-FUTURES": {"USDT": "200"},
        "COIN-FUTURES": {"BTC": "0.02"},
    }
    uid = await _account(client, account_mode="classic", balances=balances)
    creds = await _key(client, uid=uid, permissions=["readonly"])
    spot = (await signed_get(client, creds, "/api/v2/spot/account/assets")).json()["data"]
    assert {row["coin"]: row["available"] for row in spot} == {"BTC": "0.1", "USDT": "12.5"}
    usdt = (await signed_get(client, creds, MIX_ACCOUNTS, "productType=USDT-FUTURES")).json()["data"]
    assert [(row["marginCoin"], row["accountEquity"], row["maxTransferOut"]) for row in usdt] == [
        ("USDT", "200", "200")
    ]
    coin = (await signed_get(client, creds, MIX_ACCOUNTS, "productType=COIN-FUTURES")).json()["data"]
    assert [(row["marginCoin"], row["accountEquity"]) for row in coin] == [("BTC", "0.02")]
    usdc = (await signed_get(client, creds, MIX_ACCOUNTS, "productType=USDC-FUTURES")).json()["data"]
    assert [(row["marginCoin"], row["accountEquity"]) for row in usdc] == [("USDC", "0")]


async def test_single_account_reports_position_and_margin_mode(client: httpx.AsyncClient) -> None:
    uid = await _account(client, account_mode="classic", position_mode="hedge", margin_mode="isolated")
    creds = await _key(client, uid=uid, permissions=["coow", "cpow"])
    data = (await signed_get(client, creds, SINGLE_ACCOUNT, BTCUSDT_QUERY)).json()["data"]
    assert (data["posMode"], data["marginMode"]) == ("hedge_mode", "isolated")


async def test_mode_changes_round_trip_when_nothing_is_open(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "hedge_mode"))["credentials"]
    answer = await signed_post(
        client,
        creds,
        "/api/v2/mix/account/set-position-mode",
        {"productType": "USDT-FUTURES", "posMode": "one_way_mode"},
    )
    assert answer.json()["data"] == {"posMode": "one_way_mode"}
    margin = {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT", "marginMode": "isolated"}
    answer = await signed_post(client, creds, "/api/v2/mix/account/set-margin-mode", margin)
    assert answer.json()["data"]["marginMode"] == "isolated"
    data = (await signed_get(client, creds, SINGLE_ACCOUNT, BTCUSDT_QUERY)).json()["data"]
    assert (data["posMode"], data["marginMode"]) == ("one_way_mode", "isolated")


async def test_mode_changes_are_refused_while_a_position_is_open(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "hedge_mode_locked"))["credentials"]
    answer = await signed_post(
        client,
        creds,
        "/api/v2/mix/account/set-position-mode",
        {"productType": "USDT-FUTURES", "posMode": "one_way_mode"},
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "40920")
    margin = {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT", "marginMode": "isolated"}
    answer = await signed_post(client, creds, "/api/v2/mix/account/set-margin-mode", margin)
    assert (answer.status_code, answer.json()["code"]) == (400, "45117")
    positions = (
        await signed_get(client, creds, "/api/v2/mix/position/all-position", "productType=USDT-FUTURES")
    ).json()
    assert [(p["symbol"], p["posMode"]) for p in positions["data"]] == [("BTCUSDT", "hedge_mode")]


async def test_missing_and_bad_parameters(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    assert (await signed_get(client, creds, MIX_ACCOUNTS)).json()["code"] == "40019"
    assert (await signed_get(client, creds, MIX_ACCOUNTS, "productType=SPOT")).json()["code"] == "40020"


async def test_unified_account_settings_and_assets(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "unified_account"))["credentials"]
    settings = (await signed_get(client, creds, "/api/v3/account/settings")).json()["data"]
    assert (settings["accountMode"], settings["holdMode"]) == ("unified", "one_way_mode")
    assets = (await signed_get(client, creds, "/api/v3/account/assets")).json()["data"]
    assert [(a["coin"], a["equity"]) for a in assets["assets"]] == [("USDT", "200")]
    assert assets["usdtEquity"] == "200"


async def test_reset_forgets_keys_and_clock(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    await client.post("/_sim/clock", json={"offset_ms": 5000})
    assert (await client.post("/_sim/reset")).status_code == 200
    assert (await signed_get(client, creds, ACCOUNT_INFO)).json()["code"] == "40037"


async def test_scenario_list_names_every_preset(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/_sim/scenarios")).json()
    required = {
        "healthy", "unified_account", "wrong_passphrase", "bad_secret", "unknown_key", "revoked", "demo_key_on_live",
        "withdraw_enabled", "transfer_enabled", "read_only", "spot_only", "ip_not_whitelisted", "no_ip_whitelist",
        "low_balance", "funds_in_spot_wallet", "hedge_mode", "clock_skew", "exchange_down", "maintenance",
        "timeout", "rate_limited", "geo_blocked",
        "http_500", "http_503_html", "rate_limit", "geo_block",  # the core's standard fault presets
    }  # fmt: skip
    assert required <= set(listed)
    assert all(entry["expect"] for entry in listed.values())


# Scenario -> (HTTP status, body code) of a first GET /api/v2/spot/account/info with the handed-out credentials.
FIRST_CALL = {
    "healthy": (200, "00000"),
    "futures_only": (400, "40014"),  # rule spot_read=spot_permission (the default)
    "unified_account": (400, "40085"),
    "wrong_passphrase": (400, "40012"),
    "bad_secret": (400, "40009"),
    "unknown_key": (400, "40037"),
    "revoked": (400, "40037"),
    "demo_key_on_live": (400, "40099"),
    "demo_account": (400, "40099"),
    "withdraw_enabled": (200, "00000"),
    "transfer_enabled": (200, "00000"),
    "read_only": (200, "00000"),
    "spot_only": (200, "00000"),
    "ip_not_whitelisted": (400, "40018"),
    "no_ip_whitelist": (200, "00000"),
    "low_balance": (200, "00000"),
    "funds_in_spot_wallet": (200, "00000"),
    "funds_in_funding_wallet": (200, "00000"),
    "hedge_mode": (200, "00000"),
    "hedge_mode_locked": (200, "00000"),
    "isolated_margin": (200, "00000"),
    "clock_skew": (400, "40008"),
    "rate_limited": (429, "429"),
}


def test_every_preset_has_an_expected_first_call_or_is_a_fault() -> None:
    faults = {name for name, preset in SCENARIOS.items() if preset.faults is not None}
    assert set(FIRST_CALL) | faults == set(SCENARIOS)


@pytest.mark.parametrize(("name", "expected"), sorted(FIRST_CALL.items()))
async def test_preset_first_call(client: httpx.AsyncClient, name: str, expected: tuple[int, str]) -> None:
    creds = (await scenario(client, name))["credentials"]
    # Stamp with the raw wall clock, the way an unadjusted client would (so clock_skew bites).
    stamp = int(time.time() * 1000)
    answer = await client.get(ACCOUNT_INFO, headers=headers(creds, "GET", ACCOUNT_INFO, timestamp_ms=stamp))
    assert (answer.status_code, answer.json()["code"]) == expected


@pytest.mark.parametrize(
    ("name", "authorities"),
    [("withdraw_enabled", ["coow", "cpow", "stor", "wwow"]), ("transfer_enabled", ["coow", "cpow", "stor", "wtow"]),
     ("spot_only", ["stow"]), ("read_only", ["readonly"])],
)  # fmt: skip
async def test_preset_authorities(client: httpx.AsyncClient, name: str, authorities: list[str]) -> None:
    creds = (await scenario(client, name))["credentials"]
    assert (await signed_get(client, creds, ACCOUNT_INFO)).json()["data"]["authorities"] == authorities


@pytest.mark.parametrize(
    ("name", "usdt_futures", "spot"), [("low_balance", "40", []), ("funds_in_spot_wallet", "0", [("USDT", "300")])]
)
async def test_balance_presets(client: httpx.AsyncClient, name: str, usdt_futures: str, spot: list[Any]) -> None:
    creds = (await scenario(client, name))["credentials"]
    futures = (await signed_get(client, creds, MIX_ACCOUNTS, "productType=USDT-FUTURES")).json()["data"]
    assert [row["accountEquity"] for row in futures] == [usdt_futures]
    rows = (await signed_get(client, creds, "/api/v2/spot/account/assets")).json()["data"]
    assert [(row["coin"], row["available"]) for row in rows] == [tuple(item) for item in spot]


@pytest.mark.parametrize(
    ("name", "status"),
    [("exchange_down", 500), ("maintenance", 503), ("geo_blocked", 403), ("http_500", 500), ("geo_block", 403)],
)
async def test_fault_presets_answer_non_json_errors(client: httpx.AsyncClient, name: str, status: int) -> None:
    await scenario(client, name)
    answer = await client.get("/api/v2/public/time")
    assert answer.status_code == status
    assert "text/html" in answer.headers["content-type"]
