"""`tradedock serve` runs the monitor in-process: the app's lifespan starts it; it re-checks a connection made
through the API, its heartbeat shows in the operator health view, and the lifespan stops it cleanly."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.api.conftest import Api
from tradedock.domain import ExchangeId

MONITORED = {"run_monitor": True, "monitor_interval_s": 1, "monitor_jitter": 0, "monitor_poll_s": 0.1}


@pytest.mark.parametrize("api_options", [MONITORED])
async def test_the_monitor_runs_inside_the_api_process(api: Api) -> None:
    user = await api.user("trader@example.com")
    operator = await api.user("ops@example.com", operator=True)
    preset = await api.scenario(ExchangeId.BYBIT, "healthy")
    made = await api.client.post(
        "/api/v1/connections",
        json={"exchange": "bybit", "environment": "sandbox", "credentials": preset["credentials"]},
        headers=user.auth,
    )
    assert made.status_code == 201, made.text
    connection_id = made.json()["connection_id"]
    triggers: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        history = await api.client.get(f"/api/v1/connections/{connection_id}/history", headers=user.auth)
        triggers = [run["trigger"] for run in history.json()["items"]]
        if triggers.count("schedule") >= 2:
            break
        await asyncio.sleep(0.2)
    assert triggers.count("schedule") >= 2 and triggers[-1] == "connect", triggers
    health = (await api.client.get("/api/v1/health", headers=operator.auth)).json()
    [worker] = health["workers"]
    assert worker["alive"] is True and worker["checks_done"] >= 2
    assert health["queue_depth"]["alerts"] == []
