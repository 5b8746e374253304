"""A full dashboard session through the API — sign in, connect, list, check, balances, replace, remove, webhooks,
tokens, sign out — with every planted secret scanned for in every response (status, headers, cookies, body),
every log line and (SQLite) the database files: 0 found. A token or webhook secret appears exactly once, in the
answer that created it; the session cookie only in the Set-Cookie of the sign-in.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import PASSWORD, Api
from tests.services.test_no_secret_leaks import SECRET_FIELDS, _encodings
from tradedock.domain import ExchangeId

pytestmark = pytest.mark.usefixtures("backend")


def _database_files(home: Path) -> dict[str, str]:
    files = {p.name: p.read_bytes().decode("latin-1") for p in home.glob("tradedock.db*")}
    assert "tradedock.db" in files
    return files


class Recorder:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.planted: set[str] = set()
        #: (what, text, secrets allowed in it)
        self.seen: list[tuple[str, str, set[str]]] = []
        self.csrf = ""

    def plant(self, secret: str) -> set[str]:
        forms = _encodings(secret)
        self.planted |= forms
        return forms

    def plant_credentials(self, credentials: dict[str, str]) -> dict[str, str]:
        for name in SECRET_FIELDS:
            if name in credentials:
                self.plant(credentials[name])
        return credentials

    async def call(self, method: str, path: str, *, allowed: set[str] | None = None, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if method not in ("GET", "HEAD") and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        response = await self.api.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)
        head = "\n".join(f"{k}: {v}" for k, v in response.headers.multi_items())
        self.seen.append((f"{method} {path}", f"{response.status_code}\n{head}\n{response.text}", allowed or set()))
        return response


async def test_a_full_session_leaks_no_planted_secret(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rec = Recorder(api)
    rec.plant(PASSWORD)
    await api.user("trader@example.com")

    login = await rec.call("POST", "/auth/login", json={"email": "trader@example.com", "password": PASSWORD})
    assert login.status_code == 200
    cookie = api.client.cookies["tradedock_session"]
    rec.seen[-1] = (rec.seen[-1][0], rec.seen[-1][1], rec.plant(cookie))  # the Set-Cookie may carry it, once
    rec.csrf = login.json()["csrf_token"]

    assert (await rec.call("GET", "/exchanges")).status_code == 200
    stored: dict[str, str] = {}
    for exchange in ExchangeId:
        healthy = rec.plant_credentials((await api.scenario(exchange, "healthy"))["credentials"])
        body = {"exchange": exchange.value, "environment": "sandbox", "credentials": healthy}
        connected = await rec.call("POST", "/connections", json=body)
        assert connected.status_code == 201, connected.text
        stored[exchange.value] = connected.json()["connection_id"]
        # the same key again (409), padded with spaces, and broken (422 with the report)
        assert (await rec.call("POST", "/connections", json=body)).status_code == 409
        padded = {k: f" {v} " for k, v in healthy.items()}
        assert (await rec.call("POST", "/connections", json={**body, "credentials": padded})).status_code == 409
        broken = dict(healthy)
        field = next(f for f in SECRET_FIELDS if f in broken)
        broken[field] = rec.plant_credentials({field: broken[field][:-3] + "abc"})[field]
        assert (await rec.call("POST", "/connections", json={**body, "credentials": broken})).status_code in (409, 422)
    for scenario in ("wrong_passphrase", "bad_secret"):
        bad = rec.plant_credentials((await api.scenario(ExchangeId.BITGET, scenario))["credentials"])
        refused = await rec.call(
            "POST", "/connections", json={"exchange": "bitget", "environment": "sandbox", "credentials": bad}
        )
        assert refused.status_code == 422 and refused.json()["report"]["status"] == "invalid"

    assert len((await rec.call("GET", "/connections")).json()["items"]) == 3
    for connection_id in stored.values():
        assert (await rec.call("GET", f"/connections/{connection_id}")).status_code == 200
        assert (await rec.call("POST", f"/connections/{connection_id}/check")).status_code == 200
        assert (await rec.call("GET", f"/connections/{connection_id}/balances")).status_code == 200
        assert (await rec.call("GET", f"/connections/{connection_id}/history")).status_code == 200

    # replace the Bybit key with another key of the same account, then remove the Aster connection
    uid = (await rec.call("GET", f"/connections/{stored['bybit']}")).json()["account_uid"]
    control = api.controls[ExchangeId.BYBIT]
    minted = await control.create_key(uid, {"ContractTrade": ["Order", "Position"]}, ips=["203.0.113.7"])
    fresh = rec.plant_credentials({"api_key": minted["api_key"], "secret": minted["secret"]})
    replaced = await rec.call("PUT", f"/connections/{stored['bybit']}/credentials", json={"credentials": fresh})
    assert replaced.status_code == 200, replaced.text
    assert (await rec.call("DELETE", f"/connections/{stored['aster']}")).status_code == 200

    hook = await rec.call("POST", "/webhooks", json={"url": "https://hooks.example.com/t", "description": "ops"})
    rec.seen[-1] = (rec.seen[-1][0], rec.seen[-1][1], rec.plant(hook.json()["secret"]))
    assert (await rec.call("GET", "/webhooks")).status_code == 200
    made = await rec.call("POST", "/tokens", json={"name": "script"})
    rec.seen[-1] = (rec.seen[-1][0], rec.seen[-1][1], rec.plant(made.json()["token"]))
    assert (await rec.call("GET", "/tokens")).status_code == 200
    assert (
        await rec.call("GET", "/me", headers={"Authorization": f"Bearer {made.json()['token']}"})
    ).status_code == 200
    assert (await rec.call("DELETE", f"/webhooks/{hook.json()['id']}")).status_code == 204
    # Strategies, signals and bots: a signal secret appears only in the answer that made it (create, rotate).
    made_strategy = await rec.call("POST", "/strategies", json={"name": "tv"})
    rec.seen[-1] = (rec.seen[-1][0], rec.seen[-1][1], rec.plant(made_strategy.json()["secret"]))
    strategy_id, old_secret = made_strategy.json()["strategy"]["id"], made_strategy.json()["secret"]
    rotated = await rec.call("POST", f"/strategies/{strategy_id}/rotate-secret")
    rec.seen[-1] = (rec.seen[-1][0], rec.seen[-1][1], rec.plant(rotated.json()["secret"]))
    signal_secret = rotated.json()["secret"]
    bot_body = {"name": "b", "connection_id": stored["bybit"], "strategy_id": strategy_id, "symbols": ["BTCUSDT"],
                "sizing_kind": "fixed_quote", "sizing_value": "100"}  # fmt: skip
    bot = await rec.call("POST", "/bots", json=bot_body)
    assert bot.status_code == 201, bot.text
    assert (await rec.call("POST", f"/bots/{bot.json()['id']}/start")).status_code == 200
    now = datetime.now(UTC).isoformat()
    signal = {"signal_id": "s-1", "action": "long", "symbol": "BTCUSDT", "time": now}
    url = f"/strategies/{strategy_id}/signals"
    assert (await rec.call("POST", url, json={**signal, "secret": signal_secret})).status_code == 202
    assert (await rec.call("POST", url, json=signal, headers={"X-TradeDock-Secret": signal_secret})).status_code == 409
    assert (await rec.call("POST", url, json={**signal, "signal_id": "s-2", "secret": old_secret})).status_code == 401
    misplaced = {**signal, "signal_id": "s-3", "secret": signal_secret, "note": signal_secret}
    assert (await rec.call("POST", url, json=misplaced)).status_code == 422  # the unknown field is not echoed
    assert (await rec.call("POST", url, json={**signal, "signal_id": signal_secret[:60]})).status_code == 401
    for path in ("/strategies", f"/strategies/{strategy_id}", f"{url}", "/bots", f"/bots/{bot.json()['id']}"):
        assert (await rec.call("GET", path)).status_code == 200, path

    assert (await rec.call("GET", "/events")).status_code == 200
    assert (await rec.call("GET", "/audit")).status_code == 200
    assert (await rec.call("POST", "/auth/logout")).status_code == 204

    leaks = [(what, sorted(s for s in rec.planted - allowed if s in text)) for what, text, allowed in rec.seen]
    assert [leak for leak in leaks if leak[1]] == []
    log_text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "http_request" in log_text  # the access log was captured
    assert sorted(s for s in rec.planted if s in log_text) == []
    if api.backend == "sqlite":
        for name, data in _database_files(api.home).items():
            assert sorted(s for s in rec.planted if s in data) == [], name
