"""Strategies and bots in the dashboard, in process on SQLite and PostgreSQL: the catalog (own + published by an
operator), a webhook strategy whose secret is shown once, a built-in one with its parameters (an error names the
field and keeps them), a bot created from a connection (errors keep the input and name the field), start, a
signal as TradingView would post it, one round of the execution engine, then the position, the order, PnL and
events on the bot's page; stop with closing the position; CSRF and another user's bot."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest

from tests.web.conftest import LogCapture, Site, add_user
from tradedock.domain import ExchangeId
from tradedock.services.execution import ExecutionService
from tradedock.services.strategies import ingest_signal

pytestmark = pytest.mark.usefixtures("backend")


async def _sign_in(site: Site, email: str, *, operator: bool = False) -> None:
    site.client.cookies.clear()
    await add_user(site.ctx, email, operator=operator)
    assert (await site.sign_in(email)).status_code == 303


async def _webhook_strategy(site: Site, name: str) -> tuple[str, str]:
    made = await site.post("/strategies/webhook", {"name": name, "max_age": "120"}, csrf_from="/strategies")
    assert made.status_code == 200
    secret = re.search(r'<code id="new-secret">(tds_[^<]+)</code>', made.text)
    url = re.search(
        r'<code id="signal-url">http://tradedock\.test/api/v1/strategies/([^/<]+)/signals</code>', made.text
    )
    assert secret and url, "the secret and the signal URL are shown on creation"
    return url.group(1), html.unescape(secret.group(1))


async def test_the_catalog_webhook_secret_once_builtin_params_and_operator_publishing(site: Site) -> None:
    await _sign_in(site, "op@example.com", operator=True)
    published_id, _ = await _webhook_strategy(site, "Operator <signals>")
    assert (
        await site.post(f"/strategies/{published_id}/publish", {"public": "yes"}, csrf_from="/strategies")
    ).status_code == 303

    await _sign_in(site, "t@example.com")
    strategy_id, secret = await _webhook_strategy(site, "My TV alerts")
    listed = (await site.get("/strategies")).text
    assert secret not in listed and f"<code>{secret[:8]}…</code>" in listed  # shown once, then only its start
    assert "Operator &lt;signals&gt;" in listed and "Published by the operator" in listed
    assert f"/api/v1/strategies/{strategy_id}/signals" in listed
    assert "Publish to all users" not in listed  # traders cannot publish
    refused = await site.post(f"/strategies/{strategy_id}/publish", {"public": "yes"}, csrf_from="/strategies")
    assert refused.status_code == 403 and "only operators can publish" in refused.text

    bad_age = await site.post("/strategies/webhook", {"name": "Kept", "max_age": "soon"}, csrf_from="/strategies")
    assert bad_age.status_code == 422 and 'value="Kept"' in bad_age.text and "Max signal age s:" in bad_age.text

    params = {"name": "Cross", "ma_crossover.symbol": "BTCUSDT", "ma_crossover.interval": "1h"}
    bad = await site.post(
        "/strategies/builtin/ma_crossover",
        {**params, "name": "", "ma_crossover.fast": "7", "ma_crossover.slow": "20"},
        csrf_from="/strategies",
    )
    assert bad.status_code == 422 and "Name:" in bad.text and 'value="7"' in bad.text
    assert re.search(r'id="f-ma_crossover-name"[^>]*aria-invalid="true"', bad.text)
    made = await site.post(
        "/strategies/builtin/ma_crossover",
        {**params, "ma_crossover.fast": "5", "ma_crossover.slow": "20"},
        csrf_from="/strategies",
    )
    assert made.status_code == 303
    shown = (await site.get(made.headers["location"])).text
    assert "Built-in strategy “Cross” created" in shown
    assert "fast = 5" in shown and "slow = 20" in shown and "mode = long_short" in shown  # normalised params
    assert (await site.post("/strategies/webhook", {"name": "x"})).status_code == 403  # no CSRF token


async def test_create_a_bot_from_a_connection_signal_engine_round_position_then_stop_closing_it(
    site: Site, log_capture: LogCapture
) -> None:
    await _sign_in(site, "t@example.com")
    creds = (await site.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    made = await site.post(
        "/connect/bybit",
        {"environment": "sandbox", "scope": "futures", "contract": "usdt_m", "label": "Main", **creds},
        csrf_from="/connect/bybit",
    )
    connection = made.headers["location"].split("?")[0]
    assert f'href="{connection}/bots/new"' in (await site.get("/")).text  # "Create bot" on the card
    strategy_id, secret = await _webhook_strategy(site, "TV")

    new = f"{connection}/bots/new"
    form = {
        "name": "BTC bot",
        "strategy_id": strategy_id,
        "symbol": "BTCUSDT",
        "sizing_kind": "fixed_quote",
        "sizing_value": "lots",
        "leverage_cap": "3",
        "max_position_quote": "",
        "max_loss_quote": "50",
        "mode": "live",
    }
    bad = await site.post(new, form, csrf_from=new)
    assert bad.status_code == 422 and "Sizing value:" in bad.text and 'value="lots"' in bad.text
    assert re.search(r'id="f-sizing_value"[^>]*aria-invalid="true"', bad.text) and 'value="50"' in bad.text
    unknown = await site.post(new, {**form, "sizing_value": "100", "symbol": "NOPEUSDT"}, csrf_from=new)
    assert unknown.status_code == 422 and "Symbol:" in unknown.text and "NOPEUSDT" in unknown.text
    created = await site.post(new, {**form, "sizing_value": "100"}, csrf_from=new)
    assert created.status_code == 303 and created.headers["location"].endswith("?done=created")
    bot = created.headers["location"].split("?")[0]
    page = (await site.get(bot)).text
    assert "Draft" in page and "100 USDT" in page and "Stop after losing (USDT) 50" in page and "3×" in page

    started = await site.post(f"{bot}/start", {}, csrf_from=bot)
    assert started.status_code == 303
    assert 'id="bot-state">Running<' in (await site.get(bot)).text

    # TradingView posts the signal (the API route calls exactly this); a worker round executes it
    body = {"signal_id": "tv-1", "action": "long", "symbol": "BTCUSDT", "time": datetime.now(UTC).isoformat()}
    accepted = await ingest_signal(site.ctx, strategy_id, body, secret=secret)
    assert accepted.orders_created == 1
    await ExecutionService(site.ctx, "web-test").run_round()
    page = (await site.get(bot)).text
    position = re.search(r'<tr class="position"><td>BTCUSDT</td><td>Long</td><td>([0-9.]+)</td>', page)
    assert position and float(position.group(1)) > 0
    assert re.search(r'<tr class="order">.*?long BTCUSDT.*?<td>filled</td>', page, re.S)
    assert "Order filled" in page and "Draft → Running" in page

    paused = await site.post(f"{bot}/pause", {}, csrf_from=bot)
    assert paused.status_code == 303 and paused.headers["location"].endswith("?done=paused")
    assert 'id="bot-state">Paused<' in (await site.get(bot)).text
    stopped = await site.post(f"{bot}/stop", {"close_position": "yes"}, csrf_from=bot)
    assert stopped.status_code == 303
    await ExecutionService(site.ctx, "web-test").run_round()
    page = (await site.get(bot)).text
    assert 'id="bot-state">Stopped<' in page and "No open position." in page
    assert "(stop)" in page and "reduce only" in page  # the closing order

    # the signal secret was on its creation page only: never in another page, a redirect or a log line
    later = [body for what, body in site.pages if "/strategies/webhook" not in what]
    assert not [b for b in later if secret in b] and secret not in "\n".join(log_capture.lines)

    await _sign_in(site, "other@example.com")
    assert (await site.get(bot)).status_code == 404
    assert (await site.post(f"{bot}/start", {}, csrf_from="/")).status_code == 404
    assert (await site.get(new)).status_code == 404


async def test_a_refused_start_shows_the_reason_and_the_fix(site: Site) -> None:
    await _sign_in(site, "h@example.com")
    creds = (await site.scenario(ExchangeId.BYBIT, "hedge_mode"))["credentials"]
    made = await site.post(
        "/connect/bybit",
        {"environment": "sandbox", "scope": "futures", "contract": "usdt_m", "label": "Hedged", **creds},
        csrf_from="/connect/bybit",
    )
    connection = made.headers["location"].split("?")[0]
    strategy_id, _ = await _webhook_strategy(site, "TV")
    new = f"{connection}/bots/new"
    form = {"name": "B", "strategy_id": strategy_id, "symbol": "BTCUSDT", "sizing_kind": "balance_pct"}
    created = await site.post(new, {**form, "sizing_value": "10", "mode": "live"}, csrf_from=new)
    bot = created.headers["location"].split("?")[0]
    refused = await site.post(f"{bot}/start", {}, csrf_from=bot)
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    assert "Position mode:" in refused.text and "One-Way" in refused.text  # the reason, named, with the fix
    assert 'id="bot-state">Draft<' in refused.text and "Start refused" in refused.text  # and on the audit trail
    assert "10 % of the futures balance" in refused.text
