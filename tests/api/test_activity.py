"""The exchange catalog, webhooks (validation, pagination), events, audit and the operator health view."""

from __future__ import annotations

import pytest

from tests.api.conftest import EGRESS_IP, Api
from tradedock.domain import ExchangeId
from tradedock.services.webhooks import EVENT_TYPES

pytestmark = pytest.mark.usefixtures("backend")


async def test_the_catalog_carries_everything_a_connect_form_needs(api: Api) -> None:
    user = await api.user("a@example.com")
    response = await api.client.get("/api/v1/exchanges", headers=user.auth)
    assert response.status_code == 200
    catalog = {e["id"]: e for e in response.json()}
    assert set(catalog) == {"bybit", "bitget", "aster"}
    bitget = catalog["bitget"]
    fields = {f["name"]: f for f in bitget["credential_fields"]}
    assert list(fields) == ["api_key", "secret", "passphrase"]
    assert fields["passphrase"]["secret"] and not fields["api_key"]["secret"]
    assert all(f["label"] and f["help"] and f["shape"] and f["pattern"] for f in fields.values())
    assert {e["id"]: e["available"] for e in bitget["environments"]}["sandbox"] is True
    assert "usdt_m" in bitget["contract_types"] and "futures" in bitget["scopes"]
    assert bitget["requirements"]["whitelist_ips"] == [EGRESS_IP]
    assert bitget["requirements"]["forbidden_permissions"] == {"withdraw": "fail", "transfer": "fail"}
    assert "futures_trade" in bitget["requirements"]["permissions"]["futures"]
    steps = " ".join(s for section in bitget["guide"]["sections"] for s in section["steps"])
    assert EGRESS_IP in steps
    aster = {f["name"]: f["secret"] for f in catalog["aster"]["credential_fields"]}
    assert aster == {"api_wallet": False, "private_key": True, "main_wallet": False}


async def test_webhooks_validate_paginate_and_delete(api: Api) -> None:
    user = await api.user("a@example.com")
    plain = await api.client.post("/api/v1/webhooks", json={"url": "http://hooks.example.com/x"}, headers=user.auth)
    assert plain.status_code == 422 and plain.json()["field"] == "url"
    creds = await api.client.post("/api/v1/webhooks", json={"url": "https://u:p@hooks.example.com"}, headers=user.auth)
    assert creds.status_code == 422 and creds.json()["field"] == "url"
    unknown = await api.client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com", "event_types": ["nope"]}, headers=user.auth
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "event_types"
    missing = await api.client.post("/api/v1/webhooks", json={}, headers=user.auth)
    assert missing.status_code == 422 and missing.json()["field"] == "url"
    assert missing.headers["content-type"] == "application/problem+json"
    internal = await api.client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9000/hook"}, headers=user.auth)
    assert internal.status_code == 422 and internal.json()["field"] == "url"  # TRADEDOCK_WEBHOOK_ALLOW_PRIVATE off
    local = await api.client.post("/api/v1/webhooks", json={"url": "https://hooks.example.com/a"}, headers=user.auth)
    assert local.status_code == 201 and local.json()["event_types"] == list(EVENT_TYPES)
    for n in range(2):
        made = await api.client.post("/api/v1/webhooks", json={"url": f"https://h.example.com/{n}"}, headers=user.auth)
        assert made.status_code == 201
    first = (await api.client.get("/api/v1/webhooks?limit=2", headers=user.auth)).json()
    assert len(first["items"]) == 2 and first["next_offset"] == 2
    second = (await api.client.get("/api/v1/webhooks?limit=2&offset=2", headers=user.auth)).json()
    assert len(second["items"]) == 1 and second["next_offset"] is None
    ids = {w["id"] for w in first["items"] + second["items"]}
    assert len(ids) == 3
    assert (await api.client.delete(f"/api/v1/webhooks/{local.json()['id']}", headers=user.auth)).status_code == 204
    assert (await api.client.delete(f"/api/v1/webhooks/{local.json()['id']}", headers=user.auth)).status_code == 404
    audit = (await api.client.get("/api/v1/audit", headers=user.auth)).json()["items"]
    assert [a["action"] for a in audit][:2] == ["webhook_delete", "webhook_create"]
    assert (await api.client.get("/api/v1/events", headers=user.auth)).json() == {
        "items": [],
        "limit": 50,
        "offset": 0,
        "next_offset": None,
    }
    bad_page = await api.client.get("/api/v1/audit?limit=0", headers=user.auth)
    assert bad_page.status_code == 422 and bad_page.json()["field"] == "limit"


async def test_health_shows_the_platform_clock_against_each_exchange(api: Api) -> None:
    operator = await api.user("op@example.com", operator=True)
    await api.controls[ExchangeId.BYBIT].set_clock_offset(9000)
    response = await api.client.get("/api/v1/health", headers=operator.auth)
    assert response.status_code == 200
    health = response.json()
    clocks = {c["exchange"]: c for c in health["clocks"]}
    assert clocks["bybit"]["ok"] is False and 8000 < clocks["bybit"]["offset_ms"] < 10000
    assert "NTP" in clocks["bybit"]["detail"]
    assert clocks["bitget"]["ok"] is True and abs(clocks["bitget"]["offset_ms"]) < 2000
    assert health["status"] == "degraded"
    assert health["database"] == {
        "ok": True,
        "backend": api.backend,
        "migrations_current": True,
        "detail": None,
    }
    assert health["vault"]["ok"] and health["vault"]["primary_key_id"] in health["vault"]["key_ids"]
    assert health["egress_ips"] == [EGRESS_IP] and health["egress_ips_configured"]
    assert health["workers"] == []  # no monitor runs in this app
    assert health["queue_depth"]["checks_leased"] == 0 and health["queue_depth"]["alerts"] == []
    assert (health["queue_depth"]["checks_overdue"], health["queue_depth"]["overdue_detail"]) == (0, None)
