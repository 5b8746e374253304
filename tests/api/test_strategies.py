"""The HTTP shape of strategies and the signal webhook: create (secret shown once), catalog and visibility,
publish (operators only), rotate, delete, and the webhook's refusals — wrong secret, unknown strategy, malformed
body, stale time, rate limit — each a problem naming the field, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import Api, User
from tradedock.api.rate_limits import SignalLimiter

pytestmark = pytest.mark.usefixtures("backend")


async def _webhook_strategy(api: Api, user: User, **extra: Any) -> dict[str, Any]:
    response = await api.client.post("/api/v1/strategies", json={"name": "TV breakout", **extra}, headers=user.auth)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


async def test_create_shows_the_secret_once_and_isolates_private_strategies(api: Api) -> None:
    alice, bob = await api.user("alice@example.com"), await api.user("bob@example.com")
    made = await _webhook_strategy(api, alice, description="from TradingView", max_signal_age_s=30)
    secret, strategy = made["secret"], made["strategy"]
    assert secret.startswith("tds_") and len(secret) > 40
    assert made["signal_url_path"] == f"/api/v1/strategies/{strategy['id']}/signals"
    assert strategy["secret_hint"] == secret[:8] and strategy["owned"] is True
    assert (strategy["kind"], strategy["visibility"], strategy["max_signal_age_s"]) == ("webhook", "private", 30)

    shown = await api.client.get(f"/api/v1/strategies/{strategy['id']}", headers=alice.auth)
    assert shown.status_code == 200 and secret not in shown.text
    listed = await api.client.get("/api/v1/strategies", headers=alice.auth)
    assert [s["id"] for s in listed.json()["items"]] == [strategy["id"]] and secret not in listed.text

    # Bob cannot tell Alice's private strategy from a missing one.
    missing = await api.client.get("/api/v1/strategies/00000000-0000-4000-8000-000000000000", headers=bob.auth)
    hidden = await api.client.get(f"/api/v1/strategies/{strategy['id']}", headers=bob.auth)
    assert hidden.status_code == missing.status_code == 404 and hidden.content == missing.content
    for method, path in (
        ("POST", "rotate-secret"),
        ("POST", "publish"),
        ("GET", "signals"),
    ):
        answer = await api.client.request(method, f"/api/v1/strategies/{strategy['id']}/{path}", headers=bob.auth)
        assert answer.status_code in (403, 404), (path, answer.status_code)
    assert (await api.client.delete(f"/api/v1/strategies/{strategy['id']}", headers=bob.auth)).status_code == 404
    assert (await api.client.get("/api/v1/strategies", headers=bob.auth)).json()["items"] == []


async def test_bad_create_bodies_name_the_field(api: Api) -> None:
    alice = await api.user("alice@example.com")
    cases = [
        ({"name": ""}, "name"),
        ({"name": "x", "max_signal_age_s": 1}, "max_signal_age_s"),
        ({"name": "x", "kind": "builtin"}, "builtin_name"),
        ({"name": "x", "kind": "builtin", "builtin_name": "moon"}, "builtin_name"),
        ({"name": "x", "params": {"fast": 9}}, "params"),
        ({"name": "x", "color": "red"}, "color"),
    ]
    for body, field in cases:
        answer = await api.client.post("/api/v1/strategies", json=body, headers=alice.auth)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["field"] == field, (body, answer.json())
    catalog = (await api.client.get("/api/v1/strategies/builtins", headers=alice.auth)).json()
    [ma] = [b for b in catalog if b["name"] == "ma_crossover"]
    assert {p["name"] for p in ma["params"] if p["required"]} == {"symbol", "interval", "fast", "slow"}
    params = {"symbol": "BTCUSDT", "interval": "1h", "fast": 9, "slow": 21}
    half = await api.client.post(
        "/api/v1/strategies",
        json={"name": "MA", "kind": "builtin", "builtin_name": "ma_crossover", "params": {"fast": 9}},
        headers=alice.auth,
    )
    assert half.status_code == 422 and half.json()["field"].startswith("params"), half.text
    built = await api.client.post(
        "/api/v1/strategies",
        json={"name": "MA", "kind": "builtin", "builtin_name": "ma_crossover", "params": params},
        headers=alice.auth,
    )
    assert built.status_code == 201 and built.json()["secret"] is None
    assert {k: built.json()["strategy"]["params"][k] for k in params} == params


async def test_publish_is_for_operators_and_shows_the_strategy_to_everyone(api: Api) -> None:
    operator, alice = await api.user("op@example.com", operator=True), await api.user("alice@example.com")
    mine = (await _webhook_strategy(api, alice))["strategy"]
    refused = await api.client.post(f"/api/v1/strategies/{mine['id']}/publish", headers=alice.auth)
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/forbidden"

    platform = (await _webhook_strategy(api, operator, name="Platform trend"))["strategy"]
    published = await api.client.post(f"/api/v1/strategies/{platform['id']}/publish", headers=operator.auth)
    assert published.status_code == 200 and published.json()["visibility"] == "public"
    seen = (await api.client.get("/api/v1/strategies", headers=alice.auth)).json()["items"]
    assert {s["id"]: s["owned"] for s in seen} == {mine["id"]: True, platform["id"]: False}
    # Seeing is not owning: no rotation, no deletion, no signal list for Alice.
    assert (
        await api.client.post(f"/api/v1/strategies/{platform['id']}/rotate-secret", headers=alice.auth)
    ).status_code == 404
    assert (await api.client.delete(f"/api/v1/strategies/{platform['id']}", headers=alice.auth)).status_code == 404
    private = await api.client.post(
        f"/api/v1/strategies/{platform['id']}/publish", json={"public": False}, headers=operator.auth
    )
    assert private.json()["visibility"] == "private"
    assert [s["id"] for s in (await api.client.get("/api/v1/strategies", headers=alice.auth)).json()["items"]] == [
        mine["id"]
    ]


async def test_signal_refusals_name_the_field_and_rotation_retires_the_old_secret(api: Api) -> None:
    api.app.state.api.signals = SignalLimiter("1000/minute")  # more than the default 10 a second are sent here
    alice = await api.user("alice@example.com")
    made = await _webhook_strategy(api, alice, max_signal_age_s=60)
    strategy_id, secret = made["strategy"]["id"], made["secret"]
    url = f"/api/v1/strategies/{strategy_id}/signals"
    signal = {"signal_id": "tv-1", "action": "long", "symbol": "BTCUSDT", "time": _now_iso()}

    wrong = await api.client.post(url, json={**signal, "secret": "tds_" + "A" * 43})
    unknown = await api.client.post(
        "/api/v1/strategies/00000000-0000-4000-8000-000000000000/signals", json={**signal, "secret": secret}
    )
    none = await api.client.post(url, json=signal)
    for answer in (wrong, unknown, none):
        assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["field"] == "secret" and answer.json()["type"] == "/problems/signal-secret"
        assert "tds_" not in answer.text
    assert wrong.content == unknown.content == none.content  # an unknown strategy looks like a wrong secret

    cases = [
        ({**signal, "action": "moon"}, "action", "/problems/signal-malformed"),
        ({**signal, "time": "2026-12-01 09:30"}, "time", "/problems/signal-malformed"),
        ({**signal, "time": (datetime.now(UTC) - timedelta(minutes=5)).isoformat()}, "time", "/problems/signal-stale"),
        ({**signal, "time": (datetime.now(UTC) + timedelta(minutes=5)).isoformat()}, "time", "/problems/signal-future"),
        ({**signal, "leverage": 100}, "leverage", "/problems/signal-malformed"),
        ({**signal, "signal_id": "no spaces allowed"}, "signal_id", "/problems/signal-malformed"),
        (signal, "symbol", "/problems/signal-unknown-symbol"),  # no bot of this strategy trades BTCUSDT
    ]
    for body, field, kind in cases:
        answer = await api.client.post(url, json=body, headers={"X-TradeDock-Secret": secret})
        problem = answer.json()
        assert (answer.status_code, problem["field"], problem["type"]) == (422, field, kind), (body, problem)
        assert problem["fix"] and secret not in answer.text

    # The secret may travel in the body; the body may come as text/plain (TradingView without a JSON header).
    as_text = await api.client.post(
        url, content=json.dumps({**signal, "secret": secret}), headers={"content-type": "text/plain; charset=utf-8"}
    )
    assert as_text.status_code == 422 and as_text.json()["field"] == "symbol"
    not_json = await api.client.post(url, content=b"long BTCUSDT", headers={"content-type": "text/plain"})
    assert not_json.status_code == 422 and not_json.json()["field"] == "body"
    too_big = await api.client.post(url, content=b"{" + b" " * 70_000 + b"}", headers={"content-type": "text/plain"})
    assert too_big.status_code == 422 and too_big.json()["field"] == "body"

    rotated = await api.client.post(f"/api/v1/strategies/{strategy_id}/rotate-secret", headers=alice.auth)
    new_secret = rotated.json()["secret"]
    assert rotated.status_code == 200 and new_secret != secret
    assert rotated.json()["strategy"]["secret_hint"] == new_secret[:8]
    old = await api.client.post(url, json=signal, headers={"X-TradeDock-Secret": secret})
    assert old.status_code == 401
    fresh = await api.client.post(url, json=signal, headers={"X-TradeDock-Secret": new_secret})
    assert fresh.status_code == 422 and fresh.json()["field"] == "symbol"

    # Refusals with a good secret are events for the owner; nothing was accepted.
    listed = await api.client.get(f"{url}", headers=alice.auth)
    assert listed.status_code == 200 and listed.json()["items"] == []
    events = (await api.client.get("/api/v1/events", headers=alice.auth)).json()["items"]
    refusals = [e for e in events if e["type"] == "strategy.signal_refused"]
    assert {e["data"]["reason"] for e in refusals} >= {"malformed", "stale", "future", "unknown_symbol"}
    assert secret not in str(events) and new_secret not in str(events)


async def test_signals_are_rate_limited_per_strategy(api: Api) -> None:
    api.app.state.api.signals = SignalLimiter("3/minute")
    alice = await api.user("alice@example.com")
    first = (await _webhook_strategy(api, alice))["strategy"]["id"]
    second = (await _webhook_strategy(api, alice, name="other"))["strategy"]["id"]
    body = {"signal_id": "x", "action": "long", "symbol": "BTCUSDT", "time": _now_iso(), "secret": "wrong"}
    codes = [(await api.client.post(f"/api/v1/strategies/{first}/signals", json=body)).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    limited = await api.client.post(f"/api/v1/strategies/{first}/signals", json=body)
    assert limited.json()["type"] == "/problems/too-many-attempts" and int(limited.headers["Retry-After"]) >= 1
    assert (await api.client.post(f"/api/v1/strategies/{second}/signals", json=body)).status_code == 401


async def test_delete(api: Api) -> None:
    alice = await api.user("alice@example.com")
    strategy_id = (await _webhook_strategy(api, alice))["strategy"]["id"]
    assert (await api.client.delete(f"/api/v1/strategies/{strategy_id}", headers=alice.auth)).status_code == 204
    assert (await api.client.get(f"/api/v1/strategies/{strategy_id}", headers=alice.auth)).status_code == 404
    assert (await api.client.delete(f"/api/v1/strategies/{strategy_id}", headers=alice.auth)).status_code == 404
