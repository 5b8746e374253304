"""Helpers to run `BybitAdapter` against the Bybit simulator in-process (``httpx.ASGITransport``).

The simulator is driven only through its control API (DESIGN.md "Simulator"), never through its internals.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from tradedock.domain import Credentials, Environment, ExchangeId
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.bybit import SPEC, create_adapter
from tradedock.exchanges.bybit.adapter import BybitAdapter
from tradedock_sim.app import create_app

ROOT = "http://bybit-sim.test"
PEER_IP = "127.0.0.1"  # what ASGITransport reports as the client address
FUTURES_PERMISSIONS = {"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"], "Wallet": ["AccountTransfer"]}


@dataclass
class BybitSim:
    control: httpx.AsyncClient
    transport: httpx.AsyncBaseTransport

    async def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = await self.control.post(path, json=payload)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def account(self, **fields: Any) -> str:
        return str((await self.post("/_sim/accounts", fields))["uid"])

    async def key(self, uid: str, **fields: Any) -> dict[str, Any]:
        fields.setdefault("permissions", FUTURES_PERMISSIONS)
        return await self.post("/_sim/keys", {"uid": uid, **fields})

    def adapter(
        self, minted: dict[str, Any], *, flavor: Environment = Environment.LIVE, **override: str
    ) -> BybitAdapter:
        fields = {"api_key": minted["api_key"], "secret": minted["secret"], **override}
        base_url = ROOT + SPEC.sandbox_paths[flavor]
        options = HttpOptions(transport=self.transport, timeout_s=2.0)
        return create_adapter(Credentials(ExchangeId.BYBIT, fields), flavor=flavor, base_url=base_url, http=options)


async def running_sim() -> AsyncIterator[BybitSim]:
    transport = httpx.ASGITransport(app=create_app("bybit", seed=7), client=(PEER_IP, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=ROOT) as control:
        yield BybitSim(control, transport)
