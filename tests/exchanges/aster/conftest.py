"""Fixtures for the Aster adapter tests: doc-example payloads and a scripted exchange (httpx.MockTransport).

The scripted exchange stands in for Aster's HTTP side only; everything of ours (signing, http.py, parsing,
the error table) runs for real. Adapter-vs-simulator tests live in test_adapter_sim.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from eth_account import Account

from tradedock.clock import FrozenClock
from tradedock.domain import Credentials, Environment, ExchangeId
from tradedock.exchanges.aster import create_adapter
from tradedock.exchanges.aster.adapter import AsterAdapter
from tradedock.exchanges.base import HttpOptions

FIXTURES = Path(__file__).parent / "fixtures"
#: The agent address in the doc's "Get Agents" example; tests use it as the API wallet.
DOC_AGENT = "0x2610D3935A008036AF0AE12D014C8904b75fC5E9"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())["payload"]


Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


@dataclass
class ScriptedExchange:
    """Answers by path; a path with a list of replies answers them in turn (the last one repeats)."""

    replies: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def on(self, path: str, *replies: Reply) -> None:
        self.replies[path] = list(replies)

    def json(self, path: str, body: Any, status: int = 200) -> None:
        self.on(path, httpx.Response(status, json=body))

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.replies.get(request.url.path)
        if not queue:
            return httpx.Response(404, json={"code": -5000, "msg": f"Path {request.url.path}, Method GET is invalid"})
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        return reply(request) if callable(reply) else reply

    def params(self, index: int = -1) -> list[tuple[str, str]]:
        return parse_qsl(self.requests[index].url.query.decode(), keep_blank_values=True)


@dataclass(frozen=True)
class Keys:
    api_wallet: str
    private_key: str
    main_wallet: str

    def credentials(self) -> Credentials:
        return Credentials(
            ExchangeId.ASTER,
            {"api_wallet": self.api_wallet, "private_key": self.private_key, "main_wallet": self.main_wallet},
        )


@pytest.fixture
def keys() -> Keys:
    api, main = Account.create(), Account.create()
    return Keys(api.address, "0x" + bytes(api.key).hex(), main.address)


@pytest.fixture
def exchange() -> ScriptedExchange:
    return ScriptedExchange()


@pytest.fixture
def make_adapter(exchange: ScriptedExchange, frozen_clock: FrozenClock) -> Callable[..., AsterAdapter]:
    def make(credentials: Credentials, flavor: Environment = Environment.LIVE) -> AsterAdapter:
        options = HttpOptions(transport=httpx.MockTransport(exchange.handler), clock=frozen_clock)
        return create_adapter(credentials, flavor=flavor, http=options)

    return make
