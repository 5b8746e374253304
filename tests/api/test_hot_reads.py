"""The API's hot reads (`services.api_reads` over `db.hot_reads`: plain DB-API SELECTs, no ORM) answer exactly what
the ORM services answer: the same bytes for a page of connections and for one connection with its last report,
the same caller for a token or a session, on SQLite and PostgreSQL."""

from __future__ import annotations

import os

import pytest

from tests.api.conftest import Api, User
from tradedock.api.deps import Page, Paging
from tradedock.domain import ExchangeId
from tradedock.services.accounts import AccountService
from tradedock.services.api_reads import ApiReads, Presented
from tradedock.services.bulk_store import KeyToStore, store_many
from tradedock.services.connections import ConnectionService
from tradedock.services.views import ConnectionView

pytestmark = pytest.mark.usefixtures("backend")


async def _connect(api: Api, user: User, scenario: str) -> str:
    credentials = (await api.scenario(ExchangeId.BYBIT, scenario))["credentials"]
    answer = await api.client.post(
        "/api/v1/connections",
        json={"exchange": "bybit", "environment": "sandbox", "label": "Bybit — «main»", "credentials": credentials},
        headers=user.auth,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["connection_id"])


async def _seed(api: Api, user: User) -> list[str]:
    """Verified connections (with reports, balances, modes) and bulk-stored ones (no report yet)."""
    verified = [await _connect(api, user, "healthy"), await _connect(api, user, "hedge_mode")]
    keys = [
        KeyToStore(
            ExchangeId.BITGET,
            "live",
            f"bulk {i}",
            "futures",
            {"api_key": f"bg_{i:06d}{os.urandom(12).hex()}", "secret": os.urandom(32).hex(), "passphrase": "pp1"},
            contract_type="usdt_m",
        )
        for i in range(5)
    ]
    stored = await store_many(api.ctx, user.email, keys)
    return verified + [cid for cid in stored.connection_ids if cid is not None]


async def test_reads_are_direct_on_both_backends(api: Api) -> None:
    reads: ApiReads = api.app.state.api.reads
    assert reads.direct  # otherwise the comparisons below would compare the ORM path with itself


async def test_pages_are_the_bytes_the_orm_views_serialise_to(api: Api) -> None:
    user = await api.user("a@example.com")
    other = await api.user("b@example.com")
    await _seed(api, other)  # never shown to A
    await _seed(api, user)
    service = ConnectionService.for_owner_id(api.ctx, user.id)
    for limit, offset in ((50, 0), (3, 0), (3, 3), (3, 6), (2, 100)):
        answer = await api.client.get(f"/api/v1/connections?limit={limit}&offset={offset}", headers=user.auth)
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
        views = await service.list(limit=limit + 1, offset=offset)
        expected = Page[ConnectionView].window(views, Paging(limit, offset)).model_dump_json()
        assert answer.content == expected.encode()
    assert len((await api.client.get("/api/v1/connections", headers=user.auth)).json()["items"]) == 7


async def test_a_connection_is_the_bytes_the_orm_view_serialises_to(api: Api) -> None:
    user = await api.user("a@example.com")
    ids = await _seed(api, user)
    service = ConnectionService.for_owner_id(api.ctx, user.id)
    for connection_id in ids:  # with a report (13 checks, evidence) and without one
        expected = (await service.show(connection_id)).model_dump_json().encode()
        answer = await api.client.get(f"/api/v1/connections/{connection_id}", headers=user.auth)
        assert answer.status_code == 200 and answer.content == expected
        by_prefix = await api.client.get(f"/api/v1/connections/{connection_id[:8].upper()}", headers=user.auth)
        assert by_prefix.content == expected
    shown = (await api.client.get(f"/api/v1/connections/{ids[0]}", headers=user.auth)).json()
    assert len(shown["last_report"]["checks"]) == 13 and shown["balance_usd"] is not None


async def test_unknown_foreign_short_and_non_id_texts(api: Api) -> None:
    user = await api.user("a@example.com")
    other = await api.user("b@example.com")
    theirs = await _seed(api, other)
    await _seed(api, user)
    missing = await api.client.get(f"/api/v1/connections/{theirs[0]}", headers=user.auth)
    gone = await api.client.get("/api/v1/connections/00000000-0000-0000-0000-000000000000", headers=user.auth)
    assert missing.status_code == gone.status_code == 404
    assert missing.json()["type"] == "/problems/not-found"
    secret_like = await api.client.get("/api/v1/connections/sk_live_SECRET_VALUE", headers=user.auth)
    assert secret_like.status_code == 404 and "SECRET" not in secret_like.text
    too_short = await api.client.get("/api/v1/connections/" + theirs[0][:3], headers=user.auth)
    assert too_short.status_code == 404  # three characters: never taken as a prefix


async def test_callers_are_the_ones_the_account_service_finds(api: Api) -> None:
    user = await api.user("a@example.com", operator=True)
    reads: ApiReads = api.app.state.api.reads
    async with api.ctx.reading() as session:
        expected = await AccountService(session, api.ctx.clock).check_token(user.token)
    assert await reads.caller(Presented(token=f"  {user.token} ")) == expected
    login = await api.client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    cookie = login.cookies["tradedock_session"]
    async with api.ctx.reading() as session:
        expected = await AccountService(session, api.ctx.clock).check_session(cookie)
    assert await reads.caller(Presented(cookie=cookie)) == expected
    # revoked: refused at the very next request (nothing is cached)
    tokens = (await api.client.get("/api/v1/tokens", headers=user.auth)).json()["items"]
    assert (await api.client.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers=user.auth)).status_code == 204
    assert (await api.client.get("/api/v1/connections", headers=user.auth)).status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/connections", "/api/v1/connections/{id}", "/api/v1/connections/{prefix}"])
async def test_list_and_show_record_the_tokens_use_like_every_route(api: Api, path: str) -> None:
    user = await api.user("a@example.com")
    ids = await _seed(api, user)
    made = await api.client.post("/api/v1/tokens", json={"name": "reader"}, headers=user.auth)
    second = made.json()
    assert second["last_used_at"] is None
    url = path.format(id=ids[0], prefix=ids[0][:6])
    answer = await api.client.get(url, headers={"Authorization": f"Bearer {second['token']}"})
    assert answer.status_code == 200
    tokens = (await api.client.get("/api/v1/tokens", headers=user.auth)).json()["items"]
    assert next(t for t in tokens if t["id"] == second["id"])["last_used_at"] is not None
