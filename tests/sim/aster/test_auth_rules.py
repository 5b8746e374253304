"""Aster V3 auth rules over real requests to the simulator: nonce, binding, expiry, IP whitelist, permissions."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.sim.aster.conftest import AsterTestClient, error_of
from tests.sim.aster.signing import fresh_nonce, sign_msg
from tradedock_sim.aster import auth
from tradedock_sim.aster.errors import AsterError


class TestNonceBook:
    def test_duplicate_is_refused(self) -> None:
        book = auth.NonceBook()
        book.admit("live", "0xA", 5)
        with pytest.raises(AsterError) as refused:
            book.admit("live", "0xa", 5)  # addresses compare case-insensitively
        assert refused.value.code == -4225

    def test_out_of_order_nonces_are_fine_until_the_book_is_full(self) -> None:
        book = auth.NonceBook()
        for nonce in (10, 3, 7):
            book.admit("live", "0xA", nonce)

    def test_full_book_refuses_below_its_minimum_and_evicts_the_oldest(self) -> None:
        book = auth.NonceBook()
        for nonce in range(1000, 1000 + auth.NONCE_MEMORY):
            book.admit("live", "0xA", nonce)
        with pytest.raises(AsterError):
            book.admit("live", "0xA", 999)
        book.admit("live", "0xA", 5000)  # evicts 1000
        book.admit("live", "0xA", 1000 + auth.NONCE_MEMORY)
        with pytest.raises(AsterError):
            book.admit("live", "0xA", 1000)

    def test_books_are_per_user_and_environment(self) -> None:
        book = auth.NonceBook()
        book.admit("live", "0xA", 5)
        book.admit("live", "0xB", 5)
        book.admit("testnet", "0xA", 5)


class TestIpWhitelist:
    @pytest.mark.parametrize(
        ("entries", "ip", "allowed"),
        [
            ([], "203.0.113.5", True),
            (["*"], "203.0.113.5", True),
            (["203.0.113.5"], "203.0.113.5", True),
            (["203.0.113.6"], "203.0.113.5", False),
            (["1.2.3.4 203.0.113.0/24"], "203.0.113.5", True),
            (["1.2.3.4,203.0.113.5"], "203.0.113.5", True),
            (["1.2.3.4, 5.6.7.8"], "203.0.113.5", False),
            (["2001:db8::/32"], "2001:db8::1", True),
            (["not-an-ip"], "203.0.113.5", False),
        ],
    )
    def test_matching(self, entries: list[str], ip: str, allowed: bool) -> None:
        assert auth.ip_allowed(entries, ip) is allowed


class TestSignedRequests:
    async def test_signed_read_works_with_and_without_user(self, aster: AsterTestClient) -> None:
        key = await aster.funded_key()
        with_user = await aster.signed("GET", "/fapi/v3/balance", key)
        without_user = await aster.signed("GET", "/fapi/v3/balance", key, user=None)
        assert with_user.status_code == without_user.status_code == 200
        assert with_user.json()[0]["balance"] == "1000.00000000"

    async def test_post_with_signed_form_body(self, aster: AsterTestClient) -> None:
        key = await aster.funded_key()
        response = await aster.signed(
            "POST", "/fapi/v3/positionSide/dual", key, [("dualSidePosition", "true")], in_body=True
        )
        assert response.json() == {"code": 200, "msg": "success"}

    async def test_post_with_everything_in_the_query(self, aster: AsterTestClient) -> None:
        key = await aster.funded_key()
        response = await aster.signed("POST", "/fapi/v3/positionSide/dual", key, [("dualSidePosition", "true")])
        assert response.json() == {"code": 200, "msg": "success"}

    async def test_tampered_query_is_refused(self, aster: AsterTestClient) -> None:
        key = await aster.funded_key()
        nonce = fresh_nonce()
        msg = f"symbol=BTCUSDT&nonce={nonce}&user={key.main_wallet}&signer={key.api_wallet}"
        signature = sign_msg(msg, key.private_key, 1666)
        tampered = msg.replace("BTCUSDT", "ETHUSDT")
        response = await aster.http.get(f"/fapi/v3/positionRisk?{tampered}&signature={signature}")
        assert error_of(response) == (400, -1000)
        assert response.json()["msg"] == "Signature check failed"

    async def test_signature_over_the_unencoded_string_is_accepted(self, aster: AsterTestClient) -> None:
        """The official JS demo signs the raw string and sends it percent-encoded (aster.md §1.3)."""
        key = await aster.funded_key()
        raw = (
            f"symbol=BTCUSDT&newClientOrderId=a:b&nonce={fresh_nonce()}&user={key.main_wallet}&signer={key.api_wallet}"
        )
        signature = sign_msg(raw, key.private_key, 1666)
        sent = raw.replace("a:b", quote("a:b", safe=""))
        response = await aster.http.get(f"/fapi/v3/positionRisk?{sent}&signature={signature}")
        assert response.status_code == 200

    async def test_wrong_chain_id_is_refused(self, aster: AsterTestClient) -> None:
        key = await aster.funded_key()
        response = await aster.signed("GET", "/fapi/v3/balance", key, chain_id=714)
        assert error_of(response) == (400, -1000)

    async def test_testnet_prefix_needs_chain_714(self, aster: AsterTestClient) -> None:
        key = await aster.funded_key(environment="testnet")
        ok = await aster.signed("GET", "/fapi/v3/balance", key)  # testnet key: /testnet prefix, chainId 714
        wrong_chain = await aster.signed("GET", "/fapi/v3/balance", key, chain_id=1666)
        on_live = await aster.signed("GET", "/fapi/v3/balance", key, environment="live")
        assert ok.status_code == 200
        assert error_of(wrong_chain) == (400, -1000)
        assert error_of(on_live) == (400, -1000)

    async def test_replayed_nonce_is_refused(self, aster: AsterTestClient) -> None:
        key = await aster.funded_key()
        nonce = fresh_nonce()
        first = await aster.signed("GET", "/fapi/v3/balance", key, nonce=nonce)
        replay = await aster.signed("GET", "/fapi/v3/balance", key, nonce=nonce)
        assert first.status_code == 200
        assert error_of(replay) == (400, -4225)
        assert replay.json()["msg"] == "Nonce Expired"

    async def test_nonce_shared_by_two_agents_of_one_user_is_a_replay(self, aster: AsterTestClient) -> None:
        uid = await aster.account()
        first_key, second_key = await aster.key(uid), await aster.key(uid)
        nonce = fresh_nonce()
        assert (await aster.signed("GET", "/fapi/v3/balance", first_key, nonce=nonce)).status_code == 200
        assert error_of(await aster.signed("GET", "/fapi/v3/balance", second_key, nonce=nonce)) == (400, -4225)

    @pytest.mark.parametrize("offset_ms", [-11_000, 11_000])
    async def test_nonce_outside_ten_seconds_is_refused(self, aster: AsterTestClient, offset_ms: int) -> None:
        key = await aster.funded_key()
        response = await aster.signed("GET", "/fapi/v3/balance", key, nonce=fresh_nonce(offset_ms))
        assert error_of(response) == (400, -4225)

    async def test_nonce_follows_the_exchange_clock(self, aster: AsterTestClient) -> None:
        key = await aster.funded_key()
        await aster.control("clock", {"offset_ms": 30_000})
        stale = await aster.signed("GET", "/fapi/v3/balance", key)
        server_ms = (await aster.http.get("/fapi/v3/time")).json()["serverTime"]
        synced = await aster.signed("GET", "/fapi/v3/balance", key, nonce=server_ms * 1000)
        assert error_of(stale) == (400, -4225)
        assert synced.status_code == 200

    @pytest.mark.parametrize("missing", ["signer", "nonce", "signature"])
    async def test_missing_auth_param_is_named(self, aster: AsterTestClient, missing: str) -> None:
        key = await aster.funded_key()
        nonce = fresh_nonce()
        msg = f"nonce={nonce}&user={key.main_wallet}&signer={key.api_wallet}"
        query = f"{msg}&signature={sign_msg(msg, key.private_key, 1666)}"
        query = "&".join(pair for pair in query.split("&") if not pair.startswith(missing + "="))
        response = await aster.http.get(f"/fapi/v3/balance?{query}")
        assert error_of(response) == (400, -1102)
        assert f"'{missing}'" in response.json()["msg"]

    async def test_signer_not_approved_for_user_is_refused(self, aster: AsterTestClient) -> None:
        key = await aster.funded_key()
        other_user = await aster.account()
        response = await aster.signed("GET", "/fapi/v3/balance", key, user=other_user)
        assert error_of(response) == (400, -1000)

    async def test_unknown_signer_is_refused(self, aster: AsterTestClient) -> None:
        key = await aster.funded_key()
        stranger = "0x" + "12" * 32
        from eth_account import Account

        key.api_wallet, key.private_key = str(Account.from_key(stranger).address), stranger
        assert error_of(await aster.signed("GET", "/fapi/v3/balance", key)) == (400, -1000)

    async def test_main_wallet_signing_for_itself_is_refused(self, aster: AsterTestClient) -> None:
        scenario = await aster.scenario("main_wallet_key")
        credentials = scenario["credentials"]
        from tests.sim.aster.conftest import AsterKey

        as_itself = AsterKey(credentials["main_wallet"], credentials["private_key"], credentials["main_wallet"])
        assert error_of(await aster.signed("GET", "/fapi/v3/balance", as_itself)) == (400, -1000)

    async def test_expired_agent_is_refused(self, aster: AsterTestClient) -> None:
        uid = await aster.account()
        key = await aster.key(uid, expires_at=1_600_000_000_000)
        assert error_of(await aster.signed("GET", "/fapi/v3/balance", key)) == (400, -1000)

    async def test_deleted_agent_is_refused(self, aster: AsterTestClient) -> None:
        key = await aster.funded_key()
        assert (await aster.http.delete(f"/_sim/keys/{key.api_wallet}")).status_code == 200
        assert error_of(await aster.signed("GET", "/fapi/v3/balance", key)) == (400, -1000)

    async def test_ip_whitelist(self, aster: AsterTestClient) -> None:
        uid = await aster.account()
        key = await aster.key(uid, ips=["198.51.100.0/24, 203.0.113.9"])
        refused = await aster.signed("GET", "/fapi/v3/balance", key)
        await aster.control("config", {"client_ip": "198.51.100.20"})
        allowed = await aster.signed("GET", "/fapi/v3/balance", key)
        assert error_of(refused) == (400, -1011)
        assert refused.json()["msg"] == "This IP cannot access this route."
        assert allowed.status_code == 200

    async def test_forged_requests_do_not_burn_nonces(self, aster: AsterTestClient) -> None:
        key = await aster.funded_key()
        nonce = fresh_nonce()
        forged = await aster.signed("GET", "/fapi/v3/balance", key, nonce=nonce, chain_id=714)
        genuine = await aster.signed("GET", "/fapi/v3/balance", key, nonce=nonce)
        assert error_of(forged) == (400, -1000)
        assert genuine.status_code == 200


class TestPermissions:
    async def test_read_needs_can_read(self, aster: AsterTestClient) -> None:
        uid = await aster.account()
        key = await aster.key(uid, permissions={"canRead": False, "canPerpTrade": True})
        assert error_of(await aster.signed("GET", "/fapi/v3/balance", key)) == (400, -2015)

    async def test_agent_list_needs_only_an_approved_agent(self, aster: AsterTestClient) -> None:
        uid = await aster.account()
        key = await aster.key(uid, permissions={"canRead": False})
        assert (await aster.signed("GET", "/fapi/v3/agent", key)).status_code == 200

    @pytest.mark.parametrize(
        ("path", "params"),
        [
            ("/fapi/v3/positionSide/dual", [("dualSidePosition", "true")]),
            ("/fapi/v3/multiAssetsMargin", [("multiAssetsMargin", "true")]),
            ("/fapi/v3/marginType", [("symbol", "ETHUSDT"), ("marginType", "ISOLATED")]),
            ("/fapi/v3/leverage", [("symbol", "ETHUSDT"), ("leverage", "5")]),
            ("/fapi/v3/order/test", [("symbol", "ETHUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "1")]),
        ],
    )
    async def test_futures_trading_needs_can_perp_trade(
        self, aster: AsterTestClient, path: str, params: list[tuple[str, str]]
    ) -> None:
        uid = await aster.account()
        spot_only = await aster.key(uid, permissions={"canRead": True, "canSpotTrade": True, "canPerpTrade": False})
        perp = await aster.key(uid, permissions={"canRead": True, "canPerpTrade": True})
        refused = await aster.signed("POST", path, spot_only, params, in_body=True)
        allowed = await aster.signed("POST", path, perp, params, in_body=True)
        assert error_of(refused) == (400, -4088)
        assert allowed.status_code == 200, allowed.text
