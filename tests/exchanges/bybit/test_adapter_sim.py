"""BybitAdapter against the Bybit simulator (tradedock_sim.bybit) over ``httpx.ASGITransport``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.exchanges.bybit.sim import PEER_IP, BybitSim, running_sim
from tradedock import errors as e
from tradedock.domain import AccountMode, ContractType, Environment, MarginMode, Permission, PositionMode

WHITELISTED_IP = "203.0.113.7"


@pytest.fixture
async def sim() -> AsyncIterator[BybitSim]:
    async for running in running_sim():
        yield running


@pytest.fixture
async def unified_uid(sim: BybitSim) -> str:
    return await sim.account(
        account_mode="unified",
        position_mode="hedge",
        margin_mode="REGULAR_MARGIN",
        balances={"UNIFIED": {"USDT": "1000", "BTC": "0.5"}, "FUND": {"USDC": "20"}},
    )


class TestHealthyKey:
    async def test_key_info(self, sim: BybitSim, unified_uid: str) -> None:
        await sim.post("/_sim/config", {"client_ip": WHITELISTED_IP})
        minted = await sim.key(unified_uid, ips=[WHITELISTED_IP], label="bot")
        adapter = sim.adapter(minted)
        info = await adapter.key_info()
        await adapter.aclose()
        assert info.uid == unified_uid
        assert info.permissions == {
            Permission.READ,
            Permission.SPOT_TRADE,
            Permission.FUTURES_TRADE,
            Permission.TRANSFER,
        }
        assert info.other_permissions == ("other:Derivatives.DerivativesTrade",)  # on every key by default
        assert info.native_permissions["Spot"] == ["SpotTrade"]
        assert info.ips == (WHITELISTED_IP,) and info.ip_bound
        assert info.expires_at is None  # IP-bound keys do not expire
        assert info.account_mode is AccountMode.UNIFIED
        assert info.is_master is True and info.read_only is False and info.label == "bot"

    async def test_account_balances_and_positions(self, sim: BybitSim, unified_uid: str) -> None:
        adapter = sim.adapter(await sim.key(unified_uid))
        account = await adapter.account_info()
        balances = {(b.wallet, b.coin): b for b in await adapter.balances()}
        usdt_m = await adapter.position_settings(ContractType.USDT_M)
        coin_m = await adapter.position_settings(ContractType.COIN_M)
        await adapter.aclose()
        assert (account.uid, account.account_mode, account.margin_mode) == (
            unified_uid,
            AccountMode.UNIFIED,
            MarginMode.CROSS,
        )
        assert account.is_subaccount is False
        assert set(balances) == {("UNIFIED", "USDT"), ("UNIFIED", "BTC"), ("FUND", "USDC")}
        assert balances["UNIFIED", "USDT"].total == Decimal(1000) == balances["UNIFIED", "USDT"].available
        assert balances["UNIFIED", "BTC"].total == Decimal("0.5")
        assert balances["UNIFIED", "BTC"].usd_value is not None and balances["UNIFIED", "BTC"].usd_value > 0
        assert balances["FUND", "USDC"].usd_value == Decimal(20)  # stablecoin at 1
        assert (usdt_m.position_mode, usdt_m.margin_mode) == (PositionMode.HEDGE, MarginMode.CROSS)
        assert coin_m.position_mode is PositionMode.ONE_WAY

    async def test_one_way_isolated_account(self, sim: BybitSim) -> None:
        uid = await sim.account(account_mode="unified", position_mode="one_way", margin_mode="ISOLATED_MARGIN")
        adapter = sim.adapter(await sim.key(uid))
        settings = await adapter.position_settings(ContractType.USDT_M)
        await adapter.aclose()
        assert (settings.position_mode, settings.margin_mode) == (PositionMode.ONE_WAY, MarginMode.ISOLATED)

    async def test_unbound_key_reports_expiry(self, sim: BybitSim, unified_uid: str) -> None:
        minted = await sim.key(unified_uid)
        adapter = sim.adapter(minted)
        info = await adapter.key_info()
        await adapter.aclose()
        assert not info.ip_bound
        expected = datetime.fromtimestamp(minted["expires_at"] / 1000, tz=UTC)
        assert info.expires_at is not None and abs(info.expires_at - expected) < timedelta(seconds=1)

    async def test_withdraw_and_read_only(self, sim: BybitSim, unified_uid: str) -> None:
        permissions = {"ContractTrade": ["Order", "Position"], "Wallet": ["Withdraw"]}
        adapter = sim.adapter(await sim.key(unified_uid, permissions=permissions, read_only=True))
        info = await adapter.key_info()
        await adapter.aclose()
        assert info.read_only is True
        assert info.permissions == {Permission.READ, Permission.WITHDRAW}

    async def test_sub_account_key(self, sim: BybitSim, unified_uid: str) -> None:
        adapter = sim.adapter(await sim.key(unified_uid, is_master=False))
        info = await adapter.key_info()
        account = await adapter.account_info()
        await adapter.aclose()
        assert info.is_master is False and info.parent_uid not in (None, "0")
        assert account.is_subaccount is True

    async def test_classic_account(self, sim: BybitSim) -> None:
        uid = await sim.account(account_mode="classic", balances={"CONTRACT": {"USDT": "50"}, "SPOT": {"BTC": "1"}})
        adapter = sim.adapter(await sim.key(uid))
        info = await adapter.key_info()
        account = await adapter.account_info()
        balances = await adapter.balances()
        await adapter.aclose()
        assert info.account_mode is AccountMode.CLASSIC and account.account_mode is AccountMode.CLASSIC
        assert {(b.wallet, b.coin, b.total) for b in balances} == {
            ("CONTRACT", "USDT", Decimal(50)),
            ("SPOT", "BTC", Decimal(1)),
        }

    async def test_demo_key_on_demo_host(self, sim: BybitSim, unified_uid: str) -> None:
        adapter = sim.adapter(await sim.key(unified_uid, environment="demo"), flavor=Environment.DEMO)
        assert (await adapter.key_info()).uid == unified_uid
        await adapter.aclose()


class TestRejectedKeys:
    async def test_bad_secret(self, sim: BybitSim, unified_uid: str) -> None:
        adapter = sim.adapter(await sim.key(unified_uid), secret="Z" * 36)
        with pytest.raises(e.BadSignatureError) as caught:
            await adapter.key_info()
        await adapter.aclose()
        assert caught.value.code == "10004"

    async def test_unknown_key(self, sim: BybitSim, unified_uid: str) -> None:
        adapter = sim.adapter(await sim.key(unified_uid), api_key="AAAAAAAAAAAAAAAAAA")
        with pytest.raises(e.UnknownKeyError):
            await adapter.key_info()
        await adapter.aclose()

    async def test_deleted_key(self, sim: BybitSim, unified_uid: str) -> None:
        minted = await sim.key(unified_uid)
        assert (await sim.control.delete(f"/_sim/keys/{minted['api_key']}")).status_code == 200
        adapter = sim.adapter(minted)
        with pytest.raises(e.UnknownKeyError):
            await adapter.account_info()
        await adapter.aclose()

    async def test_demo_key_on_live_host(self, sim: BybitSim, unified_uid: str) -> None:
        adapter = sim.adapter(await sim.key(unified_uid, environment="demo"), flavor=Environment.LIVE)
        with pytest.raises(e.UnknownKeyError) as caught:
            await adapter.key_info()
        await adapter.aclose()
        assert "environment" in caught.value.message
        assert "live (mainnet)" in caught.value.message

    async def test_ip_not_whitelisted(self, sim: BybitSim, unified_uid: str) -> None:
        adapter = sim.adapter(await sim.key(unified_uid, ips=[WHITELISTED_IP]))  # requests come from PEER_IP
        assert PEER_IP != WHITELISTED_IP
        with pytest.raises(e.IpNotAllowedError):
            await adapter.key_info()
        await adapter.aclose()

    async def test_expired_key(self, sim: BybitSim, unified_uid: str) -> None:
        adapter = sim.adapter(await sim.key(unified_uid, expires_at=1_000))
        with pytest.raises(e.KeyExpiredError):
            await adapter.key_info()
        await adapter.aclose()


class TestClock:
    @pytest.mark.parametrize("exchange_ahead_ms", [60_000, -30_000])
    async def test_offset_rejected_then_corrected(
        self, sim: BybitSim, unified_uid: str, exchange_ahead_ms: int
    ) -> None:
        await sim.post("/_sim/clock", {"offset_ms": exchange_ahead_ms})
        adapter = sim.adapter(await sim.key(unified_uid))
        with pytest.raises(e.TimestampRejectedError):
            await adapter.key_info()
        sample = await adapter.server_time()
        assert abs(sample.offset_ms - exchange_ahead_ms) < 1_000
        adapter.time_offset_ms = sample.offset_ms
        assert (await adapter.key_info()).uid == unified_uid
        await adapter.aclose()


class TestExchangeFaults:
    @pytest.mark.parametrize(
        ("fault", "expected"),
        [
            ("http_500", e.ExchangeUnavailableError),
            ("http_503_html", e.ExchangeUnavailableError),
            ("rate_limit", e.RateLimitedError),
            ("geo_block", e.GeoBlockedError),
        ],
    )
    async def test_fault_is_unreachable_never_invalid(
        self, sim: BybitSim, unified_uid: str, fault: str, expected: type[e.TradeDockError]
    ) -> None:
        adapter = sim.adapter(await sim.key(unified_uid))
        await sim.post("/_sim/faults", {"error": fault})
        with pytest.raises(expected) as caught:
            await adapter.key_info()
        with pytest.raises(expected):
            await adapter.server_time()
        await adapter.aclose()
        assert isinstance(caught.value, e.ExchangeUnreachableError)

    async def test_fault_limited_to_paths(self, sim: BybitSim, unified_uid: str) -> None:
        adapter = sim.adapter(await sim.key(unified_uid))
        await sim.post("/_sim/faults", {"error": "http_500", "paths": ["/v5/asset"]})
        assert (await adapter.key_info()).uid == unified_uid
        with pytest.raises(e.ExchangeUnavailableError):
            await adapter.balances()
        await adapter.aclose()

    async def test_ip_ban_after_600_requests_is_rate_limited(self, sim: BybitSim, unified_uid: str) -> None:
        # 600 requests per 5 s per IP, then a plain-text HTTP 403 (https://bybit-exchange.github.io/docs/v5/rate-limit).
        # TradeDock's own budget never sends that many, so another client on the same IP spends it first.
        adapter = sim.adapter(await sim.key(unified_uid))
        for _ in range(600):
            await sim.control.get("/v5/market/time")
        with pytest.raises(e.RateLimitedError) as caught:
            await adapter.server_time()
        await adapter.aclose()
        assert caught.value.code == "403"
