"""ccxt 4.5 and pybit (independent Bybit clients) against the Bybit simulator: one coin's balance in any account type,
the transferable amount of a unified account, the live 10001 wording, and Bybit's envelope on unknown paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ccxt
import httpx
import pytest
from pybit.unified_trading import HTTP

from tradedock_sim.server import BackgroundSims


@pytest.fixture
def sim(sim_servers: Callable[..., BackgroundSims]) -> str:
    return sim_servers("bybit").urls["bybit"]


def bybit(base: str, scenario: str) -> Any:
    answer = httpx.post(f"{base}/_sim/scenarios/{scenario}", json={"reset": True})
    assert answer.status_code == 200, answer.text
    credentials = answer.json()["credentials"]
    exchange = ccxt.bybit({"apiKey": credentials["api_key"], "secret": credentials["secret"], "timeout": 10_000})
    exchange.urls["api"] = dict.fromkeys(exchange.urls["api"], base)
    return exchange


def test_single_coin_balance_in_the_funding_wallet(sim: str) -> None:
    exchange = bybit(sim, "funds_in_funding_wallet")
    answer = exchange.privateGetV5AssetTransferQueryAccountCoinBalance(
        {"accountType": "FUND", "coin": "USDT", "withTransferSafeAmount": 1}
    )
    assert answer["retCode"] == 0
    assert answer["result"]["balance"] == {
        "coin": "USDT", "walletBalance": "120", "transferBalance": "120", "bonus": "0",
        "transferSafeAmount": "120", "ltvTransferSafeAmount": "",
    }  # fmt: skip
    unified = exchange.privateGetV5AssetTransferQueryAccountCoinBalance({"accountType": "UNIFIED", "coin": "usdt"})
    assert unified["result"]["balance"]["walletBalance"] == "0.5"
    with pytest.raises(ccxt.BadRequest) as caught:
        exchange.privateGetV5AssetTransferQueryAccountCoinBalance({"accountType": "FUND"})
    assert "coin is required" in str(caught.value)


def test_transferable_amount_of_the_unified_wallet(sim: str) -> None:
    exchange = bybit(sim, "healthy")
    answer = exchange.privateGetV5AccountWithdrawal({"coinName": "USDT,BTC"})
    assert answer["result"] == {"availableWithdrawal": "1000", "availableWithdrawalMap": {"USDT": "1000", "BTC": "0"}}
    classic = bybit(sim, "classic_account")
    with pytest.raises(ccxt.ExchangeError) as caught:
        classic.privateGetV5AccountWithdrawal({"coinName": "USDT"})
    assert '"retCode":10028' in str(caught.value).replace(" ", "")


def test_10001_carries_the_live_trailing_full_stop(sim: str) -> None:
    exchange = bybit(sim, "healthy")
    with pytest.raises(ccxt.BadRequest) as caught:
        exchange.privateGetV5AccountWalletBalance({"accountType": "CONTRACT"})
    assert '"retMsg":"accountType only support UNIFIED."' in str(caught.value)


def test_unknown_paths_answer_bybits_envelope(sim: str) -> None:
    for path in ("/v5/no/such/path", "/demo/v5/nothing", "/nothing"):
        answer = httpx.get(sim + path)
        assert answer.status_code == 404
        body = answer.json()
        assert (body["retCode"], body["retMsg"], body["result"], body["retExtInfo"]) == (
            10017,
            "route not found",
            {},
            {},
        )
    assert httpx.post(f"{sim}/v5/account/wallet-balance").status_code == 405  # known path, other method
    assert httpx.get(f"{sim}/_sim/nothing").json()["field"] == "path"  # control paths keep their own errors


def test_pybit_reads_the_same_answers(sim: str) -> None:
    """pybit (Bybit's own SDK) names these reads get_coin_balance and get_transferable_amount."""
    answer = httpx.post(f"{sim}/_sim/scenarios/funds_in_funding_wallet", json={"reset": True})
    credentials = answer.json()["credentials"]
    session = HTTP(api_key=credentials["api_key"], api_secret=credentials["secret"], max_retries=1)
    session.endpoint = sim
    coin = session.get_coin_balance(accountType="FUND", coin="USDT")
    assert coin["result"]["balance"]["walletBalance"] == "120"
    transferable = session.get_transferable_amount(coinName="USDT")
    assert transferable["result"]["availableWithdrawalMap"] == {"USDT": "0.5"}
