"""Every attempt of a signed request is signed when it leaves: after the rate budget's wait, and again (fresh
timestamp or nonce, fresh signature) when a read answered HTTP 429 is sent once more.

The exchange side is ``httpx.MockTransport``; each request that reaches it is checked by a signer written here from
the exchange's docs (``tests/conformance/judges.py`` for Aster's EIP-712 digest), never by ours. The clock is the
real one, so a wait shows in the timestamps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from eth_account import Account

from tests.conformance.judges import aster_digest
from tradedock.domain import Credentials, Environment, ExchangeId
from tradedock.exchanges import aster, bitget, bybit
from tradedock.exchanges.aster.endpoints import CHAIN_IDS
from tradedock.exchanges.base import HttpOptions

HERE = Path(__file__).parent
RETRY_AFTER_S = 0.3


def _payload(exchange: str, name: str, key: str) -> Any:
    return json.loads((HERE / exchange / "fixtures" / f"{name}.json").read_text())[key]


class Exchange:
    """Answers 429 (with Retry-After) to the first ``refuse`` requests, then ``body``; records when each arrived."""

    def __init__(self, body: Any, refuse: int = 0) -> None:
        self.body = body
        self.refuse = refuse
        self.requests: list[httpx.Request] = []
        self.arrived_ms: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.arrived_ms.append(time.time_ns() // 1_000_000)
        if len(self.requests) <= self.refuse:
            return httpx.Response(429, headers={"Retry-After": str(RETRY_AFTER_S)}, json={"msg": "Too many visits"})
        return httpx.Response(200, json=self.body)

    def options(self) -> HttpOptions:
        return HttpOptions(transport=httpx.MockTransport(self))


def _bybit_valid(request: httpx.Request, secret: str) -> bool:
    # Bybit V5 guide, "Authentication": HMAC-SHA256(secret, timestamp + api_key + recv_window + queryString), hex.
    h = request.headers
    text = f"{h['X-BAPI-TIMESTAMP']}{h['X-BAPI-API-KEY']}{h['X-BAPI-RECV-WINDOW']}{request.url.query.decode()}"
    return hmac.compare_digest(hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest(), h["X-BAPI-SIGN"])


def _bitget_valid(request: httpx.Request, secret: str) -> bool:
    # Bitget "Signature": base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + "?" + queryString + body)).
    query = request.url.query.decode()
    text = f"{request.headers['ACCESS-TIMESTAMP']}{request.method}{request.url.path}{'?' + query if query else ''}"
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), request.headers["ACCESS-SIGN"])


def _aster_signer(request: httpx.Request) -> tuple[str, int]:
    # Aster V3 "EIP712 signature": the query string minus "&signature=..." is `msg`; recover who signed it.
    query = request.url.query.decode()
    msg, _, signature = query.rpartition("&signature=")
    digest = aster_digest(msg, CHAIN_IDS[Environment.LIVE])
    recovered = Account._recover_hash(digest, signature=bytes.fromhex(signature.removeprefix("0x")))
    return recovered, int(dict(parse_qsl(msg))["nonce"])


class TestRetriedReadIsSignedAgain:
    async def test_bybit(self) -> None:
        secret = "s3cr3t-bybit"
        exchange = Exchange(_payload("bybit", "query_api_bound_readonly", "response"), refuse=1)
        creds = Credentials(ExchangeId.BYBIT, {"api_key": "k-bybit-retry", "secret": secret})
        adapter = bybit.create_adapter(creds, flavor=Environment.LIVE, http=exchange.options())
        await adapter.key_info()
        first, second = exchange.requests
        assert _bybit_valid(first, secret) and _bybit_valid(second, secret)
        stamps = [int(r.headers["X-BAPI-TIMESTAMP"]) for r in (first, second)]
        assert stamps[1] - stamps[0] >= RETRY_AFTER_S * 1000 - 5  # taken when the resend left, not reused
        assert first.headers["X-BAPI-SIGN"] != second.headers["X-BAPI-SIGN"]

    async def test_bitget(self) -> None:
        secret = "s3cr3t-bitget"
        exchange = Exchange(_payload("bitget", "v2_account_info", "response"), refuse=1)
        creds = Credentials(ExchangeId.BITGET, {"api_key": "k-bitget-retry", "secret": secret, "passphrase": "pp"})
        adapter = bitget.create_adapter(creds, flavor=Environment.LIVE, http=exchange.options())
        await adapter.key_info()
        first, second = exchange.requests
        assert _bitget_valid(first, secret) and _bitget_valid(second, secret)
        stamps = [int(r.headers["ACCESS-TIMESTAMP"]) for r in (first, second)]
        assert stamps[1] - stamps[0] >= RETRY_AFTER_S * 1000 - 5
        assert first.headers["ACCESS-SIGN"] != second.headers["ACCESS-SIGN"]

    async def test_aster_gets_a_fresh_nonce(self) -> None:
        wallet, main = Account.create(), Account.create()
        agents = [{"agentAddress": wallet.address, "canRead": True, "canPerpTrade": False, "expired": 0}]
        exchange = Exchange(agents, refuse=1)
        creds = Credentials(
            ExchangeId.ASTER,
            {"api_wallet": wallet.address, "main_wallet": main.address, "private_key": wallet.key.hex()},
        )
        adapter = aster.create_adapter(creds, flavor=Environment.LIVE, http=exchange.options())
        await adapter.key_info()
        (signer_1, nonce_1), (signer_2, nonce_2) = (_aster_signer(r) for r in exchange.requests)
        assert signer_1 == signer_2 == wallet.address
        assert nonce_2 - nonce_1 >= RETRY_AFTER_S * 1_000_000 - 5_000  # microseconds: a new nonce, not a replay


class TestSignedAfterTheBudgetWait:
    async def test_bitget_account_info_waits_its_turn_then_signs(self) -> None:
        """Bitget allows spot/account/info once per second per UID: the second key check of the same key waits
        about a second, and its timestamp is from when it left, not from before the wait."""
        secret = "s3cr3t-bitget-budget"
        exchange = Exchange(_payload("bitget", "v2_account_info", "response"))
        creds = Credentials(ExchangeId.BITGET, {"api_key": "k-bitget-budget", "secret": secret, "passphrase": "pp"})

        def make() -> Any:
            return bitget.create_adapter(creds, flavor=Environment.LIVE, http=exchange.options())

        await make().key_info()
        await make().key_info()  # another verification of the same key: its own adapter, the same budget
        first, second = exchange.requests
        assert exchange.arrived_ms[1] - exchange.arrived_ms[0] >= 1000
        assert _bitget_valid(first, secret) and _bitget_valid(second, secret)
        assert int(second.headers["ACCESS-TIMESTAMP"]) >= exchange.arrived_ms[0] + 1000

    async def test_a_per_uid_budget_is_the_keys_own(self) -> None:
        """Per-UID budgets are keyed by the API key (one key = one account): another key does not wait."""
        exchange = Exchange(_payload("bitget", "v2_account_info", "response"))

        def make(key: str) -> Any:
            creds = Credentials(ExchangeId.BITGET, {"api_key": key, "secret": "s", "passphrase": "pp"})
            return bitget.create_adapter(creds, flavor=Environment.LIVE, http=exchange.options())

        await make("k-bitget-own-1").key_info()
        await make("k-bitget-own-2").key_info()
        assert exchange.arrived_ms[1] - exchange.arrived_ms[0] < 500
        await make("k-bitget-own-1").key_info()
        assert exchange.arrived_ms[2] - exchange.arrived_ms[0] >= 1000
