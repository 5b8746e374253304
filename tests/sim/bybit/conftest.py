"""Bybit simulator fixtures: `bybit` = an in-process client with signed-call helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.sim.bybit import signing
from tradedock_sim.client import SimControl


@dataclass
class BybitHarness:
    http: httpx.AsyncClient
    control: SimControl

    @property
    def state(self) -> Any:
        return self.http.sim_app.state.sim  # type: ignore[attr-defined]

    async def get(
        self, creds: dict[str, str], path: str, params: dict[str, Any] | None = None, **options: Any
    ) -> httpx.Response:
        url, headers = signing.get_request(creds, path, params, **options)
        return await self.http.get(url, headers=headers)

    async def post(self, creds: dict[str, str], path: str, body: dict[str, Any], **options: Any) -> httpx.Response:
        raw, headers = signing.post_request(creds, body, **options)
        return await self.http.post(path, content=raw, headers=headers)

    async def scenario(self, name: str) -> dict[str, str]:
        """Apply a preset; return its credentials (plus uid)."""
        result = await self.control.apply_scenario(name)
        return {**result.get("credentials", {}), "uid": result["uid"]}


@pytest.fixture
async def bybit(sim_client) -> BybitHarness:
    http = await sim_client("bybit", client_ip="203.0.113.7")
    return BybitHarness(http=http, control=SimControl(http))
