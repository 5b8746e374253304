"""ccxt 4.5 (async) against the Bybit simulator on real loopback: an independent client agrees with the sim.

ccxt is pointed at the simulator by overriding every `urls['api']` entry, so it never reaches the internet
(any other host would fail: the test machine has no route out).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import ccxt.async_support as ccxt
import httpx
import pytest

from tradedock_sim.server import BackgroundSims

MakeExchange = Callable[..., Awaitable[Any]]


@pytest.fixture
def bybit_sim(sim_servers) -> BackgroundSims:
    return sim_servers("bybit")


@pytest.fixture
async def ccxt_bybit(bybit_sim: BackgroundSims) -> AsyncIterator[MakeExchange]:
    base = bybit_sim.urls["bybit"]
    opened: list[Any] = []

    async def make(credentials: dict[str, str], *, prefix: str = "") -> Any:
        # ccxt's own throttle would only slow the tests down; the simulator enforces Bybit's limits itself.
        exchange = ccxt.bybit(
            {"apiKey": credentials["api_key"], "secret": credentials["secret"], "enableRateLimit": False}
        )
        exchange.urls["api"] = dict.fromkeys(exchange.urls["api"], base + prefix)
        opened.append(exchange)
        return exchange

    yield make
    for exchange in opened:
        await exchange.close()


async def apply(sims: BackgroundSims, name: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=sims.urls["bybit"]) as client:
        response = await client.post(f"/_sim/scenarios/{name}")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


def paths(sims: BackgroundSims) -> list[str]:
    return [request.path for request in sims.apps["bybit"].state.sim.requests]


async def test_cold_fetch_balance_returns_unified_totals(bybit_sim, ccxt_bybit) -> None:
    scenario = await apply(bybit_sim, "healthy")
    exchange = await ccxt_bybit(scenario["credentials"])
    balance = await exchange.fetch_balance()
    assert balance["total"]["USDT"] == 1000.0
    assert balance["free"]["USDT"] == 1000.0
    seen = paths(bybit_sim)
    # load_markets (currencies + instruments) ran against the simulator, then the UTA probe and the balance read.
    assert seen[0] == "/v5/asset/coin/query-info"
    assert "/v5/market/instruments-info" in seen
    assert seen[-3:-1] in (["/v5/user/query-api", "/v5/account/info"], ["/v5/account/info", "/v5/user/query-api"])
    assert seen[-1] == "/v5/account/wallet-balance"
    assert "BTC/USDT:USDT" in exchange.markets
    assert "BTC/USD:BTC" in exchange.markets


async def test_funding_wallet_through_ccxt(bybit_sim, ccxt_bybit) -> None:
    scenario = await apply(bybit_sim, "funds_in_funding_wallet")
    exchange = await ccxt_bybit(scenario["credentials"])
    unified = await exchange.fetch_balance()
    funding = await exchange.fetch_balance({"type": "funding"})
    assert unified["total"]["USDT"] == 0.5
    assert funding["total"]["USDT"] == 120.0


async def test_classic_account_reads_contract_wallet(bybit_sim, ccxt_bybit) -> None:
    scenario = await apply(bybit_sim, "classic_account")
    exchange = await ccxt_bybit(scenario["credentials"])
    balance = await exchange.fetch_balance()
    assert balance["total"]["USDT"] == 500.0


async def test_bad_secret_is_authentication_error(bybit_sim, ccxt_bybit) -> None:
    scenario = await apply(bybit_sim, "healthy")
    exchange = await ccxt_bybit({**scenario["credentials"], "secret": "Z" * 36})
    with pytest.raises(ccxt.AuthenticationError, match="10004"):
        await exchange.fetch_balance()


async def test_unknown_key_and_expired_key_are_authentication_errors(bybit_sim, ccxt_bybit) -> None:
    revoked = await apply(bybit_sim, "revoked")
    with pytest.raises(ccxt.AuthenticationError, match="10003"):
        await (await ccxt_bybit(revoked["credentials"])).fetch_balance()
    expired = await apply(bybit_sim, "expired")
    with pytest.raises(ccxt.AuthenticationError, match="33004"):
        await (await ccxt_bybit(expired["credentials"])).fetch_balance()


async def test_ip_not_whitelisted_is_permission_denied(bybit_sim, ccxt_bybit) -> None:
    scenario = await apply(bybit_sim, "ip_not_whitelisted")
    exchange = await ccxt_bybit(scenario["credentials"])
    with pytest.raises(ccxt.PermissionDenied, match="10010"):
        await exchange.fetch_balance()


async def test_clock_skew_is_invalid_nonce(bybit_sim, ccxt_bybit) -> None:
    scenario = await apply(bybit_sim, "clock_skew")
    exchange = await ccxt_bybit(scenario["credentials"])
    with pytest.raises(ccxt.InvalidNonce, match="10002"):
        await exchange.fetch_balance()


async def test_demo_key_works_only_on_the_demo_prefix(bybit_sim, ccxt_bybit) -> None:
    scenario = await apply(bybit_sim, "wrong_environment")
    with pytest.raises(ccxt.AuthenticationError, match="10003"):
        await (await ccxt_bybit(scenario["credentials"])).fetch_balance()
    demo = await ccxt_bybit(scenario["credentials"], prefix="/demo")
    assert (await demo.fetch_balance())["total"]["USDT"] == 1000.0


async def test_maintenance_page_is_exchange_not_available(bybit_sim, ccxt_bybit) -> None:
    scenario = await apply(bybit_sim, "http_503_html")
    exchange = await ccxt_bybit(scenario["credentials"])
    with pytest.raises(ccxt.ExchangeNotAvailable):
        await exchange.fetch_balance()


async def test_position_mode_switch_refusal_maps_to_bad_request(bybit_sim, ccxt_bybit) -> None:
    scenario = await apply(bybit_sim, "hedge_mode_with_position")
    exchange = await ccxt_bybit(scenario["credentials"])
    await exchange.load_markets()
    with pytest.raises(ccxt.BadRequest, match="110024"):
        await exchange.set_position_mode(False)
