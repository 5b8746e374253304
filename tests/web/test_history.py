"""The connection page's history in words, in process on SQLite and PostgreSQL: a status change (the key revoked
on the exchange, then re-checked) shows as "Status changed: Connected → Invalid" with the failing checks' titles,
and the checks table names the checks by title — never by id."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.web.conftest import Site, add_user
from tradedock.domain import ExchangeId

pytestmark = pytest.mark.usefixtures("backend")


async def test_history_shows_status_changes_and_check_titles_not_ids(site: Site) -> None:
    await add_user(site.ctx, "h@example.com")
    await site.sign_in("h@example.com")
    creds = (await site.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    made = await site.post(
        "/connect/bybit",
        {"environment": "sandbox", "scope": "futures", "contract": "usdt_m", **creds},
        csrf_from="/connect/bybit",
    )
    page = made.headers["location"].split("?")[0]
    async with httpx.AsyncClient(transport=site.transports[ExchangeId.BYBIT], base_url="http://bybit.sim") as sim:
        (await sim.delete(f"/_sim/keys/{creds['api_key']}")).raise_for_status()
    checked = await site.post(f"{page}/check", {}, csrf_from=page)
    assert "Verdict: Invalid." in checked.text

    shown = (await site.get(page)).text
    history = shown[shown.index('id="history-title"') :]
    assert "Status changed: Connected → Invalid" in history
    assert "Key and signature accepted: Failed" in history  # the failing check by its title, in the event
    assert "Failed: Key and signature accepted" in history  # and in the checks table
    assert "All passed" in history  # the connect run
    for check_id in ("auth.signature", "connection.status_changed", "credentials.format"):
        assert check_id not in history
    latest = shown[shown.index('id="last-title"') : shown.index('id="history-title"')]
    titles = re.findall(r'<span class="check-title">([^<]+)<', latest)
    assert "Key and signature accepted" in titles and not [t for t in titles if "." in t]
