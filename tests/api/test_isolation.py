"""Tenant isolation: user B, with a valid token, walks every route and method against user A's objects.

Every one must be a 404 byte-for-byte identical to the answer for an id that does not exist, and A's objects
must be untouched afterwards. Lists show B nothing of A's. The same exchange key cannot be connected by two
users, and the refusal does not say by whom.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.api.conftest import Api, User
from tradedock.domain import ExchangeId

pytestmark = pytest.mark.usefixtures("backend")

PARAMS = {"connection_id", "webhook_id", "token_id", "strategy_id", "bot_id"}
PREFIXED = {"connection_id", "bot_id"}
#: Routes that refuse B before any lookup, with one answer for a foreign and a missing id alike: a signal without
#: the strategy's secret (401, as for an unknown strategy), publishing by a non-operator (403).
NOT_404 = {
    ("POST", "/api/v1/strategies/{strategy_id}/signals"): 401,
    ("POST", "/api/v1/strategies/{strategy_id}/publish"): 403,
}


def _comparable(response: httpx.Response) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
    headers = tuple(sorted((k, v) for k, v in response.headers.items() if k.lower() != "date"))
    return response.status_code, headers, response.content


async def _body_for(api: Api, template: str, method: str) -> dict[str, Any] | None:
    """A valid body, so a refusal can only come from the ownership check."""
    if method == "PUT" and template.endswith("/credentials"):
        fresh = await api.scenario(ExchangeId.BYBIT, "healthy")
        return {"credentials": fresh["credentials"], "allow_account_change": True}
    if method == "POST" and template.endswith("/signals"):
        when = datetime.now(UTC).isoformat()
        return {"secret": "tds_" + "b" * 43, "signal_id": "b-1", "action": "long", "symbol": "BTCUSDT", "time": when}
    return None


async def _a_objects(api: Api, a: User) -> dict[str, str]:
    healthy = await api.scenario(ExchangeId.BYBIT, "healthy")
    connected = await api.client.post(
        "/api/v1/connections",
        json={"exchange": "bybit", "environment": "sandbox", "credentials": healthy["credentials"]},
        headers=a.auth,
    )
    assert connected.status_code == 201, connected.text
    webhook = await api.client.post("/api/v1/webhooks", json={"url": "https://hooks.example.com/a"}, headers=a.auth)
    token = await api.client.post("/api/v1/tokens", json={"name": "a-bot"}, headers=a.auth)
    strategy = await api.client.post("/api/v1/strategies", json={"name": "a-strategy"}, headers=a.auth)
    bot_body = {
        "name": "a-bot",
        "connection_id": connected.json()["connection_id"],
        "strategy_id": strategy.json()["strategy"]["id"],
        "symbols": ["BTCUSDT"],
        "sizing_kind": "fixed_quote",
        "sizing_value": "100",
    }
    bot = await api.client.post("/api/v1/bots", json=bot_body, headers=a.auth)
    assert bot.status_code == 201, bot.text
    return {
        "connection_id": connected.json()["connection_id"],
        "webhook_id": webhook.json()["id"],
        "token_id": token.json()["id"],
        "strategy_id": strategy.json()["strategy"]["id"],
        "bot_id": bot.json()["id"],
        "key": healthy["credentials"]["api_key"],
    }


async def _a_state(api: Api, a: User, ids: dict[str, str]) -> Any:
    show = await api.client.get(f"/api/v1/connections/{ids['connection_id']}", headers=a.auth)
    assert show.status_code == 200
    state = show.json()
    state.pop("last_checked_at")
    hooks = (await api.client.get("/api/v1/webhooks", headers=a.auth)).json()["items"]
    tokens = (await api.client.get("/api/v1/tokens", headers=a.auth)).json()["items"]
    strategy = (await api.client.get(f"/api/v1/strategies/{ids['strategy_id']}", headers=a.auth)).json()
    bot = (await api.client.get(f"/api/v1/bots/{ids['bot_id']}", headers=a.auth)).json()["bot"]
    return state, [h["id"] for h in hooks], sorted(t["id"] for t in tokens), strategy, bot


async def test_user_b_cannot_reach_or_detect_any_of_user_a_objects(api: Api) -> None:
    a = await api.user("a@example.com")
    b = await api.user("b@example.com")
    ids = await _a_objects(api, a)
    before = await _a_state(api, a, ids)

    walked: list[str] = []
    for template, operations in api.app.openapi()["paths"].items():
        params = {p for p in PARAMS if "{" + p + "}" in template}
        assert len(params) <= 1, template
        if not params:
            continue
        (param,) = params
        for method in sorted(m.upper() for m in operations):
            body = await _body_for(api, template, method)
            targets = {"foreign": ids[param], "missing": str(uuid.uuid4())}
            if param in PREFIXED:
                targets["foreign prefix"] = ids[param][:8]
            answers = {}
            for what, value in targets.items():
                path = template.replace("{" + param + "}", value)
                response = await api.client.request(method, path, json=body, headers=b.auth)
                expected = NOT_404.get((method, template), 404)
                assert response.status_code == expected, (method, path, what, response.text)
                answers[what] = _comparable(response)
            assert len(set(answers.values())) == 1, (method, template, answers)
            walked.append(f"{method} {template}")
    assert set(walked) >= {
        "GET /api/v1/connections/{connection_id}",
        "DELETE /api/v1/connections/{connection_id}",
        "POST /api/v1/connections/{connection_id}/check",
        "PUT /api/v1/connections/{connection_id}/credentials",
        "GET /api/v1/connections/{connection_id}/balances",
        "GET /api/v1/connections/{connection_id}/history",
        "DELETE /api/v1/webhooks/{webhook_id}",
        "DELETE /api/v1/tokens/{token_id}",
        "GET /api/v1/strategies/{strategy_id}",
        "DELETE /api/v1/strategies/{strategy_id}",
        "POST /api/v1/strategies/{strategy_id}/rotate-secret",
        "GET /api/v1/strategies/{strategy_id}/signals",
        "POST /api/v1/strategies/{strategy_id}/signals",
        "GET /api/v1/bots/{bot_id}",
        "POST /api/v1/bots/{bot_id}/start",
        "POST /api/v1/bots/{bot_id}/stop",
        "DELETE /api/v1/bots/{bot_id}",
    }, walked

    # Nothing of A's shows up in any of B's lists.
    for path in ("/connections", "/webhooks", "/tokens", "/events", "/audit", "/strategies", "/bots"):
        listed = await api.client.get(f"/api/v1{path}", headers=b.auth)
        assert listed.status_code == 200
        for value in ids.values():
            assert value not in listed.text, path
        assert a.id not in listed.text and a.email not in listed.text

    assert await _a_state(api, a, ids) == before


async def test_the_same_key_cannot_be_connected_by_two_users_and_the_refusal_names_no_one(api: Api) -> None:
    a = await api.user("a@example.com")
    b = await api.user("b@example.com")
    healthy = await api.scenario(ExchangeId.BYBIT, "healthy")
    body = {"exchange": "bybit", "environment": "sandbox", "credentials": healthy["credentials"]}
    assert (await api.client.post("/api/v1/connections", json=body, headers=a.auth)).status_code == 201
    again = await api.client.post("/api/v1/connections", json=body, headers=b.auth)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    for revealing in (a.email, a.id, "a@"):
        assert revealing not in again.text
    # A's own second attempt gets the very same answer: the refusal cannot tell B who holds the key.
    mine = await api.client.post("/api/v1/connections", json=body, headers=a.auth)
    assert mine.status_code == 409 and mine.json() == again.json()
