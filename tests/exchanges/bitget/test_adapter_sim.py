"""BitgetAdapter against the Bitget simulator (tradedock_sim), in process through httpx.ASGITransport.

The simulator implements Bitget's wire protocol from the reference independently of tradedock.exchanges; these
tests only use its DESIGN.md control API (/_sim/accounts, /_sim/keys, /_sim/config, /_sim/clock, /_sim/faults).
The timeout case runs over real loopback HTTP, because ASGITransport does not enforce client timeouts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tradedock.domain import (
    AccountMode,
    ContractType,
    Credentials,
    Environment,
    ExchangeId,
    MarginMode,
    Permission,
    PositionMode,
)
from tradedock.errors import (
    BadSignatureError,
    ExchangeTimeoutError,
    ExchangeUnavailableError,
    GeoBlockedError,
    IpNotAllowedError,
    RateLimitedError,
    TimestampRejectedError,
    UnknownKeyError,
    WrongEnvironmentError,
    WrongPassphraseError,
)
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.bitget import create_adapter
from tradedock.exchanges.bitget.adapter import BitgetAdapter
from tradedock_sim.app import create_app
from tradedock_sim.server import start_background

CALLER_IP = "198.51.100.7"
OTHER_IP = "203.0.113.10"


class Sim:
    """One in-process Bitget simulator, its control API, and adapters pointed at it."""

    def __init__(self) -> None:
        self.app = create_app("bitget")
        self.transport = httpx.ASGITransport(app=self.app, client=(CALLER_IP, 40123))
        self.control = httpx.AsyncClient(transport=self.transport, base_url="http://bitget.sim")
        self.adapters: list[BitgetAdapter] = []

    async def post(self, path: str, payload: dict[str, Any]) -> Any:
        response = await self.control.post(path, json=payload)
        assert response.status_code == 200, response.text
        return response.json()

    async def account(self, **fields: Any) -> str:
        return str((await self.post("/_sim/accounts", fields))["uid"])

    async def key(self, uid: str, permissions: list[str], **fields: Any) -> dict[str, str]:
        answer = await self.post("/_sim/keys", {"uid": uid, "permissions": permissions, **fields})
        return {name: answer[name] for name in ("api_key", "secret", "passphrase")}

    def adapter(self, fields: dict[str, str], *, flavor: Environment = Environment.LIVE) -> BitgetAdapter:
        adapter = create_adapter(
            Credentials(ExchangeId.BITGET, fields),
            flavor=flavor,
            base_url="http://bitget.sim",
            http=HttpOptions(transport=self.transport),
        )
        self.adapters.append(adapter)
        return adapter

    async def close(self) -> None:
        for adapter in self.adapters:
            await adapter.aclose()
        await self.control.aclose()


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    simulator = Sim()
    yield simulator
    await simulator.close()


async def healthy_classic(sim: Sim, **key_fields: Any) -> tuple[str, dict[str, str]]:
    uid = await sim.account(
        account_mode="classic",
        position_mode="hedge",
        margin_mode="isolated",
        balances={"spot": {"USDT": "50", "BTC": "0.1"}, "USDT-FUTURES": {"USDT": "200"}},
    )
    fields = {"ips": [CALLER_IP], **key_fields}
    return uid, await sim.key(uid, ["coow", "cpow", "stow"], **fields)


class TestClassicKey:
    async def test_key_info_account_info_balances_and_settings(self, sim: Sim) -> None:
        uid, fields = await healthy_classic(sim)
        adapter = sim.adapter(fields)
        key = await adapter.key_info()
        assert key.uid == uid
        assert key.account_mode is AccountMode.CLASSIC
        assert key.permissions == {Permission.READ, Permission.FUTURES_TRADE, Permission.SPOT_TRADE}
        assert key.ips == (CALLER_IP,)
        assert key.is_master is True

        account = await adapter.account_info()
        assert (account.uid, account.account_mode, account.is_subaccount) == (uid, AccountMode.CLASSIC, False)

        balances = {(b.wallet, b.coin): b for b in await adapter.balances()}
        assert balances[("USDT-FUTURES", "USDT")].total == Decimal("200")
        assert balances[("spot", "USDT")].usd_value == Decimal("50")
        assert balances[("spot", "BTC")].total == Decimal("0.1")

        settings = await adapter.position_settings(ContractType.USDT_M)
        assert (settings.position_mode, settings.margin_mode) == (PositionMode.HEDGE, MarginMode.ISOLATED)

    async def test_server_time_and_clock_offset(self, sim: Sim) -> None:
        _, fields = await healthy_classic(sim)
        await sim.post("/_sim/clock", {"offset_ms": 90_000})
        adapter = sim.adapter(fields)
        with pytest.raises(TimestampRejectedError) as caught:
            await adapter.key_info()
        assert caught.value.code == "40008"
        sample = await adapter.server_time()
        assert sample.offset_ms > 80_000
        adapter.time_offset_ms = sample.offset_ms
        assert (await adapter.key_info()).account_mode is AccountMode.CLASSIC

    @pytest.mark.parametrize("contract", list(ContractType))
    async def test_position_settings_for_every_contract_type(self, sim: Sim, contract: ContractType) -> None:
        _, fields = await healthy_classic(sim)
        settings = await sim.adapter(fields).position_settings(contract)
        assert settings.position_mode is PositionMode.HEDGE
        assert settings.margin_mode is MarginMode.ISOLATED

    async def test_concurrent_key_info_and_account_info_share_the_1_per_second_endpoint(self, sim: Sim) -> None:
        _, fields = await healthy_classic(sim)
        adapter = sim.adapter(fields)
        key, account = await asyncio.gather(adapter.key_info(), adapter.account_info())
        assert key.uid == account.uid

    async def test_withdraw_enabled_key(self, sim: Sim) -> None:
        uid = await sim.account(account_mode="classic")
        fields = await sim.key(uid, ["coow", "cpow", "stor", "wtow", "wwow"], ips=[CALLER_IP])
        key = await sim.adapter(fields).key_info()
        assert {Permission.WITHDRAW, Permission.TRANSFER} <= key.permissions
        assert key.read_only is False

    async def test_sub_account(self, sim: Sim) -> None:
        parent = await sim.account(account_mode="classic")
        uid = await sim.account(account_mode="classic", parent_uid=parent)
        fields = await sim.key(uid, ["coor", "cpor", "stor"])
        key = await sim.adapter(fields).key_info()
        assert (key.is_master, key.parent_uid, key.read_only) == (False, parent, True)


class TestKeyWithoutSpotRead:
    """GET /api/v2/spot/account/info needs a Spot permission (simulator rule spot_read, default): the adapter
    derives what it can from the futures endpoints instead of failing."""

    async def test_futures_only_key_is_derived_from_the_futures_accounts(self, sim: Sim) -> None:
        uid = await sim.account(account_mode="classic", balances={"USDT-FUTURES": {"USDT": "5"}})
        key = await sim.adapter(await sim.key(uid, ["coow", "cpow"], ips=[CALLER_IP])).key_info()
        assert (key.uid, key.permissions, key.ips_known, key.account_mode) == (
            "",
            frozenset({Permission.READ}),
            False,
            AccountMode.CLASSIC,
        )
        assert key.unconfirmed == {Permission.FUTURES_TRADE, Permission.WITHDRAW, Permission.TRANSFER}
        assert key.unreadable is not None and key.unreadable.what.startswith("Bitget did not let this key read")

    async def test_a_key_without_futures_reads_is_known_to_lack_futures_trading(self, sim: Sim) -> None:
        uid = await sim.account(account_mode="classic")
        adapter = sim.adapter(await sim.key(uid, ["wtor"], ips=[CALLER_IP]))
        key = await adapter.key_info()
        assert key.unconfirmed == {Permission.WITHDRAW, Permission.TRANSFER}
        assert (await adapter.account_info()).account_mode is AccountMode.CLASSIC


class TestUnifiedKey:
    async def test_40085_routes_to_v3_and_stays_there(self, sim: Sim) -> None:
        uid = await sim.account(account_mode="unified", balances={"USDT-FUTURES": {"USDT": "200"}})
        fields = await sim.key(uid, ["uta_mgt", "uta_trade"], ips=[CALLER_IP])
        adapter = sim.adapter(fields)
        key = await adapter.key_info()
        assert key.uid == uid
        assert key.account_mode is AccountMode.UNIFIED
        assert {Permission.SPOT_TRADE, Permission.FUTURES_TRADE} <= key.permissions
        assert adapter.account_mode is AccountMode.UNIFIED
        balances = await adapter.balances()
        assert {b.wallet for b in balances} == {"unified"}
        assert sum(b.total for b in balances if b.coin == "USDT") == Decimal("200")
        settings = await adapter.position_settings(ContractType.USDT_M)
        assert settings.position_mode is PositionMode.ONE_WAY
        assert (await adapter.account_info()).account_mode is AccountMode.UNIFIED

    async def test_one_concurrent_round_as_verification_runs_it(self, sim: Sim) -> None:
        uid = await sim.account(account_mode="unified", balances={"spot": {"USDT": "20"}})
        fields = await sim.key(uid, ["uta_mgt", "uta_trade", "withdraw"], ips=[CALLER_IP])
        adapter = sim.adapter(fields)
        key, account, balances, settings = await asyncio.gather(
            adapter.key_info(),
            adapter.account_info(),
            adapter.balances(),
            adapter.position_settings(ContractType.USDT_M),
        )
        assert key.account_mode is account.account_mode is AccountMode.UNIFIED
        assert Permission.WITHDRAW in key.permissions
        assert [(b.wallet, b.coin, b.total) for b in balances] == [("unified", "USDT", Decimal("20"))]
        assert settings.position_mode is PositionMode.ONE_WAY


class TestRejectedCredentials:
    async def test_wrong_passphrase(self, sim: Sim) -> None:
        _, fields = await healthy_classic(sim)
        with pytest.raises(WrongPassphraseError) as caught:
            await sim.adapter({**fields, "passphrase": "Wrong1234"}).key_info()
        assert caught.value.code in ("40012", "40036")
        assert "only the passphrase or the secret" in (caught.value.fix or "")

    async def test_bad_secret(self, sim: Sim) -> None:
        _, fields = await healthy_classic(sim)
        with pytest.raises(BadSignatureError) as caught:
            await sim.adapter({**fields, "secret": "f" * 64}).key_info()
        assert caught.value.code == "40009"

    async def test_unknown_key(self, sim: Sim) -> None:
        _, fields = await healthy_classic(sim)
        with pytest.raises(UnknownKeyError):
            await sim.adapter({**fields, "api_key": "bg_" + "0" * 32}).key_info()

    async def test_deleted_key(self, sim: Sim) -> None:
        _, fields = await healthy_classic(sim)
        deleted = await sim.control.delete(f"/_sim/keys/{fields['api_key']}")
        assert deleted.status_code == 200
        with pytest.raises(UnknownKeyError):
            await sim.adapter(fields).key_info()

    async def test_demo_key_on_live(self, sim: Sim) -> None:
        _, fields = await healthy_classic(sim, environment="demo")
        with pytest.raises(WrongEnvironmentError) as caught:
            await sim.adapter(fields).key_info()
        assert caught.value.code == "40099"

    async def test_demo_key_in_demo_works(self, sim: Sim) -> None:
        uid, fields = await healthy_classic(sim, environment="demo")
        assert (await sim.adapter(fields, flavor=Environment.DEMO).key_info()).uid == uid

    async def test_live_key_in_demo_is_wrong_environment(self, sim: Sim) -> None:
        _, fields = await healthy_classic(sim)
        with pytest.raises(WrongEnvironmentError):
            await sim.adapter(fields, flavor=Environment.DEMO).key_info()

    async def test_ip_not_whitelisted(self, sim: Sim) -> None:
        _, fields = await healthy_classic(sim, ips=[OTHER_IP])
        with pytest.raises(IpNotAllowedError) as caught:
            await sim.adapter(fields).key_info()
        assert caught.value.code in ("40018", "40038")


FaultCall = Callable[[BitgetAdapter], Awaitable[object]]


class TestExchangeFaults:
    @pytest.mark.parametrize(
        ("fault", "error"),
        [
            ("http_500", ExchangeUnavailableError),
            ("http_503_html", ExchangeUnavailableError),
            ("rate_limit", RateLimitedError),
            ("geo_block", GeoBlockedError),
        ],
    )
    @pytest.mark.parametrize("call", ["key_info", "balances", "server_time"])
    async def test_faults_are_unreachable_errors(self, sim: Sim, fault: str, error: type[Exception], call: str) -> None:
        _, fields = await healthy_classic(sim)
        await sim.post("/_sim/faults", {"error": fault, "paths": ["/api"]})
        adapter = sim.adapter(fields)
        with pytest.raises(error):
            await getattr(adapter, call)()

    async def test_timeout_over_loopback(self) -> None:
        sims = start_background(["bitget"])
        try:
            url = sims.urls["bitget"]
            async with httpx.AsyncClient(base_url=url) as control:
                uid = (await control.post("/_sim/accounts", json={"account_mode": "classic"})).json()["uid"]
                answer = (await control.post("/_sim/keys", json={"uid": uid, "permissions": ["coow"]})).json()
                await control.post("/_sim/faults", json={"error": "timeout", "paths": ["/api"]})
            fields = {name: answer[name] for name in ("api_key", "secret", "passphrase")}
            adapter = create_adapter(
                Credentials(ExchangeId.BITGET, fields),
                flavor=Environment.LIVE,
                base_url=url,
                http=HttpOptions(timeout_s=0.3, connect_timeout_s=0.3),
            )
            with pytest.raises(ExchangeTimeoutError):
                await adapter.key_info()
            await adapter.aclose()
        finally:
            sims.stop()
