"""BybitAdapter over recorded doc payloads served by ``httpx.MockTransport`` (the transport seam).

These check the adapter's wiring (which endpoint, signed or not, envelope → domain error, legacy wallets) with
Bybit's own documented answers; ``test_adapter_sim.py`` runs the same calls against the Bybit simulator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.exchanges.bybit.payloads import fixture
from tradedock import errors as e
from tradedock.clock import FrozenClock
from tradedock.domain import (
    AccountMode,
    Balance,
    ContractType,
    Credentials,
    Environment,
    ExchangeId,
    MarginMode,
    PositionMode,
)
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.bybit import create_adapter
from tradedock.exchanges.bybit.adapter import BybitAdapter

KEY = "opjSlSOzqIeXROT5rq"
SECRET = "Xy7" * 12
AT = datetime(2023, 10, 17, 12, 0, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


def envelope(code: int, message: str, result: object = None) -> dict[str, Any]:
    return {"retCode": code, "retMsg": message, "result": result or {}, "retExtInfo": {}, "time": 1}


def routes(overrides: dict[str, httpx.Response] | None = None, status: int = 4) -> Handler:
    account = fixture("account_info")
    account["result"]["unifiedMarginStatus"] = status
    table = {
        "/v5/market/time": httpx.Response(200, json=fixture("server_time")),
        "/v5/user/query-api": httpx.Response(200, json=fixture("query_api_unbound_master")),
        "/v5/account/info": httpx.Response(200, json=account),
        "/v5/position/list": httpx.Response(200, json=fixture("position_list_inverse")),
        "/v5/asset/transfer/query-account-coins-balance": httpx.Response(200, json=fixture("funding_balance")),
        **(overrides or {}),
    }

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v5/account/wallet-balance":
            if request.url.params.get("accountType") == "UNIFIED":
                return table.get("wallet:UNIFIED", httpx.Response(200, json=fixture("wallet_balance_unified")))
            return table.get("wallet:legacy", httpx.Response(200, json=envelope(10001, "accountType invalid")))
        return table[request.url.path]

    return handle


class Recorder:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def make(handler: Handler, clock: FrozenClock | None = None) -> tuple[BybitAdapter, Recorder]:
    recorder = Recorder(handler)
    creds = Credentials(ExchangeId.BYBIT, {"api_key": KEY, "secret": SECRET})
    options = HttpOptions(transport=httpx.MockTransport(recorder), clock=clock or FrozenClock(AT))
    return create_adapter(creds, flavor=Environment.LIVE, http=options), recorder


class TestCalls:
    async def test_server_time_is_public(self) -> None:
        adapter, recorder = make(routes())
        sample = await adapter.server_time()
        assert sample.server_ms == 1688639403423
        assert sample.local_ms == int(AT.timestamp() * 1000) and sample.round_trip_ms == 0
        assert "X-BAPI-SIGN" not in recorder.requests[0].headers
        await adapter.aclose()

    async def test_signed_calls_carry_offset_timestamp_and_signature(self) -> None:
        adapter, recorder = make(routes())
        adapter.time_offset_ms = -1500
        info = await adapter.key_info()
        assert info.uid == "24617703"
        headers = recorder.requests[0].headers
        assert headers["X-BAPI-API-KEY"] == KEY
        assert headers["X-BAPI-TIMESTAMP"] == str(int(AT.timestamp() * 1000) - 1500)
        assert headers["X-BAPI-RECV-WINDOW"] == "5000"
        assert len(headers["X-BAPI-SIGN"]) == 64 and SECRET not in str(recorder.requests[0].url)
        await adapter.aclose()

    async def test_account_info_combines_account_and_key(self) -> None:
        adapter, _ = make(routes())
        info = await adapter.account_info()
        assert (info.uid, info.account_mode, info.is_subaccount, info.margin_mode) == (
            "24617703",
            AccountMode.UNIFIED,
            False,
            MarginMode.CROSS,
        )
        assert info.native["unifiedMarginStatus"] == 4
        await adapter.aclose()

    async def test_balances_skip_unreadable_legacy_wallet_and_zero_funding(self) -> None:
        adapter, recorder = make(routes(status=4))
        balances = await adapter.balances()
        assert balances == (
            Balance("UNIFIED", "BTC", Decimal("0.805994"), Decimal("0.805994"), Decimal("12920.95352538")),
        )
        asked = sorted(r.url.params.get("accountType", "") for r in recorder.requests)
        assert asked == ["", "CONTRACT", "FUND", "UNIFIED"]  # account info, UTA 1.0 legacy CONTRACT, FUND, UNIFIED
        await adapter.aclose()

    async def test_funding_denied_keeps_trading_balances(self) -> None:
        denied = httpx.Response(200, json=envelope(10005, "Permission denied"))
        adapter, _ = make(routes({"/v5/asset/transfer/query-account-coins-balance": denied}, status=6))
        assert [b.wallet for b in await adapter.balances()] == ["UNIFIED"]
        await adapter.aclose()

    async def test_classic_account_without_readable_wallets_is_mode_mismatch(self) -> None:
        adapter, _ = make(routes(status=1))
        with pytest.raises(e.AccountModeMismatchError):
            await adapter.balances()
        await adapter.aclose()

    async def test_position_settings_uta1_inverse_uses_trade_mode(self) -> None:
        adapter, recorder = make(routes(status=4))
        settings = await adapter.position_settings(ContractType.COIN_M)
        assert (settings.position_mode, settings.margin_mode) == (PositionMode.ONE_WAY, MarginMode.CROSS)
        position_call = next(r for r in recorder.requests if r.url.path == "/v5/position/list")
        assert position_call.url.query == b"category=inverse&symbol=BTCUSD"  # sent exactly as signed
        await adapter.aclose()

    async def test_position_settings_uta2_non_usdt_is_one_way_by_rule(self) -> None:
        adapter, recorder = make(routes(status=6))
        settings = await adapter.position_settings(ContractType.USDC_M)
        assert settings.position_mode is PositionMode.ONE_WAY and settings.margin_mode is MarginMode.CROSS
        # The position list is asked for alongside the account mode (one round trip) but not used here.
        assert settings.native["rule"] == "UTA 2.0: only USDT perpetuals support hedge mode"
        assert [r.url.path for r in recorder.requests].count("/v5/account/info") == 1
        await adapter.aclose()


class TestFailures:
    @pytest.mark.parametrize(
        ("response", "expected"),
        [
            (httpx.Response(200, json=envelope(10003, "API key is invalid.")), e.UnknownKeyError),
            (httpx.Response(200, json=envelope(10004, "error sign! origin_string[x]")), e.BadSignatureError),
            (httpx.Response(200, json=envelope(10010, "Unmatched IP")), e.IpNotAllowedError),
            (httpx.Response(200, json=envelope(33004, "Your api key has expired")), e.KeyExpiredError),
            (httpx.Response(401, json=envelope(10003, "API key is invalid.")), e.UnknownKeyError),
            (httpx.Response(403, text="access too frequent"), e.RateLimitedError),
            (httpx.Response(401, text="Unauthorized"), e.CredentialsRejectedError),
            (httpx.Response(404, json={"message": "not found"}), e.UnexpectedResponseError),
            (httpx.Response(500, json={"message": "oops"}), e.ExchangeUnavailableError),
            (httpx.Response(200, json=[1, 2]), e.UnexpectedResponseError),
            (httpx.Response(429, text="Too Many Requests"), e.RateLimitedError),
            (httpx.Response(503, html="<html><body>maintenance</body></html>"), e.ExchangeUnavailableError),
            (httpx.Response(403, html="<html><body>blocked from your country</body></html>"), e.GeoBlockedError),
        ],
    )
    async def test_key_info_failures(self, response: httpx.Response, expected: type[Exception]) -> None:
        adapter, _ = make(routes({"/v5/user/query-api": response}))
        with pytest.raises(expected):
            await adapter.key_info()
        await adapter.aclose()

    async def test_rate_limit_reads_reset_header(self) -> None:
        now_ms = int(AT.timestamp() * 1000)
        limited = httpx.Response(
            200,
            json=envelope(10006, "Too many visits!"),
            headers={"X-Bapi-Limit-Reset-Timestamp": str(now_ms + 2500)},
        )
        adapter, _ = make(routes({"/v5/account/info": limited}))
        with pytest.raises(e.RateLimitedError) as caught:
            await adapter.account_info()
        assert caught.value.retry_after_s == 2.5
        await adapter.aclose()

    async def test_secret_never_in_error_text(self) -> None:
        body = envelope(10004, "error sign! origin_string[...]")
        adapter, _ = make(routes({"/v5/user/query-api": httpx.Response(200, content=json.dumps(body))}))
        with pytest.raises(e.BadSignatureError) as caught:
            await adapter.key_info()
        assert SECRET not in str(caught.value) and SECRET not in repr(caught.value.evidence())
        await adapter.aclose()
