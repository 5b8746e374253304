"""The HTTP shape of connections: status codes, the report embedded in every verification answer (also in the
422 and 503 problems), replace keeping the old key on failure, id prefixes, pagination."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, User
from tradedock.domain import ExchangeId

pytestmark = pytest.mark.usefixtures("backend")


async def _connect(api: Api, user: User, credentials: dict[str, str], exchange: str = "bybit") -> dict[str, object]:
    response = await api.client.post(
        "/api/v1/connections",
        json={"exchange": exchange, "environment": "sandbox", "credentials": credentials},
        headers=user.auth,
    )
    return {**response.json(), "status_code": response.status_code, "content_type": response.headers["content-type"]}


async def test_connect_answers_carry_the_report_whatever_the_outcome(api: Api) -> None:
    user = await api.user("a@example.com")
    hedge = await _connect(api, user, (await api.scenario(ExchangeId.BYBIT, "hedge_mode"))["credentials"])
    assert hedge["status_code"] == 201 and hedge["status"] == "action_required" and hedge["stored"] is True
    report = hedge["report"]
    assert isinstance(report, dict) and len(report["checks"]) == 13
    assert report["connection_id"] == hedge["connection_id"]

    invalid = await _connect(api, user, (await api.scenario(ExchangeId.BYBIT, "revoked"))["credentials"])
    assert invalid["status_code"] == 422 and invalid["content_type"] == "application/problem+json"
    assert invalid["field"] == "credentials" and invalid["report"]["status"] == "invalid"  # type: ignore[index]
    assert "Nothing was stored" in str(invalid["fix"])

    healthy = (await api.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    await api.controls[ExchangeId.BYBIT].set_faults(error="http_503_html")
    down = await _connect(api, user, healthy)
    await api.controls[ExchangeId.BYBIT].set_faults()
    assert down["status_code"] == 503 and down["report"]["status"] == "unreachable"  # type: ignore[index]

    bad = await api.client.post(
        "/api/v1/connections",
        json={"exchange": "kraken", "environment": "sandbox", "credentials": {"api_key": "x"}},
        headers=user.auth,
    )
    assert bad.status_code == 422 and bad.json()["field"] == "exchange"
    missing = await _connect(api, user, {"api_key": healthy["api_key"]})
    assert missing["status_code"] == 422 and missing["field"] == "secret"
    listed = (await api.client.get("/api/v1/connections", headers=user.auth)).json()
    assert [c["status"] for c in listed["items"]] == ["action_required"]


async def test_check_replace_history_and_remove(api: Api) -> None:
    user = await api.user("a@example.com")
    healthy = await api.scenario(ExchangeId.BYBIT, "healthy")
    connected = await _connect(api, user, healthy["credentials"])
    connection_id = str(connected["connection_id"])
    prefix = connection_id[:8]

    checked = await api.client.post(f"/api/v1/connections/{prefix}/check", headers=user.auth)
    assert checked.status_code == 200 and checked.json()["report"]["status"] == "connected"

    # a broken new key: 422 with the report, and the old key stays
    broken = dict(healthy["credentials"], secret="A" * 36)
    refused = await api.client.put(
        f"/api/v1/connections/{connection_id}/credentials", json={"credentials": broken}, headers=user.auth
    )
    assert refused.status_code == 422 and refused.json()["report"]["status"] == "invalid"
    shown = (await api.client.get(f"/api/v1/connections/{connection_id}", headers=user.auth)).json()
    assert shown["masked_key"].endswith(healthy["credentials"]["api_key"][-4:]) and shown["status"] == "connected"

    # another account's key: 409 unless allowed
    other = (await api.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    moved = await api.client.put(
        f"/api/v1/connections/{connection_id}/credentials", json={"credentials": other}, headers=user.auth
    )
    assert moved.status_code == 409 and moved.json()["type"] == "/problems/account-changed"
    allowed = await api.client.put(
        f"/api/v1/connections/{connection_id}/credentials",
        json={"credentials": other, "allow_account_change": True},
        headers=user.auth,
    )
    assert allowed.status_code == 200 and allowed.json()["stored"] is True

    history = (await api.client.get(f"/api/v1/connections/{connection_id}/history?limit=2", headers=user.auth)).json()
    assert [run["trigger"] for run in history["items"]] == ["replace", "check"] and history["next_offset"] == 2
    balances = await api.client.get(f"/api/v1/connections/{connection_id}/balances", headers=user.auth)
    assert balances.status_code == 200 and "total_usd" in balances.json()

    removed = await api.client.delete(f"/api/v1/connections/{connection_id}", headers=user.auth)
    assert removed.status_code == 200 and removed.json()["secrets_destroyed"] is True
    gone = await api.client.get(f"/api/v1/connections/{connection_id}", headers=user.auth)
    assert gone.status_code == 404
    actions = [a["action"] for a in (await api.client.get("/api/v1/audit", headers=user.auth)).json()["items"]]
    assert actions[:3] == ["remove", "replace", "replace_refused"]


async def test_connection_list_pages_are_read_page_by_page(api: Api) -> None:
    """`GET /connections` pages in the query (limit + 1 rows): order, next_offset and the owner's rows only."""
    from tradedock.services.bulk_store import KeyToStore, store_many

    owner = await api.user("pages@example.com")
    other = await api.user("other@example.com")

    def keys(prefix: str, count: int) -> list[KeyToStore]:
        return [
            KeyToStore(ExchangeId.BYBIT, "sandbox", f"{prefix} {i}", "futures", {"api_key": f"{prefix}KEY{i:04d}x",
                       "secret": f"{prefix}secret{i:04d}xyz"})
            for i in range(count)
        ]  # fmt: skip

    await store_many(api.ctx, "pages@example.com", keys("P", 5))
    await store_many(api.ctx, "other@example.com", keys("O", 3))
    seen, offset, offsets = [], 0, []
    while offset is not None:
        page = (await api.client.get(f"/api/v1/connections?limit=2&offset={offset}", headers=owner.auth)).json()
        assert page["limit"] == 2 and page["offset"] == offset and len(page["items"]) <= 2
        seen += [item["label"] for item in page["items"]]
        offset = page["next_offset"]
        offsets.append(offset)
    assert offsets == [2, 4, None]
    assert sorted(seen) == [f"P {i}" for i in range(5)] and len(set(seen)) == 5
    exact = (await api.client.get("/api/v1/connections?limit=3", headers=other.auth)).json()
    assert len(exact["items"]) == 3 and exact["next_offset"] is None  # exactly one full page: no next page
