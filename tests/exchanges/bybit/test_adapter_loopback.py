"""BybitAdapter against the Bybit simulator over real loopback HTTP, for what ASGITransport cannot show: timeouts
(ASGITransport enforces no timeout) and a refused connection."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from tradedock import errors as e
from tradedock.domain import Credentials, Environment, ExchangeId
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.bybit import create_adapter
from tradedock.exchanges.bybit.adapter import BybitAdapter
from tradedock_sim.server import BackgroundSims, start_background


@pytest.fixture(scope="module")
def sims() -> Iterator[BackgroundSims]:
    with start_background(["bybit"], host="127.0.0.1", port=0, seed=3) as running:
        yield running


def adapter_for(base_url: str, fields: dict[str, str]) -> BybitAdapter:
    creds = Credentials(ExchangeId.BYBIT, fields)
    return create_adapter(creds, flavor=Environment.LIVE, base_url=base_url, http=HttpOptions(timeout_s=0.3))


async def test_timeout_is_unreachable(sims: BackgroundSims) -> None:
    url = sims.urls["bybit"]
    async with httpx.AsyncClient(base_url=url) as control:
        uid = (await control.post("/_sim/accounts", json={"account_mode": "unified"})).json()["uid"]
        minted = (await control.post("/_sim/keys", json={"uid": uid, "permissions": {"Spot": ["SpotTrade"]}})).json()
        await control.post("/_sim/faults", json={"error": "timeout", "paths": ["/v5/user"]})
        adapter = adapter_for(url, {"api_key": minted["api_key"], "secret": minted["secret"]})
        try:
            await adapter.server_time()  # not under the faulted path: the host itself answers
            with pytest.raises(e.ExchangeTimeoutError) as caught:
                await adapter.key_info()
            assert isinstance(caught.value, e.ExchangeUnreachableError)
        finally:
            await adapter.aclose()
            await control.post("/_sim/reset", json={})  # release the hanging request


async def test_connection_refused_is_unreachable() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    adapter = adapter_for(f"http://127.0.0.1:{port}", {"api_key": "A" * 18, "secret": "B" * 36})
    try:
        with pytest.raises(e.ExchangeTimeoutError):
            await adapter.server_time()
    finally:
        await adapter.aclose()
