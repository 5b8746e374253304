"""The HTTP shape of "fix it for me": offers, applying on request then re-verifying, 404 for another user's
connection, a problem naming ``fix_id`` for an unknown fix, and the exchange's refusal changing nothing."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, User
from tradedock.domain import ExchangeId

pytestmark = pytest.mark.usefixtures("backend")


async def _connect(api: Api, user: User, scenario: str) -> str:
    credentials = (await api.scenario(ExchangeId.BYBIT, scenario))["credentials"]
    response = await api.client.post(
        "/api/v1/connections",
        json={"exchange": "bybit", "environment": "sandbox", "credentials": credentials},
        headers=user.auth,
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "action_required"
    return str(response.json()["connection_id"])


async def test_hedge_mode_offers_the_switch_and_applying_it_connects(api: Api) -> None:
    owner = await api.user("a@example.com")
    other = await api.user("b@example.com")
    connection_id = await _connect(api, owner, "hedge_mode")

    offers = await api.client.get(f"/api/v1/connections/{connection_id[:8]}/fixes", headers=owner.auth)
    assert offers.status_code == 200
    assert offers.json()["status"] == "action_required" and offers.json()["connection_id"] == connection_id
    assert [f["id"] for f in offers.json()["fixes"]] == ["position_mode.one_way"]

    # user B sees the same 404 as for a connection that does not exist, for both routes, and nothing changes
    for path in (f"{connection_id}/fixes", f"{connection_id}/fixes/position_mode.one_way"):
        method = api.client.get if path.endswith("/fixes") else api.client.post
        foreign = await method(f"/api/v1/connections/{path}", headers=other.auth)
        missing = await method(f"/api/v1/connections/{'0' * 32}/{path.split('/', 1)[1]}", headers=other.auth)
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json()["type"] == missing.json()["type"] == "/problems/not-found"
        assert connection_id not in foreign.text
    assert (await api.client.get(f"/api/v1/connections/{connection_id}", headers=owner.auth)).json()[
        "status"
    ] == "action_required"

    unknown = await api.client.post(f"/api/v1/connections/{connection_id}/fixes/margin.cross", headers=owner.auth)
    assert unknown.status_code == 422 and unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["field"] == "fix_id" and "position_mode.one_way" in unknown.json()["detail"]

    applied = await api.client.post(
        f"/api/v1/connections/{connection_id}/fixes/position_mode.one_way", headers=owner.auth
    )
    assert applied.status_code == 200, applied.text
    body = applied.json()
    assert body["status"] == "connected" and body["applied"]["id"] == "position_mode.one_way"
    position = next(c for c in body["report"]["checks"] if c["id"] == "position.mode")
    assert position["outcome"] == "pass" and position["evidence"]["position_mode"] == "one_way"
    assert len(body["report"]["checks"]) == 13 and body["report"]["fixes"] == []
    shown = (await api.client.get(f"/api/v1/connections/{connection_id}", headers=owner.auth)).json()
    assert shown["status"] == "connected"
    after = (await api.client.get(f"/api/v1/connections/{connection_id}/fixes", headers=owner.auth)).json()
    assert after["fixes"] == [] and after["status"] == "connected"
    actions = [a["action"] for a in (await api.client.get("/api/v1/audit", headers=owner.auth)).json()["items"]]
    assert "fix" in actions


async def test_the_exchange_refusing_is_a_problem_and_nothing_changes(api: Api) -> None:
    owner = await api.user("a@example.com")
    connection_id = await _connect(api, owner, "hedge_mode_with_position")
    refused = await api.client.post(
        f"/api/v1/connections/{connection_id}/fixes/position_mode.one_way", headers=owner.auth
    )
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert "Close the open positions" in refused.json()["fix"]
    shown = (await api.client.get(f"/api/v1/connections/{connection_id}", headers=owner.auth)).json()
    assert shown["status"] == "action_required"
