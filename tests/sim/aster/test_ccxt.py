"""ccxt 4.5 (an independent Aster client) against the Aster simulator on real loopback.

ccxt's only credential model is the main wallet signing for itself (user = signer = main wallet), which Aster
may or may not accept (UNCONFIRMED: rule `main_wallet_signer`). Its `load_markets` signs `GET /fapi/v3/builder`
and, unless ccxt's builder is approved, `POST /fapi/v3/approveBuilder` (a main-wallet EIP-712 management call);
`fetch_positions` reads `GET /fapi/v3/leverageBracket` first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ccxt
import httpx
import pytest
from eth_account import Account

from tradedock_sim.server import BackgroundSims

CCXT_BUILDER = "0x1F5877C19e3777Cfd15F9d57253eA4aA5254Ec39"


@pytest.fixture
def sim(sim_servers: Callable[..., BackgroundSims]) -> str:
    return sim_servers("aster").urls["aster"]


def control(base: str, path: str, body: dict[str, Any]) -> Any:
    answer = httpx.post(f"{base}/_sim/{path}", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def main_wallet_account(base: str) -> Any:
    """A main wallet whose private key the test holds, with funds and an open BTCUSDT position."""
    wallet = Account.create()
    control(base, "accounts", {"uid": wallet.address, "balances": {"futures": {"USDT": "250"}}, "open_positions": True})
    return wallet


def aster(base: str, private_key: str, **options: Any) -> tuple[Any, list[str]]:
    calls: list[str] = []
    exchange = ccxt.aster({"privateKey": private_key, "timeout": 10_000, "options": options})
    # Keep each URL's path (/fapi, /api): only the host is the simulator's.
    exchange.urls["api"] = {
        name: base + url.removeprefix("https://fapi.asterdex.com").removeprefix("https://sapi.asterdex.com")
        for name, url in exchange.urls["api"].items()
    }
    original = exchange.fetch

    def fetch(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        if not url.startswith(base + "/"):
            raise AssertionError(f"ccxt tried to leave the simulator: {url}")
        calls.append(f"{method} {url[len(base) :].split('?')[0]}")
        return original(url, method, headers, body)

    exchange.fetch = fetch
    return exchange, calls


class TestMainWalletAsItsOwnSigner:
    def test_refused_by_default_so_ccxt_load_markets_breaks(self, sim: str) -> None:
        wallet = main_wallet_account(sim)
        exchange, calls = aster(sim, wallet.key.hex())
        with pytest.raises(ccxt.OperationRejected) as caught:
            exchange.fetch_balance({"type": "swap"})
        assert '"code":-1000' in str(caught.value).replace(" ", "")
        assert calls[-1] == "GET /fapi/v3/builder"

    def test_accepted_reading_serves_ccxt_end_to_end(self, sim: str) -> None:
        wallet = main_wallet_account(sim)
        control(sim, "config", {"rules": {"main_wallet_signer": "accept"}})
        exchange, calls = aster(sim, wallet.key.hex())
        balance = exchange.fetch_balance({"type": "swap"})
        assert balance["USDT"]["total"] == 250.0
        assert calls[-3:] == ["GET /fapi/v3/builder", "POST /fapi/v3/approveBuilder", "GET /fapi/v3/balance"]
        assert exchange.options["builderFee"] is True  # approveBuilder answered {"code": 200}
        approved = exchange.fapiPrivateGetV3Builder()
        assert approved == [
            {
                "userAddress": wallet.address,
                "builderAddress": CCXT_BUILDER,
                "maxFeeRate": "0.001",
                "builderName": "ccxt",
            }
        ]
        positions = exchange.fetch_positions(["BTC/USDT:USDT"])
        assert [(p["symbol"], p["contracts"]) for p in positions] == [("BTC/USDT:USDT", 0.01)]
        assert "GET /fapi/v3/leverageBracket" in calls
        assert exchange.options["leverageBrackets"]["BTC/USDT:USDT"][0] == ["0", "0.004"]


class TestApiWalletWithCcxt:
    """ccxt driven with an API wallet (its private cache options pre-seeded so user = the main wallet)."""

    def api_wallet_client(self, sim: str) -> tuple[Any, list[str], dict[str, Any]]:
        wallet = main_wallet_account(sim)
        agent = control(sim, "keys", {"uid": wallet.address, "permissions": {"canRead": True, "canPerpTrade": True}})
        exchange, calls = aster(sim, agent["private_key"], signerAddress=agent["api_wallet"])
        exchange.options["cachedWalletAddress"] = wallet.address
        exchange.options["privateKeyHashForCachedWalletAddress"] = exchange.hash(
            exchange.encode(agent["private_key"]), "keccak", "hex"
        )
        return exchange, calls, agent

    def test_builder_list_and_an_approval_not_signed_by_the_main_wallet(self, sim: str) -> None:
        exchange, calls, _ = self.api_wallet_client(sim)
        assert exchange.fetch_balance({"type": "swap"})["USDT"]["total"] == 250.0
        assert calls[-3:] == ["GET /fapi/v3/builder", "POST /fapi/v3/approveBuilder", "GET /fapi/v3/balance"]
        # The API wallet cannot approve a builder for its main wallet: ccxt swallows the -1000 and turns it off.
        assert exchange.options["builderFee"] is False
        assert exchange.fapiPrivateGetV3Builder() == []

    def test_leverage_brackets(self, sim: str) -> None:
        exchange, _, _ = self.api_wallet_client(sim)
        brackets = exchange.fapiPrivateGetV3LeverageBracket({"symbol": "ETHUSDT"})
        assert [b["symbol"] for b in brackets] == ["ETHUSDT"]
        assert brackets[0]["brackets"][0] == {
            "bracket": 1, "initialLeverage": 100, "notionalCap": 50000, "notionalFloor": 0,
            "maintMarginRatio": 0.004, "cum": 0.0,
        }  # fmt: skip


def test_unknown_paths_answer_asters_envelope(sim: str) -> None:
    answer = httpx.get(f"{sim}/fapi/v3/noSuchThing")
    assert answer.status_code == 404
    assert answer.json() == {"code": -5000, "msg": "Path /fapi/v3/noSuchThing, Method GET is invalid"}
    assert httpx.delete(f"{sim}/fapi/v3/balance").status_code == 405  # known path, other method
    assert httpx.get(f"{sim}/testnet/api/v3/nothing").json()["code"] == -5000
