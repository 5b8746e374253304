"""The connect form's position mode and margin type, in process on SQLite and PostgreSQL: "Auto sync from exchange"
is the default and records whatever the exchange reports; a chosen mode is stored with the connection and checked
at every verification (connect and re-check), so an account in another mode needs action; a mode TradeDock's
strategies cannot use on that exchange is refused naming the field, nothing stored."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import Site, add_user
from tradedock.domain import ExchangeId

pytestmark = pytest.mark.usefixtures("backend")

FORM = {"environment": "sandbox", "scope": "futures", "contract": "usdt_m"}


async def test_auto_sync_is_the_default_and_a_chosen_margin_type_is_kept_and_checked(site: Site) -> None:
    await add_user(site.ctx, "m@example.com")
    await site.sign_in("m@example.com")
    wizard = (await site.get("/connect/bybit")).text
    for name in ("position_mode", "margin_mode"):
        chosen = re.search(rf'<select id="f-{name}"[^>]*>.*?<option value="([^"]+)" selected>([^<]+)<', wizard, re.S)
        assert chosen and chosen.groups() == ("auto", "Auto sync from exchange"), name
    assert 'value="hedge"' not in wizard  # Bybit strategies need one-way: hedge is not offered

    healthy = (await site.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    auto = await site.post("/connect/bybit", {**FORM, "label": "Auto", **healthy}, csrf_from="/connect/bybit")
    page = (await site.get(auto.headers["location"])).text
    assert (
        page.count("auto sync from exchange") == 2
        and "Margin mode: cross margin (recorded; TradeDock follows it)" in page
    )

    other = (await site.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    made = await site.post(
        "/connect/bybit",
        {**FORM, "label": "Isolated", "margin_mode": "isolated", "position_mode": "one_way", **other},
        csrf_from="/connect/bybit",
    )
    assert made.status_code == 303  # action required is stored and flagged
    connection = made.headers["location"].split("?")[0]
    shown = (await site.get(connection)).text
    assert "Action required" in shown and "you chose isolated" in shown and "you chose one_way" in shown
    assert "you chose isolated margin for this connection" in shown and "switch the futures margin mode" in shown
    rechecked = await site.post(f"{connection}/check", {}, csrf_from=connection)
    assert "Verdict: Action required." in rechecked.text and "you chose isolated margin" in rechecked.text
    assert "Position mode: One-Way Mode, as TradeDock needs." in rechecked.text


async def test_a_mode_the_exchange_rules_out_is_refused_naming_the_field(site: Site) -> None:
    await add_user(site.ctx, "m@example.com")
    await site.sign_in("m@example.com")
    healthy = (await site.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    refused = await site.post(
        "/connect/bybit", {**FORM, "label": "Hedge", "position_mode": "hedge", **healthy}, csrf_from="/connect/bybit"
    )
    assert refused.status_code == 422 and "Position mode:" in refused.text and "one-way" in refused.text
    assert 'value="Hedge"' in refused.text and healthy["secret"] not in refused.text
    assert re.search(r'<select id="f-position_mode"[^>]*aria-invalid="true"', refused.text)
    unknown = await site.post(
        "/connect/bybit", {**FORM, "margin_mode": "sideways", **healthy}, csrf_from="/connect/bybit"
    )
    assert unknown.status_code == 422 and "Margin mode:" in unknown.text
    assert "No exchanges connected yet" in (await site.get("/")).text
