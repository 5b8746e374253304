"""`AsterAdapter` against the Aster simulator (tradedock_sim.aster) in-process via httpx.ASGITransport.

The simulator checks signatures independently of tradedock.exchanges (written from Aster's docs), so these
tests show the adapter and a doc-faithful server agree. Signing correctness itself is proven only by
tests/vectors (test_signing.py).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn

from tradedock.clock import FrozenClock, SystemClock
from tradedock.domain import ContractType, Credentials, Environment, ExchangeId, MarginMode, Permission, PositionMode
from tradedock.errors import (
    AgentNotApprovedError,
    BadSignatureError,
    ExchangeTimeoutError,
    ExchangeUnavailableError,
    GeoBlockedError,
    IpNotAllowedError,
    KeyExpiredError,
    PermissionDeniedError,
    RateLimitedError,
    TimestampRejectedError,
)
from tradedock.exchanges.aster import SPEC, create_adapter
from tradedock.exchanges.aster.adapter import AsterAdapter
from tradedock.exchanges.aster.signing import NonceMemory, NonceSource
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.http import ExchangeHttp
from tradedock_sim.app import create_app

ROOT = "http://aster.sim"
HEALTHY = {"canRead": True, "canPerpTrade": True, "canSpotTrade": False, "canWithdraw": False}


class Sim:
    """One in-process simulator app plus helpers for its control API."""

    def __init__(self) -> None:
        self.app = create_app("aster")
        self.transport = httpx.ASGITransport(app=self.app)
        self.control = httpx.AsyncClient(transport=self.transport, base_url=ROOT)

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.control.post(path, json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def account(self, **fields: Any) -> str:
        return str((await self.post("/_sim/accounts", fields))["uid"])

    async def key(self, uid: str, permissions: dict[str, bool] | None = None, **fields: Any) -> Credentials:
        minted = await self.post("/_sim/keys", {"uid": uid, "permissions": permissions or HEALTHY, **fields})
        return Credentials(ExchangeId.ASTER, {f: minted[f] for f in ("api_wallet", "private_key", "main_wallet")})

    def adapter(
        self, creds: Credentials, flavor: Environment = Environment.LIVE, path: str | None = None, **options: Any
    ) -> AsterAdapter:
        prefix = SPEC.sandbox_paths[flavor] if path is None else path
        return create_adapter(
            creds, flavor=flavor, base_url=ROOT + prefix, http=HttpOptions(transport=self.transport, **options)
        )


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    s = Sim()
    yield s
    await s.control.aclose()


@pytest.fixture
async def healthy(sim: Sim) -> Credentials:
    uid = await sim.account(
        balances={"futures": {"USDT": "1500.5"}, "spot": {"ASTER": "20"}},
        position_mode="hedge",
        margin_mode="multi_assets",
    )
    return await sim.key(uid, label="tradedock")


class TestHealthy:
    async def test_every_read(self, sim: Sim, healthy: Credentials) -> None:
        assert SPEC.inspect_credentials(healthy) == ()
        adapter = sim.adapter(healthy)
        sample = await adapter.server_time()
        assert abs(sample.offset_ms) < 5_000
        info = await adapter.key_info()
        assert info.permissions == {Permission.READ, Permission.FUTURES_TRADE}
        assert info.uid.lower() == healthy["main_wallet"].lower()
        assert info.expires_at is not None and info.expires_at > datetime.now(UTC)
        assert info.ips == ()
        balances = {(b.wallet, b.coin): b.total for b in await adapter.balances()}
        assert balances[("futures", "USDT")] == 1500.5
        assert balances[("spot", "ASTER")] == 20
        settings = await adapter.position_settings(ContractType.USDT_M)
        assert settings.position_mode is PositionMode.HEDGE
        assert settings.margin_mode is MarginMode.MULTI_ASSET
        account = await adapter.account_info()
        assert account.uid == info.uid
        await adapter.aclose()

    async def test_one_way_single_asset(self, sim: Sim) -> None:
        creds = await sim.key(await sim.account(position_mode="one_way", margin_mode="single_asset"))
        settings = await sim.adapter(creds).position_settings(ContractType.USDT_M)
        assert settings.position_mode is PositionMode.ONE_WAY
        assert settings.margin_mode is MarginMode.CROSS

    async def test_testnet_key_on_testnet(self, sim: Sim) -> None:
        creds = await sim.key(await sim.account(), environment="testnet")
        info = await sim.adapter(creds, Environment.TESTNET).key_info()
        assert Permission.FUTURES_TRADE in info.permissions

    async def test_server_offset_is_measured_and_used(self, sim: Sim, healthy: Credentials) -> None:
        await sim.post("/_sim/clock", {"offset_ms": 45_000})
        adapter = sim.adapter(healthy)
        with pytest.raises(TimestampRejectedError):
            await adapter.key_info()
        adapter.time_offset_ms = (await adapter.server_time()).offset_ms
        assert abs(adapter.time_offset_ms - 45_000) < 5_000
        await adapter.key_info()


class TestAgentProblems:
    async def test_agent_of_another_main_wallet(self, sim: Sim) -> None:
        creds = await sim.key(await sim.account(sim_credentials="other_main_wallet"))
        assert SPEC.inspect_credentials(creds) == ()  # nothing to see locally
        with pytest.raises(AgentNotApprovedError):
            await sim.adapter(creds).key_info()

    async def test_expired_agent(self, sim: Sim) -> None:
        uid = await sim.account()
        creds = await sim.key(uid, expires_at=int(datetime.now(UTC).timestamp() * 1000) - 60_000)
        with pytest.raises((AgentNotApprovedError, KeyExpiredError)):
            await sim.adapter(creds).key_info()

    async def test_removed_agent(self, sim: Sim, healthy: Credentials) -> None:
        response = await sim.control.delete(f"/_sim/keys/{healthy['api_wallet']}")
        assert response.status_code == 200
        with pytest.raises((AgentNotApprovedError, KeyExpiredError)):
            await sim.adapter(healthy).key_info()

    async def test_main_wallet_key_pasted(self, sim: Sim) -> None:
        creds = await sim.key(await sim.account(sim_credentials="main_wallet_key"))
        assert [f.problem for f in SPEC.inspect_credentials(creds)] == ["main_wallet_key"]
        with pytest.raises(BadSignatureError):
            await sim.adapter(creds).key_info()

    async def test_key_of_another_api_wallet(self, sim: Sim) -> None:
        creds = await sim.key(await sim.account(sim_credentials="other_api_wallet_key"))
        assert [f.problem for f in SPEC.inspect_credentials(creds)] == ["other_api_wallet"]
        with pytest.raises(BadSignatureError):
            await sim.adapter(creds).key_info()


class TestPermissions:
    async def test_agent_without_read(self, sim: Sim) -> None:
        permissions = {"canRead": False, "canPerpTrade": True, "canSpotTrade": False, "canWithdraw": False}
        creds = await sim.key(await sim.account(), permissions)
        adapter = sim.adapter(creds)
        info = await adapter.key_info()  # the agent list needs no canRead ("any authorized signer")
        assert info.permissions == {Permission.FUTURES_TRADE}
        with pytest.raises(PermissionDeniedError):
            await adapter.balances()


class TestEnvironments:
    async def test_testnet_key_on_live(self, sim: Sim) -> None:
        creds = await sim.key(await sim.account(), environment="testnet")
        with pytest.raises(AgentNotApprovedError):
            await sim.adapter(creds, Environment.LIVE).key_info()

    async def test_live_key_on_testnet(self, sim: Sim, healthy: Credentials) -> None:
        with pytest.raises(AgentNotApprovedError):
            await sim.adapter(healthy, Environment.TESTNET).key_info()

    async def test_chain_id_mismatch(self, sim: Sim, healthy: Credentials) -> None:
        # A live key signed with the testnet chainId (714) and sent to the live root: the signature fails.
        with pytest.raises(AgentNotApprovedError):
            await sim.adapter(healthy, Environment.TESTNET, path="").key_info()


class TestIpWhitelist:
    async def test_ip_not_whitelisted(self, sim: Sim) -> None:
        creds = await sim.key(await sim.account(), ips=["203.0.113.7"])
        await sim.post("/_sim/config", {"client_ip": "198.51.100.9"})
        with pytest.raises(IpNotAllowedError):
            await sim.adapter(creds).key_info()

    async def test_whitelisted_ip_and_withdraw_enabled(self, sim: Sim) -> None:
        permissions = {**HEALTHY, "canWithdraw": True}
        creds = await sim.key(await sim.account(), permissions, ips=["203.0.113.0/24", "198.51.100.9"])
        await sim.post("/_sim/config", {"client_ip": "198.51.100.9"})
        info = await sim.adapter(creds).key_info()
        assert Permission.WITHDRAW in info.permissions
        assert set(info.ips) == {"203.0.113.0/24", "198.51.100.9"}
        assert info.ip_bound


class TestNonces:
    async def test_replayed_nonce_is_refused(self, sim: Sim, healthy: Credentials) -> None:
        clock = FrozenClock(datetime.now(UTC))  # two processes, same signer, same microsecond

        def separate_process() -> AsterAdapter:
            http = ExchangeHttp("aster", ROOT, HttpOptions(transport=sim.transport))
            nonces = NonceSource(clock, memory=NonceMemory())
            return AsterAdapter(healthy, flavor=Environment.LIVE, futures=http, spot=http, clock=clock, nonces=nonces)

        await separate_process().key_info()
        with pytest.raises(TimestampRejectedError):
            await separate_process().key_info()

    async def test_many_quick_calls_never_collide(self, sim: Sim, healthy: Credentials) -> None:
        adapter = sim.adapter(healthy, clock=SystemClock())
        await asyncio.gather(*(adapter.key_info() for _ in range(20)))


class TestFaults:
    @pytest.mark.parametrize(
        ("fault", "expected"),
        [
            ("http_500", ExchangeUnavailableError),
            ("http_503_html", ExchangeUnavailableError),
            ("rate_limit", RateLimitedError),
            ("geo_block", GeoBlockedError),
        ],
    )
    async def test_fault(self, sim: Sim, healthy: Credentials, fault: str, expected: type[Exception]) -> None:
        await sim.post("/_sim/faults", {"error": fault})
        adapter = sim.adapter(healthy)
        with pytest.raises(expected):
            await adapter.key_info()
        with pytest.raises(expected):
            await adapter.server_time()

    async def test_spot_html_500_fails_balances_only(self, sim: Sim, healthy: Credentials) -> None:
        await sim.post("/_sim/faults", {"error": "http_500", "paths": ["/api/v3/account"]})
        adapter = sim.adapter(healthy)
        with pytest.raises(ExchangeUnavailableError):
            await adapter.balances()
        assert (await adapter.position_settings(ContractType.USDT_M)).position_mode is PositionMode.HEDGE


@pytest.fixture
def loopback_sim() -> Iterator[str]:
    """The same simulator served by uvicorn on 127.0.0.1 (timeouts need a real socket)."""
    sim = Sim()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(sim.app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sim.app.state.sim.reset()  # ends the hanging request
    server.should_exit = True
    thread.join(10)
    sock.close()


class TestTimeout:
    async def test_hang_is_a_timeout(self, loopback_sim: str) -> None:
        url = loopback_sim
        async with httpx.AsyncClient(base_url=url) as control:

            async def post(path: str, body: dict[str, Any]) -> Any:
                response = await control.post(path, json=body)
                assert response.status_code == 200, response.text
                return response.json()

            uid = (await post("/_sim/accounts", {}))["uid"]
            minted = await post("/_sim/keys", {"uid": uid, "permissions": HEALTHY})
            creds = Credentials(ExchangeId.ASTER, {f: minted[f] for f in ("api_wallet", "private_key", "main_wallet")})
            await post("/_sim/faults", {"error": "timeout", "paths": ["/fapi/v3/agent"]})
            adapter = create_adapter(creds, flavor=Environment.LIVE, base_url=url, http=HttpOptions(timeout_s=0.5))
            with pytest.raises(ExchangeTimeoutError):
                await adapter.key_info()
            await adapter.aclose()
