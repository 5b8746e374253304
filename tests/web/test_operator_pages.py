"""The operator's pages in process on SQLite and PostgreSQL: health, users (list, add with a first password never
shown back, the operator role), egress IPs with copy buttons, the policy read-only — and for anyone else the 403
page, also for a form posted with a valid CSRF token."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import EGRESS_IP, PASSWORD, Site, add_user

pytestmark = pytest.mark.usefixtures("backend")

PAGES = ("/operator/health", "/operator/users", "/operator/egress", "/operator/policy")


async def test_a_trader_gets_the_403_page_everywhere(site: Site) -> None:
    await add_user(site.ctx, "trader@example.com")
    await site.sign_in("trader@example.com")
    for page in PAGES:
        answer = await site.get(page)
        assert answer.status_code == 403 and "Only an operator can see this" in answer.text, page
    home = await site.get("/")
    assert 'href="/operator/health"' not in home.text
    sneaky = await site.post(
        "/operator/users", {"email": "x@example.com", "password": PASSWORD, "operator": "yes"}, csrf_from="/"
    )
    assert sneaky.status_code == 403
    site.client.cookies.clear()
    await add_user(site.ctx, "op@example.com", operator=True)
    await site.sign_in("op@example.com")
    assert "x@example.com" not in (await site.get("/operator/users")).text


async def test_the_operator_lists_and_adds_users(site: Site) -> None:
    await add_user(site.ctx, "trader@example.com")
    await add_user(site.ctx, "op@example.com", operator=True)
    await site.sign_in("op@example.com")
    listed = await site.get("/operator/users")
    assert listed.status_code == 200 and "2 users" in listed.text
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(Operator|Trader)</td>", listed.text)
    assert rows == [("trader@example.com", "Trader"), ("op@example.com", "Operator")]

    first = "a first password 1"
    bad = await site.post(
        "/operator/users",
        {"email": "not an address", "password": first, "operator": "yes"},
        csrf_from="/operator/users",
    )
    assert bad.status_code == 422 and "Email:" in bad.text and 'value="not an address"' in bad.text
    assert first not in bad.text and re.search(r'id="f-operator"[^>]*checked', bad.text)
    short = await site.post("/operator/users", {"email": "new@example.com", "password": "short"}, csrf_from="/")
    assert short.status_code == 422 and "Password:" in short.text and 'value="new@example.com"' in short.text
    made = await site.post(
        "/operator/users", {"email": "New@Example.com", "password": first, "operator": "yes"}, csrf_from="/"
    )
    assert made.status_code == 303 and made.headers["location"].startswith("/operator/users?created=")
    shown = await site.get(made.headers["location"])
    assert "new@example.com can now sign in as an operator" in shown.text and first not in shown.text
    assert (await site.get("/operator/users")).text.count("<tr><td>") == 3
    duplicate = await site.post("/operator/users", {"email": "new@example.com", "password": first}, csrf_from="/")
    assert duplicate.status_code == 422 and "Email:" in duplicate.text

    site.client.cookies.clear()
    assert (await site.sign_in("new@example.com", first)).status_code == 303
    assert (await site.get("/operator/policy")).status_code == 200  # an operator


async def test_egress_ips_with_copy_buttons_and_the_policy_read_only(site: Site) -> None:
    await add_user(site.ctx, "op@example.com", operator=True)
    await site.sign_in("op@example.com")
    egress = await site.get("/operator/egress")
    assert egress.status_code == 200
    assert re.search(
        rf'<code id="egress-1">{re.escape(EGRESS_IP)}</code>\s*<button type="button" class="secondary copy', egress.text
    )
    assert 'data-copy="egress-all"' in egress.text and "TRADEDOCK_EGRESS_IPS" in egress.text

    policy = await site.get("/operator/policy")
    assert policy.status_code == 200
    assert re.search(
        r"<td>Withdraw permission on a key</td><td>fail the check</td><td><code>TRADEDOCK_WITHDRAW_POLICY", policy.text
    )
    assert "<td>Warn about a key expiring within</td><td>14 days</td>" in policy.text
    assert re.search(r"<td>Bybit</td><td>[0-9.]+ USD</td><td>one-way</td>", policy.text)
    assert "<form" not in policy.text.split("<main", 1)[1].split("</main>")[0]  # read-only
    health = await site.get("/operator/health")
    assert health.status_code == 200 and 'aria-current="page"' in health.text
