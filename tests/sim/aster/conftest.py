"""Fixtures for the Aster simulator tests: a fresh app over `httpx.ASGITransport` and a small test client.

The client signs with `signing.py` (eth-account, from the docs), never with the simulator's own code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.sim.aster.signing import signed_query

CLIENT_IP = "127.0.0.1"  # the peer address the in-process transport reports


@dataclass
class AsterKey:
    api_wallet: str
    private_key: str
    main_wallet: str
    environment: str = "live"


class AsterTestClient:
    """Control API helpers plus signed requests against one simulated Aster app."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def control(self, path: str, payload: dict[str, Any] | None = None) -> httpx.Response:
        return await self.http.post(f"/_sim/{path}", json=payload or {})

    async def account(self, **payload: Any) -> str:
        response = await self.control("accounts", payload)
        assert response.status_code == 200, response.text
        uid: str = response.json()["uid"]
        return uid

    async def key(self, uid: str, **payload: Any) -> AsterKey:
        payload.setdefault("permissions", {"canRead": True, "canPerpTrade": True})
        response = await self.control("keys", {"uid": uid, **payload})
        assert response.status_code == 200, response.text
        body = response.json()
        return AsterKey(body["api_wallet"], body["private_key"], body["main_wallet"], body["environment"])

    async def funded_key(self, **key_payload: Any) -> AsterKey:
        uid = await self.account(balances={"futures": {"USDT": "1000"}, "spot": {"USDT": "25.5"}})
        return await self.key(uid, **key_payload)

    async def scenario(self, name: str) -> dict[str, Any]:
        response = await self.control(f"scenarios/{name}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def signed(
        self,
        method: str,
        path: str,
        key: AsterKey,
        params: list[tuple[str, str]] | None = None,
        *,
        in_body: bool = False,
        prefix: str = "",
        **sign_options: Any,
    ) -> httpx.Response:
        sign_options.setdefault("user", key.main_wallet)
        sign_options.setdefault("environment", key.environment)
        if "environment" in sign_options and not prefix and sign_options["environment"] == "testnet":
            prefix = "/testnet"
        query = signed_query(params, signer=key.api_wallet, private_key=key.private_key, **sign_options)
        if in_body:
            return await self.http.request(
                method,
                prefix + path,
                content=query,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        return await self.http.request(method, f"{prefix}{path}?{query}")


@pytest.fixture
async def aster(sim_client: Any) -> AsterTestClient:
    """A fresh simulated Aster app (seeded, so wallets are reproducible) behind the test client."""
    return AsterTestClient(await sim_client("aster", client_ip=CLIENT_IP, seed=7))


def error_of(response: httpx.Response) -> tuple[int, int]:
    """(HTTP status, Aster code) of an error answer."""
    return response.status_code, int(response.json()["code"])
