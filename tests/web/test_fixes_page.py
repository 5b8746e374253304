"""The dashboard's "fix it for me": the connection page offers the fix, the confirmation page's form (with the
session's CSRF token) applies it and re-checks; without the token nothing changes; another user's connection and
a fix not offered are "not found". On SQLite and PostgreSQL, in process."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import Site, add_user
from tradedock.domain import ExchangeId

pytestmark = pytest.mark.usefixtures("backend")

FIX = "position_mode.one_way"


async def test_the_connection_page_offers_the_fix_and_the_confirmed_form_applies_it(site: Site) -> None:
    await add_user(site.ctx, "a@example.com")
    await site.sign_in("a@example.com")
    creds = (await site.scenario(ExchangeId.BYBIT, "hedge_mode"))["credentials"]
    answer = await site.post(
        "/connect/bybit",
        {"environment": "sandbox", "scope": "futures", "contract": "usdt_m", **creds},
        csrf_from="/connect/bybit",
    )
    assert answer.status_code == 303, answer.text
    found = re.match(r"/connections/([^/?]+)", answer.headers["location"])
    assert found
    connection_id = found.group(1)
    page = await site.get(f"/connections/{connection_id}")
    assert "status-action_required" in page.text or "Action required" in page.text
    assert f'href="/connections/{connection_id}/fixes/{FIX}"' in page.text

    confirm = await site.get(f"/connections/{connection_id}/fixes/{FIX}")
    assert confirm.status_code == 200 and "one-way mode" in confirm.text
    assert 'name="csrf_token"' in confirm.text and f'action="/connections/{connection_id}/fixes/{FIX}"' in confirm.text
    assert (await site.get(f"/connections/{connection_id}/fixes/margin.cross")).status_code == 404

    # without the session's CSRF token nothing changes
    assert (await site.post(f"/connections/{connection_id}/fixes/{FIX}", {})).status_code == 403
    assert f"/fixes/{FIX}" in (await site.get(f"/connections/{connection_id}")).text

    # user B: the same not-found as a missing connection, and nothing changes
    site.client.cookies.clear()
    await add_user(site.ctx, "b@example.com")
    await site.sign_in("b@example.com")
    theirs = await site.get(f"/connections/{connection_id}/fixes/{FIX}")
    missing = await site.get(f"/connections/con_doesnotexist/fixes/{FIX}")
    assert theirs.status_code == missing.status_code == 404 and theirs.text == missing.text
    assert (await site.post(f"/connections/{connection_id}/fixes/{FIX}", {}, csrf_from="/")).status_code == 404

    site.client.cookies.clear()
    await site.sign_in("a@example.com")
    assert f"/fixes/{FIX}" in (await site.get(f"/connections/{connection_id}")).text
    applied = await site.post(
        f"/connections/{connection_id}/fixes/{FIX}", {}, csrf_from=f"/connections/{connection_id}/fixes/{FIX}"
    )
    assert applied.status_code == 303 and applied.headers["location"].endswith("?done=fixed")
    after = await site.get(applied.headers["location"])
    assert "The fix was applied" in after.text and f"/fixes/{FIX}" not in after.text
    assert "status-connected" in after.text
