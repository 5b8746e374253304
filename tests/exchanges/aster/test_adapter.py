"""`AsterAdapter` request shapes and parsing of the doc-example payloads (tests/exchanges/aster/fixtures)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from tradedock.clock import FrozenClock
from tradedock.domain import Balance, ContractType, Environment, MarginMode, Permission, PositionMode
from tradedock.errors import (
    AgentNotApprovedError,
    BadSignatureError,
    ExchangeTimeoutError,
    ExchangeUnavailableError,
    InvalidInputError,
    KeyExpiredError,
    RateLimitedError,
    TimestampRejectedError,
    UnexpectedResponseError,
)
from tradedock.exchanges.aster.adapter import AsterAdapter
from tradedock.exchanges.aster.signing import typed_data

from .conftest import DOC_AGENT, Keys, ScriptedExchange, fixture

MakeAdapter = Callable[..., AsterAdapter]


@pytest.fixture
def doc_keys(keys: Keys) -> Keys:
    """The doc example's agent address as API wallet (its key is unknown; a throwaway key signs)."""
    return Keys(DOC_AGENT, keys.private_key, keys.main_wallet)


class TestServerTime:
    async def test_parses_server_time(self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys) -> None:
        exchange.json("/fapi/v3/time", fixture("server_time"))
        adapter = make_adapter(keys.credentials())
        sample = await adapter.server_time()
        assert sample.server_ms == 1499827319559
        assert exchange.requests[0].url.host == "fapi.asterdex.com"
        assert exchange.requests[0].url.query == b""  # public: nothing signed

    async def test_garbage_is_unexpected(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys
    ) -> None:
        exchange.json("/fapi/v3/time", {"time": "soon"})
        with pytest.raises(UnexpectedResponseError):
            await make_adapter(keys.credentials()).server_time()


class TestSignedRequestShape:
    async def test_query_carries_auth_params_and_signature_last(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys, frozen_clock: FrozenClock
    ) -> None:
        exchange.json("/fapi/v3/balance", fixture("futures_balance"))
        adapter = make_adapter(keys.credentials())
        adapter.time_offset_ms = 1500
        await adapter._futures_balances()
        params = exchange.params()
        assert [k for k, _ in params] == ["nonce", "user", "signer", "signature"]
        values = dict(params)
        assert values["user"] == keys.main_wallet and values["signer"] == keys.api_wallet
        assert int(values["nonce"]) == frozen_clock.now_us() + 1_500_000
        raw = exchange.requests[-1].url.query.decode()
        msg, _, signature = raw.rpartition("&signature=")
        signable = encode_typed_data(full_message=typed_data(msg, 1666))
        assert Account.recover_message(signable, signature=signature) == keys.api_wallet

    async def test_testnet_uses_chain_714_and_testnet_hosts(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys
    ) -> None:
        exchange.json("/fapi/v3/balance", [])
        exchange.json("/api/v3/account", {"balances": []})
        adapter = make_adapter(keys.credentials(), Environment.TESTNET)
        assert adapter.chain_id == 714
        await adapter.balances()
        hosts = sorted(r.url.host for r in exchange.requests)
        assert hosts == ["fapi.asterdex-testnet.com", "sapi.asterdex-testnet.com"]
        raw = exchange.requests[0].url.query.decode()
        msg, _, signature = raw.rpartition("&signature=")
        signable = encode_typed_data(full_message=typed_data(msg, 714))
        assert Account.recover_message(signable, signature=signature) == keys.api_wallet

    async def test_each_call_gets_a_fresh_nonce(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys
    ) -> None:
        exchange.json("/fapi/v3/positionSide/dual", fixture("position_mode"))
        exchange.json("/fapi/v3/multiAssetsMargin", fixture("multi_assets_mode"))
        await make_adapter(keys.credentials()).position_settings(ContractType.USDT_M)
        nonces = {dict(exchange.params(i))["nonce"] for i in range(2)}
        assert len(nonces) == 2


class TestKeyInfo:
    async def test_doc_example_agent(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, doc_keys: Keys
    ) -> None:
        exchange.json("/fapi/v3/agent", fixture("agents"))
        info = await make_adapter(doc_keys.credentials()).key_info()
        assert info.permissions == {Permission.READ, Permission.SPOT_TRADE, Permission.FUTURES_TRADE}
        assert info.ips == ()
        assert info.expires_at == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=1867945395040)
        assert info.expires_at.date().isoformat() == "2029-03-11"  # as aster.md §4 reads the doc example
        assert info.label == "ross0001"
        assert info.uid == doc_keys.main_wallet  # EIP-55 form of the main wallet
        assert info.account_mode is None
        assert info.is_master is None  # not reported; False would mean "sub-account"
        assert not info.read_only
        assert info.native_permissions["canWithdraw"] is False
        assert info.native_permissions["source"] == "builder"

    async def test_agent_address_compared_case_insensitively(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, doc_keys: Keys
    ) -> None:
        exchange.json("/fapi/v3/agent", fixture("agents"))
        lower = Keys(DOC_AGENT.lower(), doc_keys.private_key, doc_keys.main_wallet.lower())
        info = await make_adapter(lower.credentials()).key_info()
        assert info.label == "ross0001"
        assert info.uid == doc_keys.main_wallet

    async def test_withdraw_whitelist_and_read_only(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys
    ) -> None:
        agents = [
            {"agentAddress": Account.create().address, "canRead": True, "canWithdraw": False},
            {
                "agentAddress": keys.api_wallet.lower(),
                "agentName": "",
                "ipWhitelist": "1.2.3.4 10.0.0.0/8,5.6.7.8",
                "expired": "1967945395040",
                "canRead": "true",
                "canSpotTrade": "false",
                "canPerpTrade": False,
                "canWithdraw": True,
            },
        ]
        exchange.json("/fapi/v3/agent", agents)
        info = await make_adapter(keys.credentials()).key_info()
        assert info.permissions == {Permission.READ, Permission.WITHDRAW}
        assert info.ips == ("1.2.3.4", "10.0.0.0/8", "5.6.7.8")
        assert info.ip_bound
        assert info.label is None
        assert not info.read_only

    async def test_read_only_agent(self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys) -> None:
        exchange.json("/fapi/v3/agent", [{"agentAddress": keys.api_wallet, "canRead": True, "expired": 0}])
        info = await make_adapter(keys.credentials()).key_info()
        assert info.permissions == {Permission.READ}
        assert info.read_only
        assert info.expires_at is None

    async def test_not_listed(self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys) -> None:
        exchange.json("/fapi/v3/agent", fixture("agents"))
        with pytest.raises(AgentNotApprovedError) as info:
            await make_adapter(keys.credentials()).key_info()
        assert "not an approved agent of that main wallet" in str(info.value)

    async def test_expired_agent(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, doc_keys: Keys, frozen_clock: FrozenClock
    ) -> None:
        exchange.json("/fapi/v3/agent", fixture("agents"))
        frozen_clock.set(datetime(2029, 3, 11, tzinfo=UTC) + timedelta(days=1))
        with pytest.raises(KeyExpiredError) as info:
            await make_adapter(doc_keys.credentials()).key_info()
        assert "2029-03-11" in str(info.value)


class TestBalances:
    async def test_futures_and_spot(self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys) -> None:
        exchange.json("/fapi/v3/balance", fixture("futures_balance"))
        exchange.json("/api/v3/account", fixture("spot_account"))
        balances = await make_adapter(keys.credentials()).balances()
        assert balances == (
            Balance("futures", "USDT", Decimal("122607.35137903"), Decimal("23.72469206"), Decimal("122607.35137903")),
            Balance("spot", "BTC", Decimal("4723846.89208129"), Decimal("4723846.89208129")),
            Balance("spot", "LTC", Decimal("4763368.68006011"), Decimal("4763368.68006011")),
        )
        assert {r.url.host for r in exchange.requests} == {"fapi.asterdex.com", "sapi.asterdex.com"}

    async def test_zero_rows_left_out_and_locked_counted(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys
    ) -> None:
        exchange.json("/fapi/v3/balance", [{"asset": "BNB", "balance": "0", "availableBalance": "0.0"}])
        exchange.json("/api/v3/account", {"balances": [{"asset": "ASTER", "free": "1.5", "locked": "2"}]})
        balances = await make_adapter(keys.credentials()).balances()
        assert balances == (Balance("spot", "ASTER", Decimal("3.5"), Decimal("1.5")),)

    async def test_spot_html_500_raises_unavailable(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys
    ) -> None:
        exchange.json("/fapi/v3/balance", fixture("futures_balance"))
        page = "<!DOCTYPE html><html><body>We're sorry, but something went wrong.</body></html>"
        exchange.on("/api/v3/account", httpx.Response(500, text=page, headers={"content-type": "text/html"}))
        with pytest.raises(ExchangeUnavailableError):
            await make_adapter(keys.credentials()).balances()


class TestPositionSettings:
    async def test_doc_examples_hedge_multi_asset(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys
    ) -> None:
        exchange.json("/fapi/v3/positionSide/dual", fixture("position_mode"))
        exchange.json("/fapi/v3/multiAssetsMargin", fixture("multi_assets_mode"))
        settings = await make_adapter(keys.credentials()).position_settings(ContractType.USDT_M)
        assert settings.position_mode is PositionMode.HEDGE
        assert settings.margin_mode is MarginMode.MULTI_ASSET

    async def test_one_way_single_asset(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys
    ) -> None:
        exchange.json("/fapi/v3/positionSide/dual", {"dualSidePosition": "false"})
        exchange.json("/fapi/v3/multiAssetsMargin", {"multiAssetsMargin": False})
        settings = await make_adapter(keys.credentials()).position_settings(ContractType.USDT_M)
        assert settings.position_mode is PositionMode.ONE_WAY
        assert settings.margin_mode is MarginMode.CROSS

    async def test_coin_margined_does_not_exist(self, make_adapter: MakeAdapter, keys: Keys) -> None:
        with pytest.raises(InvalidInputError) as info:
            await make_adapter(keys.credentials()).position_settings(ContractType.COIN_M)
        assert info.value.field == "contract"


class TestAccountInfo:
    async def test_account_flags(self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys) -> None:
        exchange.json("/fapi/v3/accountWithJoinMargin", {"feeTier": 0, "canTrade": True, "canWithdraw": True})
        info = await make_adapter(keys.credentials()).account_info()
        assert info.uid == keys.main_wallet
        assert info.account_mode is None
        assert info.native == {"feeTier": 0, "canTrade": True, "canWithdraw": True}

    async def test_falls_back_to_old_path_on_404(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys
    ) -> None:
        exchange.json("/fapi/v3/account", {"feeTier": 1, "canTrade": False})
        info = await make_adapter(keys.credentials()).account_info()
        assert info.native == {"feeTier": 1, "canTrade": False}
        assert [r.url.path for r in exchange.requests] == ["/fapi/v3/accountWithJoinMargin", "/fapi/v3/account"]


class TestErrors:
    async def test_signature_check_failed_with_matching_key_is_agent_not_approved(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys
    ) -> None:
        exchange.json("/fapi/v3/agent", fixture("signature_check_failed"), status=400)
        with pytest.raises(AgentNotApprovedError) as info:
            await make_adapter(keys.credentials()).key_info()
        assert info.value.code == "-1000"

    async def test_signature_check_failed_with_foreign_key_is_bad_signature(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys
    ) -> None:
        exchange.json("/fapi/v3/agent", fixture("signature_check_failed"), status=400)
        wrong = Keys(keys.api_wallet, "0x" + bytes(Account.create().key).hex(), keys.main_wallet)
        with pytest.raises(BadSignatureError):
            await make_adapter(wrong.credentials()).key_info()

    async def test_nonce_expired(self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys) -> None:
        exchange.json("/fapi/v3/balance", fixture("nonce_expired"), status=400)
        with pytest.raises(TimestampRejectedError):
            await make_adapter(keys.credentials())._futures_balances()

    @pytest.mark.parametrize("status", [429, 418])
    async def test_rate_limit_statuses(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys, status: int
    ) -> None:
        body = {"code": -1003, "msg": "Too many requests"}
        exchange.on("/fapi/v3/agent", httpx.Response(status, json=body, headers={"Retry-After": "7"}))
        with pytest.raises(RateLimitedError) as info:
            await make_adapter(keys.credentials()).key_info()
        assert info.value.retry_after_s == 7

    async def test_timeout(self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys) -> None:
        def boom(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("slow", request=request)

        exchange.on("/fapi/v3/agent", boom)
        with pytest.raises(ExchangeTimeoutError):
            await make_adapter(keys.credentials()).key_info()

    async def test_503_is_retried_once_with_a_new_nonce(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys
    ) -> None:
        exchange.on(
            "/fapi/v3/balance",
            httpx.Response(503, text="unavailable"),
            httpx.Response(200, json=fixture("futures_balance")),
        )
        balances = await make_adapter(keys.credentials())._futures_balances()
        assert len(balances) == 1
        assert len(exchange.requests) == 2
        assert dict(exchange.params(0))["nonce"] != dict(exchange.params(1))["nonce"]

    async def test_persistent_5xx_is_unavailable(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys
    ) -> None:
        exchange.on("/fapi/v3/balance", httpx.Response(502, text="bad gateway"))
        with pytest.raises(ExchangeUnavailableError):
            await make_adapter(keys.credentials())._futures_balances()
        assert len(exchange.requests) == 2

    async def test_success_envelope_is_not_an_error(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys
    ) -> None:
        exchange.json("/fapi/v3/positionSide/dual", {"code": 200, "msg": "success", "dualSidePosition": True})
        exchange.json("/fapi/v3/multiAssetsMargin", {"multiAssetsMargin": False})
        settings = await make_adapter(keys.credentials()).position_settings(ContractType.USDT_M)
        assert settings.position_mode is PositionMode.HEDGE


class TestCreateAdapter:
    def test_demo_is_not_an_aster_environment(self, keys: Keys) -> None:
        from tradedock.exchanges.aster import create_adapter

        with pytest.raises(InvalidInputError) as info:
            create_adapter(keys.credentials(), flavor=Environment.DEMO)
        assert info.value.field == "environment"

    async def test_base_url_serves_futures_and_spot(self, exchange: ScriptedExchange, keys: Keys) -> None:
        from tradedock.exchanges.aster import create_adapter
        from tradedock.exchanges.base import HttpOptions

        exchange.json("/testnet/fapi/v3/balance", [])
        exchange.json("/testnet/api/v3/account", {"balances": []})
        adapter = create_adapter(
            keys.credentials(),
            flavor=Environment.TESTNET,
            base_url="http://sim.local/testnet",
            http=HttpOptions(transport=httpx.MockTransport(exchange.handler)),
        )
        assert await adapter.balances() == ()
        assert sorted(str(r.url.copy_with(query=None)) for r in exchange.requests) == [
            "http://sim.local/testnet/api/v3/account",
            "http://sim.local/testnet/fapi/v3/balance",
        ]
        await adapter.aclose()

    def test_repr_hides_the_key(self, make_adapter: MakeAdapter, keys: Keys) -> None:
        adapter = make_adapter(keys.credentials())
        assert keys.private_key[2:] not in repr(adapter)
        assert keys.private_key[2:] not in repr(adapter.__dict__)


class TestLogging:
    async def test_logs_show_no_query_or_key(
        self, exchange: ScriptedExchange, make_adapter: MakeAdapter, keys: Keys, caplog: pytest.LogCaptureFixture
    ) -> None:
        import logging

        caplog.set_level(logging.DEBUG)
        exchange.json("/fapi/v3/balance", fixture("futures_balance"))
        exchange.on("/api/v3/account", httpx.Response(500, text="<html>down</html>"))
        with pytest.raises(ExchangeUnavailableError):
            await make_adapter(keys.credentials()).balances()
        # Our own loggers only: httpx's INFO logger prints full URLs (reported to the lead; http.py's concern).
        text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("tradedock"))
        assert "/fapi/v3/balance" in text  # the wrapper did log the calls
        assert "signature" not in text and "nonce" not in text
        assert keys.private_key[2:] not in text
