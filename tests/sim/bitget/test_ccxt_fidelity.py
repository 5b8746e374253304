"""ccxt 4.5.x against the Bitget simulator on real loopback: a cold `fetch_balance()` (load_markets included).

ccxt is an independent Bitget client: if it loads markets, signs, parses balances and maps error codes to the
right exception classes against the simulator, the simulator speaks Bitget's wire protocol closely enough.
Every URL ccxt knows is pointed at the simulator, and `fetch` is wrapped to refuse any other host, so nothing
reaches the internet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import ccxt
import httpx
import pytest

from tradedock_sim.server import BackgroundSims

LOAD_MARKETS_CALLS = [
    "GET /api/v2/spot/public/coins",
    "GET /api/v3/account/settings",  # ccxt's UTA detection: a classic key gets 40084, so ccxt picks V2
    "GET /api/v2/spot/public/symbols",
    "GET /api/v2/margin/currencies",
    *(
        f"GET /api/v2/mix/market/contracts?productType={product}"
        for product in (
            "USDT-FUTURES",
            "COIN-FUTURES",
            "USDC-FUTURES",
            "SUSDT-FUTURES",
            "SCOIN-FUTURES",
            "SUSDC-FUTURES",
        )
    ),
]


class Bitget:
    """A fresh ccxt bitget instance wired to the simulator, recording the calls it makes."""

    def __init__(self, base_url: str, credentials: dict[str, str], **options: Any) -> None:
        self.calls: list[str] = []
        self.exchange = ccxt.bitget(
            {
                "apiKey": credentials["api_key"],
                "secret": credentials["secret"],
                "password": credentials["passphrase"],
                "timeout": 10_000,
                "enableRateLimit": False,  # the simulator enforces the limits itself
                "options": options,
            }
        )
        self.exchange.urls["api"] = {name: base_url for name in self.exchange.urls["api"]}
        original = self.exchange.fetch

        def fetch(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
            if not url.startswith(base_url + "/"):
                raise AssertionError(f"ccxt tried to leave the simulator: {url}")
            self.calls.append(f"{method} {url[len(base_url) :]}")
            return original(url, method, headers, body)

        self.exchange.fetch = fetch


@pytest.fixture
def bitget_sim(sim_servers: Callable[..., BackgroundSims]) -> str:
    return sim_servers("bitget").urls["bitget"]


def preset(base_url: str, name: str) -> dict[str, Any]:
    answer = httpx.post(f"{base_url}/_sim/scenarios/{name}", json={"reset": True})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_cold_fetch_balance_swap_returns_the_futures_wallet(bitget_sim: str) -> None:
    client = Bitget(bitget_sim, preset(bitget_sim, "healthy")["credentials"])
    balance = client.exchange.fetch_balance({"type": "swap"})
    assert (balance["USDT"]["total"], balance["USDT"]["free"]) == (200.0, 200.0)
    assert client.calls == [*LOAD_MARKETS_CALLS, "GET /api/v2/mix/account/accounts?productType=USDT-FUTURES"]
    markets = client.exchange.markets
    assert {"BTC/USDT", "ETH/USDT", "BTC/USDT:USDT", "ETH/USDT:USDT", "BTC/USD:BTC"} <= set(markets)
    assert markets["BTC/USD:BTC"]["inverse"] is True and markets["BTC/USDT:USDT"]["linear"] is True


def test_cold_fetch_balance_default_reads_the_spot_wallet(bitget_sim: str) -> None:
    client = Bitget(bitget_sim, preset(bitget_sim, "funds_in_spot_wallet")["credentials"])
    balance = client.exchange.fetch_balance()
    assert balance["total"] == {"USDT": 300.0}
    assert client.calls[-1] == "GET /api/v2/spot/account/assets"
    assert client.exchange.fetch_balance({"type": "swap"})["total"] == {"USDT": 0.0}


def test_unified_account_is_detected_and_read_through_v3(bitget_sim: str) -> None:
    client = Bitget(bitget_sim, preset(bitget_sim, "unified_account")["credentials"])
    balance = client.exchange.fetch_balance()
    assert balance["total"] == {"USDT": 200.0}
    assert client.exchange.options["uta"] is True
    assert client.calls[-1] == "GET /api/v3/account/assets"
    assert "GET /api/v3/market/instruments?category=USDT-FUTURES" in client.calls


def test_bad_secret_is_an_authentication_error(bitget_sim: str) -> None:
    client = Bitget(bitget_sim, preset(bitget_sim, "bad_secret")["credentials"])
    with pytest.raises(ccxt.AuthenticationError) as caught:
        client.exchange.fetch_balance({"type": "swap"})
    assert not isinstance(caught.value, ccxt.PermissionDenied)
    assert '"40009"' in str(caught.value)


def test_wrong_passphrase_is_an_authentication_error(bitget_sim: str) -> None:
    client = Bitget(bitget_sim, preset(bitget_sim, "wrong_passphrase")["credentials"])
    with pytest.raises(ccxt.AuthenticationError) as caught:
        client.exchange.fetch_balance({"type": "swap"})
    assert not isinstance(caught.value, ccxt.PermissionDenied)
    assert '"40012"' in str(caught.value)


def test_ip_not_whitelisted_is_permission_denied(bitget_sim: str) -> None:
    client = Bitget(bitget_sim, preset(bitget_sim, "ip_not_whitelisted")["credentials"])
    with pytest.raises(ccxt.PermissionDenied) as caught:
        client.exchange.fetch_balance({"type": "swap"})
    assert '"40018"' in str(caught.value)


def test_clock_skew_is_invalid_nonce_until_ccxt_adjusts(bitget_sim: str) -> None:
    credentials = preset(bitget_sim, "clock_skew")["credentials"]
    with pytest.raises(ccxt.InvalidNonce):
        Bitget(bitget_sim, credentials, uta=False).exchange.fetch_balance({"type": "swap"})
    # A second cold client loads the markets again (~10 public calls); wait out the simulator's 20/s public
    # budget per IP so this test is about the nonce, not the rate limit.
    time.sleep(1.05)
    adjusted = Bitget(bitget_sim, credentials, uta=False, adjustForTimeDifference=True)
    assert adjusted.exchange.fetch_balance({"type": "swap"})["total"] == {"USDT": 200.0}
    assert "GET /api/v2/public/time" in adjusted.calls


def test_demo_key_works_only_in_ccxt_demo_mode(bitget_sim: str) -> None:
    credentials = preset(bitget_sim, "demo_account")["credentials"]
    live = Bitget(bitget_sim, credentials, uta=False)
    with pytest.raises(ccxt.ExchangeError) as caught:
        live.exchange.fetch_balance({"type": "swap"})
    assert '"40099"' in str(caught.value)
    demo = Bitget(bitget_sim, credentials, uta=False)
    demo.exchange.enable_demo_trading(True)
    assert demo.exchange.fetch_balance({"type": "swap"})["total"] == {"USDT": 200.0}
