"""Bitget auth rules over HTTP: signature, passphrase, timestamp window, environment, account system, IP, limits.

Every expected code comes from reference/exchanges/bitget.md §1, §7-§9.
"""

from __future__ import annotations

import json

import httpx

from tests.sim.bitget.helpers import headers, scenario, signed_get, signed_post, sim_now

ACCOUNT_INFO = "/api/v2/spot/account/info"
SET_POSITION_MODE = "/api/v2/mix/account/set-position-mode"


def assert_error(answer: httpx.Response, code: str, status: int = 400) -> None:
    body = answer.json()
    assert (answer.status_code, body["code"], body["data"]) == (status, code, None), answer.text
    assert isinstance(body["msg"], str) and body["msg"]


async def test_healthy_key_reads_account_info(client: httpx.AsyncClient) -> None:
    preset = await scenario(client, "healthy")
    answer = await signed_get(client, preset["credentials"], ACCOUNT_INFO)
    body = answer.json()
    assert answer.status_code == 200 and body["code"] == "00000" and body["msg"] == "success"
    assert body["data"]["userId"] == preset["uid"]
    assert body["data"]["authorities"] == ["coow", "cpow", "stor"]
    assert body["data"]["ips"] == "127.0.0.1"


async def test_tampered_body_is_a_signature_error(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    signed_body = json.dumps({"productType": "USDT-FUTURES", "posMode": "one_way_mode"}, separators=(",", ":"))
    sent_body = signed_body.replace("one_way_mode", "hedge_mode")
    signed = headers(creds, "POST", SET_POSITION_MODE, timestamp_ms=await sim_now(client), body=signed_body)
    answer = await client.post(SET_POSITION_MODE, content=sent_body.encode(), headers=signed)
    assert_error(answer, "40009")


async def test_tampered_query_is_a_signature_error(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    path = "/api/v2/mix/account/accounts"
    signed = headers(creds, "GET", path, timestamp_ms=await sim_now(client), query="productType=USDT-FUTURES")
    answer = await client.get(path + "?productType=COIN-FUTURES", headers=signed)
    assert_error(answer, "40009")


async def test_untampered_post_succeeds(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    answer = await signed_post(
        client, creds, SET_POSITION_MODE, {"productType": "USDT-FUTURES", "posMode": "hedge_mode"}
    )
    assert answer.json() == {**answer.json(), "code": "00000", "data": {"posMode": "hedge_mode"}}


async def test_wrong_passphrase_is_40012(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    assert_error(await signed_get(client, {**creds, "passphrase": "Wrong12345"}, ACCOUNT_INFO), "40012")


async def test_wrong_secret_is_40009(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    assert_error(await signed_get(client, {**creds, "secret": "f" * 64}, ACCOUNT_INFO), "40009")


async def test_timestamp_older_than_30_seconds_is_expired(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    assert_error(await signed_get(client, creds, ACCOUNT_INFO, skew_ms=-31_000), "40008")
    assert_error(await signed_get(client, creds, "/api/v2/spot/account/assets", skew_ms=+31_000), "40008")


async def test_timestamp_within_30_seconds_is_accepted(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    answer = await signed_get(client, creds, ACCOUNT_INFO, skew_ms=-25_000)
    assert answer.json()["code"] == "00000"


async def test_malformed_timestamp_is_40005(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    signed = headers(creds, "GET", ACCOUNT_INFO, timestamp_ms=await sim_now(client))
    signed["ACCESS-TIMESTAMP"] = "yesterday"
    assert_error(await client.get(ACCOUNT_INFO, headers=signed), "40005")


async def test_replay_after_the_window_is_expired(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    captured = headers(creds, "GET", "/api/v2/spot/account/assets", timestamp_ms=await sim_now(client))
    first = await client.get("/api/v2/spot/account/assets", headers=captured)
    assert first.json()["code"] == "00000"
    await client.post("/_sim/clock", json={"offset_ms": 31_000})
    assert_error(await client.get("/api/v2/spot/account/assets", headers=captured), "40008")


async def test_missing_headers_have_their_own_codes(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    full = headers(creds, "GET", ACCOUNT_INFO, timestamp_ms=await sim_now(client))
    for header, code in (("ACCESS-KEY", "40001"), ("ACCESS-SIGN", "40002"), ("ACCESS-PASSPHRASE", "40011")):
        partial = {name: value for name, value in full.items() if name != header}
        assert_error(await client.get(ACCOUNT_INFO, headers=partial), code)


async def test_unknown_malformed_deleted_and_expired_keys(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    assert_error(await signed_get(client, {**creds, "api_key": "bg_" + "a" * 32}, ACCOUNT_INFO), "40037")
    assert_error(await signed_get(client, {**creds, "api_key": "not a key"}, ACCOUNT_INFO), "40006")
    assert (await client.delete(f"/_sim/keys/{creds['api_key']}")).status_code == 200
    assert_error(await signed_get(client, creds, ACCOUNT_INFO), "40037")

    uid = (await client.post("/_sim/accounts", json={"account_mode": "classic"})).json()["uid"]
    expired = await client.post(
        "/_sim/keys", json={"uid": uid, "permissions": ["coow"], "expires_at": await sim_now(client) - 1}
    )
    assert_error(await signed_get(client, expired.json(), ACCOUNT_INFO), "40037")


async def test_demo_key_without_paptrading_header_is_wrong_environment(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "demo_key_on_live"))["credentials"]
    assert_error(await signed_get(client, creds, ACCOUNT_INFO), "40099")
    assert (await signed_get(client, creds, ACCOUNT_INFO, demo=True)).json()["code"] == "00000"


async def test_live_key_with_paptrading_header_is_wrong_environment(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    assert_error(await signed_get(client, creds, ACCOUNT_INFO, demo=True), "40099")


async def test_public_endpoints_ignore_the_environment(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v2/public/time", headers={"paptrading": "1"})
    assert answer.json()["code"] == "00000"


async def test_unified_key_on_classic_endpoints_is_40085(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "unified_account"))["credentials"]
    assert_error(await signed_get(client, creds, ACCOUNT_INFO), "40085")
    assert_error(await signed_get(client, creds, "/api/v2/mix/account/accounts", "productType=USDT-FUTURES"), "40085")
    info = (await signed_get(client, creds, "/api/v3/account/info")).json()
    assert info["code"] == "00000"
    assert (info["data"]["permType"], info["data"]["permissions"]) == ("read-and-write", ["uta_mgt", "uta_trade"])


async def test_classic_key_on_unified_endpoints_is_40084(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    for path in ("/api/v3/account/info", "/api/v3/account/settings", "/api/v3/account/assets"):
        assert_error(await signed_get(client, creds, path), "40084")


async def test_ip_not_on_the_whitelist_is_40018(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]  # bound to 127.0.0.1
    assert (await signed_get(client, creds, ACCOUNT_INFO)).json()["code"] == "00000"
    await client.post("/_sim/config", json={"client_ip": "198.51.100.20"})
    assert_error(await signed_get(client, creds, "/api/v2/spot/account/assets"), "40018")


async def test_preset_bound_elsewhere_is_40018(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "ip_not_whitelisted"))["credentials"]
    assert_error(await signed_get(client, creds, ACCOUNT_INFO), "40018")


async def test_account_info_is_limited_to_one_request_per_second_per_uid(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    assert (await signed_get(client, creds, ACCOUNT_INFO)).json()["code"] == "00000"
    assert_error(await signed_get(client, creds, ACCOUNT_INFO), "429", status=429)
    # Another endpoint has its own budget.
    assert (await signed_get(client, creds, "/api/v2/spot/account/assets")).json()["code"] == "00000"


async def test_a_second_key_of_the_same_uid_shares_the_budget(client: httpx.AsyncClient) -> None:
    preset = await scenario(client, "healthy")
    second = (await client.post("/_sim/keys", json={"uid": preset["uid"], "permissions": ["readonly"]})).json()
    assert (await signed_get(client, preset["credentials"], ACCOUNT_INFO)).json()["code"] == "00000"
    assert_error(await signed_get(client, second, ACCOUNT_INFO), "429", status=429)


async def test_missing_permission_is_40014(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "read_only"))["credentials"]
    assert (await signed_get(client, creds, ACCOUNT_INFO)).json()["data"]["authorities"] == ["readonly"]
    payload = {"productType": "USDT-FUTURES", "symbol": "BTCUSDT", "marginCoin": "USDT", "marginMode": "isolated"}
    answer = await signed_post(client, creds, "/api/v2/mix/account/set-margin-mode", payload)
    assert_error(answer, "40014")
    assert "Incorrect permissions" in answer.json()["msg"]


async def test_post_without_json_content_type_is_40007(client: httpx.AsyncClient) -> None:
    creds = (await scenario(client, "healthy"))["credentials"]
    body = json.dumps({"productType": "USDT-FUTURES", "posMode": "hedge_mode"})
    signed = headers(creds, "POST", SET_POSITION_MODE, timestamp_ms=await sim_now(client), body=body)
    signed["Content-Type"] = "text/plain"
    assert_error(await client.post(SET_POSITION_MODE, content=body.encode(), headers=signed), "40007")


async def test_unknown_path_is_40404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/v2/spot/account/nothing-here"), "40404", status=404)


async def test_public_endpoints_are_limited_per_ip(client: httpx.AsyncClient) -> None:
    # GET /api/v2/public/time: 20 requests/s per IP (bitget.md §6/§8).
    codes = [(await client.get("/api/v2/public/time")).status_code for _ in range(21)]
    assert codes[:20] == [200] * 20
    assert_error(await client.get("/api/v2/public/time"), "429", status=429)


async def test_signature_over_the_decoded_query_is_accepted(client: httpx.AsyncClient) -> None:
    # ccxt signs the raw values and sends them URL-encoded (ccxt bitget.py sign()); Bitget accepts that.
    creds = (await scenario(client, "healthy"))["credentials"]
    path = "/api/v2/spot/account/assets"
    signed = headers(creds, "GET", path, timestamp_ms=await sim_now(client), query="coin=USDT")
    answer = await client.get(path + "?coin=US%44T", headers=signed)
    assert answer.json()["code"] == "00000"
