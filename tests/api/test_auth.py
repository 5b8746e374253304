"""Sign-in, sessions, CSRF, API tokens and sign-in rate limits, through the real app."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.api.conftest import BASE, PASSWORD, Api
from tradedock.clock import FrozenClock

pytestmark = pytest.mark.usefixtures("backend")


async def _login(api: Api, email: str, password: str = PASSWORD) -> httpx.Response:
    return await api.client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_login_sets_an_httponly_lax_session_cookie_and_returns_the_csrf_token(api: Api) -> None:
    await api.user("a@example.com")
    response = await _login(api, "A@Example.com ")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["email"] == "a@example.com"
    cookie = response.headers["set-cookie"]
    assert "tradedock_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    me = await api.client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["via"] == "session" and me.json()["csrf_token"] == body["csrf_token"]


async def test_wrong_password_and_unknown_email_get_the_same_answer(api: Api) -> None:
    await api.user("a@example.com")
    wrong = await _login(api, "a@example.com", "not the password")
    unknown = await _login(api, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    assert wrong.json() == unknown.json()
    assert "set-cookie" not in wrong.headers


async def test_logout_revokes_the_session_server_side(api: Api) -> None:
    await api.user("a@example.com")
    body = (await _login(api, "a@example.com")).json()
    cookie = api.client.cookies["tradedock_session"]
    out = await api.client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    assert out.status_code == 204
    # The old cookie value, replayed by someone who copied it, no longer works.
    api.client.cookies.clear()
    api.client.cookies.set("tradedock_session", cookie)
    replay = await api.client.get("/api/v1/me")
    assert replay.status_code == 401


async def test_cross_site_form_post_with_a_valid_session_cookie_is_refused(api: Api) -> None:
    await api.user("a@example.com")
    body = (await _login(api, "a@example.com")).json()
    form = await api.client.post(
        "/api/v1/webhooks",
        data={"url": "https://evil.example/hook"},
        headers={"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 403
    assert form.json()["field"] == "X-CSRF-Token"
    # even with the right token, a request the browser marks as coming from another site is refused
    foreign = await api.client.post(
        "/api/v1/webhooks",
        json={"url": "https://hooks.example.com/x"},
        headers={"X-CSRF-Token": body["csrf_token"], "Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    listed = await api.client.get("/api/v1/webhooks")
    assert listed.json()["items"] == []
    # the dashboard's own request (token in the header, same origin) goes through
    own = await api.client.post(
        "/api/v1/webhooks",
        json={"url": "https://hooks.example.com/x"},
        headers={"X-CSRF-Token": body["csrf_token"], "Origin": BASE},
    )
    assert own.status_code == 201, own.text


async def test_a_token_call_needs_no_csrf_token(api: Api) -> None:
    user = await api.user("a@example.com")
    created = await api.client.post("/api/v1/webhooks", json={"url": "https://hooks.example.com/x"}, headers=user.auth)
    assert created.status_code == 201, created.text
    assert created.json()["secret"].startswith("tdwh_")
    listed = await api.client.get("/api/v1/webhooks", headers=user.auth)
    assert [w["id"] for w in listed.json()["items"]] == [created.json()["id"]]
    assert "secret" not in listed.json()["items"][0]


async def test_tokens_are_shown_once_listed_by_name_and_revocable(api: Api) -> None:
    user = await api.user("a@example.com")
    made = await api.client.post("/api/v1/tokens", json={"name": "bot"}, headers=user.auth)
    assert made.status_code == 201
    token = made.json()["token"]
    assert token.startswith("tdp_")
    mine = {"Authorization": f"Bearer {token}"}
    assert (await api.client.get("/api/v1/me", headers=mine)).json()["via"] == "token"
    listed = (await api.client.get("/api/v1/tokens", headers=user.auth)).json()["items"]
    bot = next(t for t in listed if t["name"] == "bot")
    assert "token" not in bot and bot["hint"] == token[:8] and bot["last_used_at"] is not None
    again = await api.client.post("/api/v1/tokens", json={"name": "bot"}, headers=user.auth)
    assert again.status_code == 422 and again.json()["field"] == "name"
    assert (await api.client.delete(f"/api/v1/tokens/{bot['id']}", headers=user.auth)).status_code == 204
    assert (await api.client.get("/api/v1/me", headers=mine)).status_code == 401


async def test_sign_in_is_rate_limited_per_account_and_per_ip(api: Api) -> None:
    await api.user("a@example.com")
    codes = [(await _login(api, "a@example.com", "wrong password!")).status_code for _ in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    limited = await _login(api, "a@example.com")  # even the right password waits now
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    # other accounts from the same IP still get through, until the IP's 20 attempts a minute are used up
    codes = [(await _login(api, f"user{i}@example.com", "wrong password!")).status_code for i in range(14)]
    assert codes[:13] == [401] * 13 and codes[13] == 429


async def test_operator_only_views(api: Api) -> None:
    trader = await api.user("a@example.com")
    operator = await api.user("op@example.com", operator=True)
    assert (await api.client.get("/api/v1/health", headers=trader.auth)).status_code == 403
    assert (await api.client.get("/api/v1/settings", headers=trader.auth)).status_code == 403
    settings = await api.client.get("/api/v1/settings", headers=operator.auth)
    assert settings.status_code == 200 and settings.json()["open_signup"] is False
    signup = await api.client.post("/api/v1/auth/signup", json={"email": "new@example.com", "password": PASSWORD})
    assert signup.status_code == 403


async def test_unauthenticated_and_malformed_auth(api: Api) -> None:
    response = await api.client.get("/api/v1/connections")
    assert response.status_code in (401, 404)
    nobody = await api.client.get("/api/v1/me")
    assert nobody.status_code == 401 and nobody.headers["www-authenticate"].startswith("Bearer")
    basic = await api.client.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    bogus = await api.client.get("/api/v1/me", headers={"Authorization": "Bearer tdp_not-a-token"})
    assert bogus.status_code == 401 and bogus.json()["type"] == "/problems/unauthenticated"


@pytest.mark.parametrize("api_options", [{"open_signup": True}])
async def test_open_signup_when_the_operator_allows_it(api: Api) -> None:
    made = await api.client.post("/api/v1/auth/signup", json={"email": "New@Example.com", "password": PASSWORD})
    assert made.status_code == 201 and made.json() == {**made.json(), "email": "new@example.com", "is_operator": False}
    taken = await api.client.post("/api/v1/auth/signup", json={"email": "new@example.com", "password": PASSWORD})
    assert taken.status_code == 422 and taken.json()["field"] == "email"
    weak = await api.client.post("/api/v1/auth/signup", json={"email": "b@example.com", "password": "Zq9!w"})
    assert weak.status_code == 422 and weak.json()["field"] == "password" and "Zq9!w" not in weak.text
    assert (await _login(api, "new@example.com")).status_code == 200


CLOCK = FrozenClock(datetime(2026, 3, 1, tzinfo=UTC))


@pytest.mark.parametrize("api_options", [{"clock": CLOCK}])
async def test_sessions_end_after_a_day_unused_and_after_seven_days_in_all(api: Api) -> None:
    await api.user("a@example.com")
    assert (await _login(api, "a@example.com")).status_code == 200
    CLOCK.advance(hours=23)
    assert (await api.client.get("/api/v1/me")).status_code == 200  # used: the idle timer restarts
    CLOCK.advance(hours=23)
    assert (await api.client.get("/api/v1/me")).status_code == 200
    CLOCK.advance(hours=25)
    assert (await api.client.get("/api/v1/me")).status_code == 401  # more than a day unused

    assert (await _login(api, "a@example.com")).status_code == 200
    codes = []
    for _ in range(8):
        CLOCK.advance(hours=23)
        codes.append((await api.client.get("/api/v1/me")).status_code)
    assert codes == [200] * 7 + [401]  # 184 hours in: past the 7-day lifetime although used every day


async def test_signing_in_works_with_a_stale_cookie_but_not_from_another_site(api: Api) -> None:
    await api.user("a@example.com")
    api.client.cookies.set("tradedock_session", "stale-value-from-an-ended-session")
    assert (await _login(api, "a@example.com")).status_code == 200
    foreign = await api.client.post(
        "/api/v1/auth/login",
        json={"email": "a@example.com", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403 and foreign.json()["type"] == "/problems/csrf"
