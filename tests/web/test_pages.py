"""The dashboard's pages in process (no browser): sign-in, the session and CSRF rules on forms, connect / check /
replace / remove through the forms, errors naming the field and keeping what was typed except secrets, another
user's connection, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from urllib.parse import quote, quote_plus

import pytest

from tests.web.conftest import PASSWORD, LogCapture, Site, add_user
from tradedock.domain import ExchangeId

pytestmark = pytest.mark.usefixtures("backend")


def _connection_id(location: str) -> str:
    found = re.fullmatch(r"/connections/([^/?]+)\?done=connected", location)
    assert found, location
    return found.group(1)


async def _signed_in(site: Site, email: str = "trader@example.com") -> None:
    await add_user(site.ctx, email)
    answer = await site.sign_in(email)
    assert answer.status_code == 303 and answer.headers["location"] == "/"


async def test_pages_need_a_session_and_sign_in_names_the_problem(site: Site) -> None:
    for page in ("/", "/connect", "/connect/bybit", "/tokens", "/webhooks", "/connections/abc"):
        answer = await site.get(page)
        assert answer.status_code == 303 and answer.headers["location"] == "/signin", page
    await add_user(site.ctx, "trader@example.com")
    wrong = await site.sign_in("Trader@Example.com ", "not the password")
    assert wrong.status_code == 401 and "the e-mail or the password is wrong" in wrong.text
    assert 'value="Trader@Example.com"' in wrong.text  # what was typed is kept (trimmed) ...
    assert "not the password" not in wrong.text  # ... except the password
    assert "tradedock_session" not in wrong.headers.get("set-cookie", "")
    ok = await site.sign_in("trader@example.com")
    assert ok.status_code == 303
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    home = await site.get("/")
    assert home.status_code == 200 and "No exchanges connected yet" in home.text and 'href="/connect"' in home.text
    assert home.headers["cache-control"] == "no-store"

    out = await site.post("/signout", {}, csrf_from="/")
    assert out.status_code == 303 and out.headers["location"] == "/signin?signed_out=1"
    assert (await site.get("/")).headers["location"] == "/signin"


async def test_the_same_session_works_for_the_api_and_api_csrf_still_applies(site: Site) -> None:
    await _signed_in(site)
    me = await site.client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["via"] == "session"
    refused = await site.client.post("/api/v1/tokens", json={"name": "x"})  # cookie, no X-CSRF-Token
    assert refused.status_code == 403 and refused.json()["field"] == "X-CSRF-Token"
    token = me.json()["csrf_token"]
    made = await site.client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": token})
    assert made.status_code == 201
    assert "x" in (await site.get("/tokens")).text


async def test_forms_without_the_sessions_csrf_token_or_from_another_site_change_nothing(site: Site) -> None:
    await _signed_in(site)
    creds = (await site.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    form = {"environment": "sandbox", "scope": "futures", "contract": "usdt_m", "label": "", **creds}
    assert (await site.post("/connect/bybit", form)).status_code == 403
    assert (await site.post("/connect/bybit", {**form, "csrf_token": "forged"})).status_code == 403
    token = await site.csrf("/connect/bybit")
    cross = await site.client.post(
        "/connect/bybit", data={**form, "csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    assert (await site.post("/tokens", {"name": "sneaky"})).status_code == 403
    assert "No exchanges connected yet" in (await site.get("/")).text
    assert "sneaky" not in (await site.get("/tokens")).text
    # a token from another session is worthless here
    other = Site(site.app, site.client, site.transports, site.home)
    await add_user(site.ctx, "other@example.com")
    site.client.cookies.clear()
    await other.sign_in("other@example.com")
    assert (await site.post("/tokens", {"name": "replayed", "csrf_token": token})).status_code == 403


async def test_connect_check_replace_remove_through_the_forms(site: Site) -> None:
    await _signed_in(site)
    healthy = (await site.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    form = {"environment": "sandbox", "scope": "futures", "contract": "usdt_m", "label": "Main <b>Bybit</b>"}
    answer = await site.post("/connect/bybit", {**form, **healthy}, csrf_from="/connect/bybit")
    assert answer.status_code == 303
    connection_id = _connection_id(answer.headers["location"])
    page = await site.get(answer.headers["location"])
    assert page.status_code == 200 and "is connected: Connected" in page.text
    assert "Main &lt;b&gt;Bybit&lt;/b&gt;" in page.text and "<b>Bybit</b>" not in page.text  # escaped
    assert "USDT" in page.text and "Re-check" in page.text

    home = await site.get("/")
    assert "status-connected" in home.text and "Needs your attention" not in home.text
    assert "Main &lt;b&gt;Bybit&lt;/b&gt;" in (await site.get("/?status=connected")).text
    assert "No connection is invalid" in (await site.get("/?status=invalid")).text

    checked = await site.post(f"/connections/{connection_id}/check", {}, csrf_from=f"/connections/{connection_id}")
    assert checked.status_code == 200 and "Verdict: Connected." in checked.text

    # a broken new key is refused with its report, and the old key stays
    broken = dict(healthy, secret="A" * 36)
    refused = await site.post(
        f"/connections/{connection_id}/replace", broken, csrf_from=f"/connections/{connection_id}/replace"
    )
    assert refused.status_code == 422 and "Verdict: Invalid." in refused.text and "current key was kept" in refused.text
    assert "A" * 36 not in refused.text and f'value="{healthy["api_key"]}"' in refused.text
    shown = await site.get(f"/connections/{connection_id}")
    assert healthy["api_key"][-4:] in shown.text

    # another account's key needs the confirmation box
    other = (await site.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    moved = await site.post(
        f"/connections/{connection_id}/replace", other, csrf_from=f"/connections/{connection_id}/replace"
    )
    assert moved.status_code == 409 and 'name="allow_account_change"' in moved.text
    allowed = await site.post(
        f"/connections/{connection_id}/replace",
        {**other, "allow_account_change": "yes"},
        csrf_from=f"/connections/{connection_id}/replace",
    )
    assert allowed.status_code == 303 and allowed.headers["location"].endswith("?done=replaced")
    assert other["api_key"][-4:] in (await site.get(f"/connections/{connection_id}")).text

    confirm = await site.get(f"/connections/{connection_id}/remove")
    assert "delete it there" in confirm.text
    removed = await site.post(f"/connections/{connection_id}/remove", {}, csrf_from=f"/connections/{connection_id}")
    assert removed.status_code == 303 and removed.headers["location"] == "/?removed=bybit"
    after = await site.get(removed.headers["location"])
    assert "delete the API key on Bybit" in after.text and "No exchanges connected yet" in after.text
    assert (await site.get(f"/connections/{connection_id}")).status_code == 404


async def test_errors_name_the_field_keep_what_was_typed_but_never_secrets(site: Site) -> None:
    await _signed_in(site)
    creds = (await site.scenario(ExchangeId.BITGET, "wrong_passphrase"))["credentials"]
    base = {"environment": "sandbox", "scope": "futures", "contract": "usdt_m", "label": "My Bitget"}
    missing = await site.post(
        "/connect/bitget", {**base, "api_key": creds["api_key"], "secret": creds["secret"]}, csrf_from="/connect/bitget"
    )
    assert missing.status_code == 422 and "Passphrase:" in missing.text and 'aria-invalid="true"' in missing.text
    assert 'value="My Bitget"' in missing.text and f'value="{creds["api_key"]}"' in missing.text
    assert creds["secret"] not in missing.text

    wrong = await site.post("/connect/bitget", {**base, **creds}, csrf_from="/connect/bitget")
    assert wrong.status_code == 422 and "Verdict: Invalid." in wrong.text and "Nothing was stored" in wrong.text
    assert "How to fix:" in wrong.text and "passphrase" in wrong.text.lower()
    for name in ("secret", "passphrase"):
        assert creds[name] not in wrong.text

    bad_contract = await site.post(
        "/connect/bitget", {**base, **creds, "contract": "nope"}, csrf_from="/connect/bitget"
    )
    assert bad_contract.status_code == 422 and "Contract:" in bad_contract.text

    assert (await site.get("/connect/kraken")).status_code == 404
    assert "No exchanges connected yet" in (await site.get("/")).text


async def test_another_users_connection_is_the_same_not_found_as_a_missing_one(site: Site) -> None:
    await _signed_in(site, "a@example.com")
    creds = (await site.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    answer = await site.post(
        "/connect/bybit",
        {"environment": "sandbox", "scope": "futures", "contract": "usdt_m", **creds},
        csrf_from="/connect/bybit",
    )
    connection_id = _connection_id(answer.headers["location"])
    site.client.cookies.clear()
    await _signed_in(site, "b@example.com")
    for suffix in ("", "/replace", "/remove"):
        theirs = await site.get(f"/connections/{connection_id}{suffix}")
        missing = await site.get(f"/connections/con_doesnotexist{suffix}")
        assert theirs.status_code == missing.status_code == 404
        assert theirs.text == missing.text
    removal = await site.post(f"/connections/{connection_id}/remove", {}, csrf_from="/")
    assert removal.status_code == 404
    assert "No exchanges connected yet" in (await site.get("/")).text


async def test_tokens_webhooks_and_the_operator_page(site: Site) -> None:
    await _signed_in(site)
    bad = await site.post("/tokens", {"name": "no <way>"}, csrf_from="/tokens")
    assert bad.status_code == 200 and "Name:" in bad.text and 'value="no &lt;way&gt;"' in bad.text
    made = await site.post("/tokens", {"name": "bot"}, csrf_from="/tokens")
    token = re.search(r'id="new-token">(tdp_[^<]+)<', made.text)
    assert token, "the new token is shown once"
    assert token.group(1) not in (await site.get("/tokens")).text  # ... and only once
    me = await site.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.group(1)}"})
    assert me.status_code == 200
    token_id = re.search(r'action="/tokens/([^/]+)/revoke"', (await site.get("/tokens")).text)
    assert token_id
    assert (await site.post(f"/tokens/{token_id.group(1)}/revoke", {}, csrf_from="/tokens")).status_code == 303
    assert "No tokens yet." in (await site.get("/tokens")).text

    hook_form = {"url": "http://example.com/hook", "description": "mine", "events": "connection.status_changed"}
    refused = await site.post("/webhooks", hook_form, csrf_from="/webhooks")
    assert "Url:" in refused.text and 'value="http://example.com/hook"' in refused.text
    created = await site.post("/webhooks", {**hook_form, "url": "https://example.com/hook"}, csrf_from="/webhooks")
    secret = re.search(r'id="new-secret">(tdwh_[^<]+)<', created.text)
    assert secret and secret.group(1) not in (await site.get("/webhooks")).text

    denied = await site.get("/operator/health")
    assert denied.status_code == 403 and "Only an operator" in denied.text
    site.client.cookies.clear()
    await add_user(site.ctx, "op@example.com", operator=True)
    await site.sign_in("op@example.com")
    health = await site.get("/operator/health")
    assert health.status_code == 200 and "203.0.113.7" in health.text and "Vault" in health.text


async def test_no_page_redirect_or_log_line_holds_a_submitted_secret(site: Site, log_capture: LogCapture) -> None:
    await _signed_in(site)
    secrets: list[str] = [PASSWORD]
    healthy = (await site.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    wrong = (await site.scenario(ExchangeId.BITGET, "wrong_passphrase"))["credentials"]
    aster = (await site.scenario(ExchangeId.ASTER, "main_wallet_key"))["credentials"]
    secrets += [healthy["secret"], wrong["secret"], wrong["passphrase"], aster["private_key"]]
    form = {"environment": "sandbox", "scope": "futures"}
    connected = await site.post("/connect/bybit", {**form, **healthy}, csrf_from="/connect/bybit")
    page = connected.headers["location"]
    await site.get(page)
    await site.post("/connect/bitget", {**form, **wrong}, csrf_from="/connect/bitget")
    await site.post("/connect/aster", {**form, **aster}, csrf_from="/connect/aster")
    # a secret pasted into the label or a plain field is not echoed either
    await site.post("/connect/bitget", {**form, **wrong, "label": wrong["secret"]}, csrf_from="/connect/bitget")
    replace = page.split("?")[0] + "/replace"
    await site.post(replace, dict(healthy, secret="B" * 36), csrf_from=replace)
    secrets.append("B" * 36)
    await site.post(page.split("?")[0] + "/check", {}, csrf_from=page)
    logs = "\n".join(log_capture.lines)
    assert "http_request" in logs
    for secret in secrets:
        for form_of in {secret, quote(secret, safe=""), quote_plus(secret), secret.lower(), html.escape(secret)}:
            for what, body in site.pages:
                assert form_of not in body and form_of not in what, f"a secret is in {what}"
            assert form_of not in logs


async def test_sign_in_attempts_are_limited_like_the_apis(site: Site) -> None:
    await add_user(site.ctx, "trader@example.com")
    answers = [await site.sign_in("trader@example.com", "wrong password!") for _ in range(5)]
    assert [a.status_code for a in answers] == [401] * 5
    limited = await site.sign_in("trader@example.com")  # even the right password, for now
    assert limited.status_code == 429 and "too many sign-in attempts" in limited.text
    assert "tradedock_session" not in limited.headers.get("set-cookie", "")
    # the same window as the API's sign-in (one limiter per app)
    api = await site.client.post("/api/v1/auth/login", json={"email": "trader@example.com", "password": PASSWORD})
    assert api.status_code == 429
