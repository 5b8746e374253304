"""BitgetAdapter against a scripted Bitget (httpx.MockTransport serving the documented payloads).

The scripted exchange stands in for Bitget itself, not for our code: routing between V2 and V3, request shape,
envelope handling and transport faults run for real. Adapter-vs-simulator tests live in test_adapter_sim.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tradedock.clock import FrozenClock
from tradedock.domain import AccountMode, ContractType, Credentials, Environment, ExchangeId, Permission, PositionMode
from tradedock.errors import (
    AccountModeMismatchError,
    ExchangeTimeoutError,
    ExchangeUnavailableError,
    GeoBlockedError,
    PermissionDeniedError,
    RateLimitedError,
    UnexpectedResponseError,
    UnknownKeyError,
    WrongEnvironmentError,
    WrongPassphraseError,
)
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.bitget import create_adapter
from tradedock.exchanges.bitget.adapter import BitgetAdapter

FIXTURES = Path(__file__).parent / "fixtures"
KEY, SECRET, PASSPHRASE = "bg_0123456789abcdef0123456789abcdef", "0123456789abcdef" * 4, "MyPass2024"
UTA = {"code": "40085", "msg": "You are in Unified Account mode, and the Classic Account API is not supported"}
CLASSIC = {"code": "40084", "msg": "You are in Classic Account mode, and the Unified Account API is not supported"}

Reply = dict[str, Any] | httpx.Response


def fixture(name: str) -> dict[str, Any]:
    response: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())["response"]
    return response


class ScriptedBitget:
    """Answers by path; records every request."""

    def __init__(self, routes: dict[str, Reply | Callable[[httpx.Request], Reply]]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.routes.get(request.url.path)
        if callable(reply):
            reply = reply(request)
        if reply is None:
            return httpx.Response(404, json={"code": "40404", "msg": "Request URL NOT FOUND", "data": None})
        if isinstance(reply, httpx.Response):
            return reply
        status = 200 if reply.get("code") == "00000" else 400
        return httpx.Response(status, json=reply)


def adapter_for(exchange: ScriptedBitget, *, demo: bool = False, clock: FrozenClock | None = None) -> BitgetAdapter:
    credentials = Credentials(ExchangeId.BITGET, {"api_key": KEY, "secret": SECRET, "passphrase": PASSPHRASE})
    options = HttpOptions(transport=httpx.MockTransport(exchange), clock=clock or FrozenClock())
    flavor = Environment.DEMO if demo else Environment.LIVE
    return create_adapter(credentials, flavor=flavor, base_url="https://bitget.test", http=options)


CLASSIC_ROUTES: dict[str, Reply | Callable[[httpx.Request], Reply]] = {
    "/api/v2/public/time": fixture("server_time"),
    "/api/v2/spot/account/info": fixture("v2_account_info"),
    "/api/v2/spot/account/assets": fixture("spot_assets"),
    "/api/v2/mix/account/accounts": fixture("mix_accounts_usdt"),
    "/api/v2/mix/account/account": fixture("mix_account_single"),
    # https://www.bitget.com/api-doc/common/account/Funding-Assets (documented shape)
    "/api/v2/account/funding-assets": {
        "code": "00000",
        "msg": "success",
        "requestTime": 1700000000000,
        "data": [{"coin": "USDT", "available": "25", "frozen": "5", "usdtValue": "30"}],
    },
    "/api/v3/account/info": CLASSIC,
    "/api/v3/account/settings": CLASSIC,
    "/api/v3/account/assets": CLASSIC,
    "/api/v3/account/funding-assets": CLASSIC,
}
UNIFIED_ROUTES: dict[str, Reply | Callable[[httpx.Request], Reply]] = {
    "/api/v2/public/time": fixture("server_time"),
    "/api/v2/spot/account/info": UTA,
    "/api/v2/spot/account/assets": UTA,
    "/api/v2/mix/account/accounts": UTA,
    "/api/v2/mix/account/account": UTA,
    "/api/v3/account/info": fixture("v3_account_info"),
    "/api/v3/account/settings": fixture("v3_settings"),
    "/api/v3/account/assets": fixture("v3_assets"),
    "/api/v3/account/funding-assets": fixture("v3_funding_assets"),
}


class TestServerTime:
    async def test_reads_server_time_unsigned(self) -> None:
        exchange = ScriptedBitget(CLASSIC_ROUTES)
        adapter = adapter_for(exchange, demo=True)
        sample = await adapter.server_time()
        await adapter.aclose()
        assert sample.server_ms == 1688008631614
        (request,) = exchange.requests
        assert "ACCESS-SIGN" not in request.headers
        assert "paptrading" not in request.headers


class TestClassicAccount:
    async def test_key_info_is_one_request_with_signed_headers(self) -> None:
        exchange = ScriptedBitget(CLASSIC_ROUTES)
        clock = FrozenClock()
        adapter = adapter_for(exchange, clock=clock)
        adapter.time_offset_ms = 1234
        key = await adapter.key_info()
        await adapter.aclose()
        assert exchange.paths() == ["/api/v2/spot/account/info"]
        headers = exchange.requests[0].headers
        assert headers["ACCESS-KEY"] == KEY
        assert headers["ACCESS-PASSPHRASE"] == PASSPHRASE
        assert headers["ACCESS-TIMESTAMP"] == str(clock.now_ms() + 1234)
        assert headers["ACCESS-SIGN"]
        assert "paptrading" not in headers
        assert key.account_mode is AccountMode.CLASSIC
        assert adapter.account_mode is AccountMode.CLASSIC

    async def test_key_info_and_account_info_share_one_request(self) -> None:
        exchange = ScriptedBitget(CLASSIC_ROUTES)
        adapter = adapter_for(exchange)
        key = await adapter.key_info()
        account = await adapter.account_info()
        await adapter.aclose()
        assert exchange.paths() == ["/api/v2/spot/account/info"]
        assert account.uid == key.uid == "1234567890"
        assert account.account_mode is AccountMode.CLASSIC
        assert account.is_subaccount is True
        assert account.native["endpoint"] == "/api/v2/spot/account/info"

    async def test_balances_read_spot_and_every_futures_type(self) -> None:
        exchange = ScriptedBitget(CLASSIC_ROUTES)
        adapter = adapter_for(exchange)
        balances = await adapter.balances()
        await adapter.aclose()
        queries = sorted(r.url.query.decode() for r in exchange.requests if r.url.path.endswith("/accounts"))
        assert queries == ["productType=COIN-FUTURES", "productType=USDC-FUTURES", "productType=USDT-FUTURES"]
        wallets = {b.wallet for b in balances}
        assert wallets == {"spot", "USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES", "funding"}
        assert sum(b.usd_value or 0 for b in balances if b.wallet == "spot") == Decimal("160.25")
        (funding,) = (b for b in balances if b.wallet == "funding")
        assert (funding.coin, funding.total, funding.available, funding.usd_value) == ("USDT", 30, 25, 30)

    async def test_a_wallet_the_key_cannot_read_is_left_out(self) -> None:
        denied = {"code": "40014", "msg": "Incorrect permissions, need spot order read permissions"}
        exchange = ScriptedBitget({**CLASSIC_ROUTES, "/api/v2/spot/account/assets": denied})
        adapter = adapter_for(exchange)
        balances = await adapter.balances()
        await adapter.aclose()
        assert "spot" not in {b.wallet for b in balances}
        assert balances

    async def test_no_readable_wallet_raises_permission_denied(self) -> None:
        denied = {"code": "40014", "msg": "Incorrect permissions, need {0} permissions"}
        routes = {
            **CLASSIC_ROUTES,
            "/api/v2/spot/account/assets": denied,
            "/api/v2/mix/account/accounts": denied,
            "/api/v2/account/funding-assets": denied,
        }
        adapter = adapter_for(ScriptedBitget(routes))
        with pytest.raises(PermissionDeniedError):
            await adapter.balances()
        await adapter.aclose()

    async def test_position_settings_sends_the_sorted_signed_query(self) -> None:
        exchange = ScriptedBitget(CLASSIC_ROUTES)
        adapter = adapter_for(exchange)
        settings = await adapter.position_settings(ContractType.USDT_M)
        await adapter.aclose()
        (request,) = exchange.requests
        assert request.url.query.decode() == "marginCoin=USDT&productType=USDT-FUTURES&symbol=BTCUSDT"
        assert settings.position_mode is PositionMode.HEDGE

    async def test_coin_margined_reads_the_coin_market(self) -> None:
        exchange = ScriptedBitget(CLASSIC_ROUTES)
        adapter = adapter_for(exchange)
        await adapter.position_settings(ContractType.COIN_M)
        await adapter.aclose()
        assert exchange.requests[0].url.params["productType"] == "COIN-FUTURES"
        assert exchange.requests[0].url.params["marginCoin"] == "BTC"


class TestUnifiedAccount:
    async def test_key_info_switches_to_v3_once_and_remembers(self) -> None:
        exchange = ScriptedBitget(UNIFIED_ROUTES)
        adapter = adapter_for(exchange)
        key = await adapter.key_info()
        assert exchange.paths() == ["/api/v2/spot/account/info", "/api/v3/account/info"]
        assert key.account_mode is AccountMode.UNIFIED
        assert Permission.WITHDRAW in key.permissions
        await adapter.balances()
        await adapter.position_settings(ContractType.USDT_M)
        await adapter.aclose()
        assert not any(path.startswith("/api/v2/") for path in exchange.paths()[2:])

    async def test_balances_first_route_to_unified_and_funding(self) -> None:
        exchange = ScriptedBitget(UNIFIED_ROUTES)
        adapter = adapter_for(exchange)
        balances = await adapter.balances()
        await adapter.aclose()
        assert {b.wallet for b in balances} == {"unified", "funding"}
        assert adapter.account_mode is AccountMode.UNIFIED

    async def test_known_unified_that_became_classic_switches_back(self) -> None:
        exchange = ScriptedBitget(CLASSIC_ROUTES)
        adapter = adapter_for(exchange)
        adapter.account_mode = AccountMode.UNIFIED
        settings = await adapter.position_settings(ContractType.USDT_M)
        await adapter.aclose()
        assert exchange.paths() == ["/api/v3/account/settings", "/api/v2/mix/account/account"]
        assert settings.position_mode is PositionMode.HEDGE
        assert adapter.account_mode is AccountMode.CLASSIC

    async def test_ping_pong_between_systems_stops_after_one_switch(self) -> None:
        routes = {**UNIFIED_ROUTES, "/api/v3/account/info": CLASSIC}
        exchange = ScriptedBitget(routes)
        adapter = adapter_for(exchange)
        with pytest.raises(AccountModeMismatchError):
            await adapter.key_info()
        await adapter.aclose()
        assert len(exchange.requests) == 2


class TestErrors:
    @pytest.mark.parametrize(
        ("body", "error"),
        [
            (fixture("error_key_missing"), UnknownKeyError),
            ({"code": "40012", "msg": "apikey/password is incorrect", "data": None}, WrongPassphraseError),
            ({"code": "40099", "msg": "exchange environment is incorrect", "data": None}, WrongEnvironmentError),
        ],
    )
    async def test_error_envelopes_become_domain_errors(self, body: dict[str, Any], error: type[Exception]) -> None:
        adapter = adapter_for(ScriptedBitget({"/api/v2/spot/account/info": body}))
        with pytest.raises(error):
            await adapter.key_info()
        await adapter.aclose()

    async def test_an_error_is_shared_by_key_info_and_account_info(self) -> None:
        exchange = ScriptedBitget({"/api/v2/spot/account/info": fixture("error_key_missing")})
        adapter = adapter_for(exchange)
        for call in (adapter.key_info, adapter.account_info):
            with pytest.raises(UnknownKeyError):
                await call()
        await adapter.aclose()
        assert len(exchange.requests) == 1

    @pytest.mark.parametrize(
        ("response", "error"),
        [
            (httpx.Response(500, json={"code": "99999", "msg": "internal", "data": None}), ExchangeUnavailableError),
            (
                httpx.Response(502, text="<html>Bad gateway</html>", headers={"content-type": "text/html"}),
                ExchangeUnavailableError,
            ),
            (
                httpx.Response(403, text="<!DOCTYPE html><p>blocked</p>", headers={"content-type": "text/html"}),
                GeoBlockedError,
            ),
            (httpx.Response(429, json={"code": "429", "msg": "Too many requests"}), RateLimitedError),
            (httpx.Response(200, json={"code": "429", "msg": "Too many requests"}), RateLimitedError),
            (httpx.Response(401, json={"msg": "Unauthorized"}), UnknownKeyError),
            (httpx.Response(200, json={"unexpected": True}), UnexpectedResponseError),
        ],
    )
    async def test_transport_outcomes(self, response: httpx.Response, error: type[Exception]) -> None:
        adapter = adapter_for(ScriptedBitget({"/api/v2/spot/account/info": response}))
        with pytest.raises(error):
            await adapter.key_info()
        await adapter.aclose()

    async def test_timeout_is_unreachable(self) -> None:
        def hang(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("slow", request=request)

        credentials = Credentials(ExchangeId.BITGET, {"api_key": KEY, "secret": SECRET, "passphrase": PASSPHRASE})
        adapter = create_adapter(
            credentials, flavor=Environment.LIVE, http=HttpOptions(transport=httpx.MockTransport(hang))
        )
        with pytest.raises(ExchangeTimeoutError):
            await adapter.balances()
        await adapter.aclose()


class TestDemo:
    async def test_signed_calls_carry_paptrading(self) -> None:
        exchange = ScriptedBitget(CLASSIC_ROUTES)
        adapter = adapter_for(exchange, demo=True)
        await adapter.balances()
        await adapter.aclose()
        assert exchange.requests
        assert all(r.headers.get("paptrading") == "1" for r in exchange.requests)
        assert all(r.url.params.get("productType", "X-FUTURES")[0] != "S" for r in exchange.requests)
