"""End to end in Debian's Chromium (Playwright for Python, the system browser): sign in with the keyboard; connect
a healthy sandbox Bybit key; a Bitget key with the wrong passphrase shows its fix; an Aster key holding the main
wallet's private key shows that fix; replace a key; remove one; sign out — at 390 px and 1280 px. Every page is
screenshotted into .artifacts/web-screenshots (git-ignored) and scanned with axe-core (from the npm registry,
tests/web/axe): no serious or critical violation. Afterwards no page, URL, redirect or log line holds a secret
that was typed into a form.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import in_ci
from tests.web.conftest import PASSWORD, Live
from tradedock.domain import ExchangeId

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("TRADEDOCK_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "web-screenshots"
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.map(n => n.target.join(" "))}));
}"""


def _need(ok: bool, message: str) -> None:
    if not ok:
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _need(CHROMIUM.exists(), f"no Chromium at {CHROMIUM}: scripts/test installs it (apt-get install chromium)")
    _need(AXE.exists(), f"no axe-core at {AXE}: scripts/test installs it (npm ci in tests/web/axe)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


class Visit:
    """One viewport's walk: every page it lands on is screenshotted, scanned and kept for the secret sweep."""

    def __init__(self, page: Any, width: int, prefix: str = "") -> None:
        self.page = page
        self.width = width
        self.prefix = prefix
        self.htmls: list[str] = []
        self.urls: list[str] = []
        self.count = 0
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("response", lambda response: self.urls.append(response.headers.get("location", "")))

    def seen(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        self.count += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{self.prefix}{self.width}-{self.count:02d}-{name}.png"), full_page=True)
        self.htmls.append(page.content())
        page.add_script_tag(path=str(AXE))
        bad = [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]
        assert bad == [], f"{name} at {self.width}px: {bad}"
        # readable at this width: nothing wider than the viewport
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} at {self.width}px scrolls sideways by {overflow}px"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _fill_key(page: Any, credentials: dict[str, str], label: str) -> None:
    for name, value in credentials.items():
        page.fill(f"#f-{name}", value)
    page.fill("#f-label", label)
    page.select_option("#f-environment", "sandbox")


@pytest.mark.parametrize("width", [390, 1280])
def test_trader_walks_through_the_dashboard(browser: Any, live: Live, width: int) -> None:
    if width == 390:
        shutil.rmtree(SHOTS, ignore_errors=True)
    email = f"trader{width}@example.com"
    live.add_user(email)
    context = browser.new_context(viewport={"width": width, "height": 900}, base_url=live.url)
    page = context.new_page()
    visit = Visit(page, width)
    secrets: list[str] = [PASSWORD]
    try:
        # sign in with the keyboard only
        page.goto("/")
        assert page.url.endswith("/signin")
        visit.seen("signin")
        page.keyboard.press("Tab")  # the skip link comes first
        assert page.evaluate("document.activeElement.className") == "skip"
        page.focus("#email")
        page.keyboard.type(email)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "password"
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # visible focus
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/$"))
        assert "No exchanges connected yet" in page.inner_text("main")
        visit.seen("empty")

        # connect a healthy sandbox Bybit key through the wizard
        page.click("text=Connect your first exchange")
        visit.seen("choose-exchange")
        page.click("a[href='/connect/bybit']")
        assert "203.0.113.7" in page.inner_text("#ips")
        visit.seen("bybit-guide")
        healthy = live.scenario(ExchangeId.BYBIT, "healthy")["credentials"]
        secrets.append(healthy["secret"])
        assert page.get_attribute("#f-secret", "type") == "password"
        _fill_key(page, healthy, "Main Bybit")
        # the live report: with the exchange answering slowly, the first check shows before the verdict
        live.faults(ExchangeId.BYBIT, {"latency_ms": 1500})
        try:
            page.click("button:has-text('Connect and verify')", no_wait_after=True)
            page.wait_for_selector(".live .check")
            assert page.locator(".verdict").count() == 0, "the first check is shown while the others still run"
            page.wait_for_selector(".verdict")
        finally:
            live.faults(ExchangeId.BYBIT, {})
        assert "Verdict: Connected." in page.inner_text(".report")
        visit.seen("bybit-live-report")
        page.click("text=Open the connection")
        page.wait_for_url(re.compile(r"/connections/[^/]+\?done=connected$"))
        assert "Bybit is connected: Connected" in page.inner_text("main")
        visit.seen("bybit-connected")
        bybit_page = page.url.split("?")[0]

        # Bitget with a wrong passphrase: the report and its fix; the form keeps the key, not the secrets
        page.goto("/connect/bitget")
        wrong = live.scenario(ExchangeId.BITGET, "wrong_passphrase")["credentials"]
        secrets += [wrong["secret"], wrong["passphrase"]]
        _fill_key(page, wrong, "Bitget")
        page.click("button:has-text('Connect and verify')")
        page.wait_for_selector(".verdict")  # the report streams: the title comes first
        report = page.inner_text(".report")
        assert "Verdict: Invalid." in report and "How to fix" in report and "passphrase" in report.lower()
        assert page.input_value("#f-api_key") == wrong["api_key"] and page.input_value("#f-passphrase") == ""
        visit.seen("bitget-wrong-passphrase")

        # Aster with the main wallet's private key
        page.goto("/connect/aster")
        aster = live.scenario(ExchangeId.ASTER, "main_wallet_key")["credentials"]
        secrets.append(aster["private_key"])
        _fill_key(page, aster, "Aster")
        page.click("button:has-text('Connect and verify')")
        page.wait_for_selector(".verdict")  # the report streams: the title comes first
        report = page.inner_text(".report")
        assert "Verdict: Invalid." in report and "How to fix" in report and "main wallet" in report.lower()
        visit.seen("aster-main-wallet-key")

        # replace the Bybit key (another account's key: the page asks to confirm)
        page.goto(bybit_page)
        page.click("text=Replace key")
        visit.seen("replace")
        other = live.scenario(ExchangeId.BYBIT, "healthy")["credentials"]
        secrets.append(other["secret"])
        for name, value in other.items():
            page.fill(f"#f-{name}", value)
        page.click("button:has-text('Verify and replace')")
        page.wait_for_selector("#f-allow_account_change")
        assert page.input_value("#f-secret") == ""
        visit.seen("replace-confirm-account")
        page.fill("#f-secret", other["secret"])
        page.check("#f-allow_account_change")
        page.click("button:has-text('Verify and replace')")
        page.wait_for_selector(".verdict")
        page.click("text=Open the connection")
        page.wait_for_url(re.compile(r"\?done=replaced$"))
        assert other["api_key"][-4:] in page.inner_text("main")
        visit.seen("replaced")

        # My Exchanges with the card, the filter, then remove it
        page.goto("/")
        assert "Main Bybit" in page.inner_text(".cards") and "Connected" in page.inner_text(".cards")
        visit.seen("my-exchanges")
        page.goto(bybit_page)
        page.click("a:has-text('Remove')")
        assert "delete it there" in page.inner_text("main")
        visit.seen("remove-confirm")
        page.click("button:has-text('Remove connection')")
        page.wait_for_url(re.compile(r"/\?removed=bybit$"))
        assert "delete the API key on Bybit" in page.inner_text("main")
        visit.seen("removed")

        for path, name in (("/tokens", "tokens"), ("/webhooks", "webhooks")):
            page.goto(path)
            visit.seen(name)

        page.click("button:has-text('Sign out')")
        page.wait_for_url(re.compile(r"/signin\?signed_out=1$"))
        visit.seen("signed-out")
        page.goto("/")
        assert page.url.endswith("/signin")

        # the operator's pages
        operator = f"operator{width}@example.com"
        live.add_user(operator, operator=True)
        page.fill("#email", operator)
        page.fill("#password", PASSWORD)
        page.press("#password", "Enter")
        page.wait_for_url(re.compile(r"/$"))
        page.click("a:has-text('Operator')")
        visit.seen("operator-health")
        page.click("a:has-text('Users')")
        page.fill("#f-email", f"new{width}@example.com")
        page.fill("#f-password", "short")
        page.click("button:has-text('Add user')")
        page.wait_for_selector("#form-error")
        visit.seen("operator-users-error")
        page.fill("#f-password", PASSWORD)
        page.click("button:has-text('Add user')")
        page.wait_for_url(re.compile(r"/operator/users\?created="))
        assert f"new{width}@example.com can now sign in" in page.inner_text("main")
        visit.seen("operator-users")
        for path, name in (("/operator/egress", "operator-egress"), ("/operator/policy", "operator-policy")):
            page.goto(path)
            visit.seen(name)
        page.click("button:has-text('Sign out')")
        page.wait_for_url(re.compile(r"/signin\?signed_out=1$"))
    finally:
        context.close()

    # no page, URL, redirect or log line holds a secret that was typed
    logs = "\n".join(live.logs.lines)
    assert len(logs) > 0
    for secret in secrets:
        for form in {secret, quote(secret, safe=""), secret.lower()}:
            for where, haystack in (("page", "\n".join(visit.htmls)), ("url", "\n".join(visit.urls)), ("log", logs)):
                assert form not in haystack, f"a submitted secret is in a {where}"


@pytest.mark.parametrize("width", [390, 1280])
def test_strategy_bot_signal_position_in_chromium(browser: Any, live: Live, width: int) -> None:
    """Create a webhook strategy, create a bot from the connection's card, start it, post a signal as TradingView
    would, and see the position the engine (the in-process monitor of `tradedock serve`) opened on the bot page."""
    email = f"botter{width}@example.com"
    live.add_user(email)
    context = browser.new_context(viewport={"width": width, "height": 900}, base_url=live.url)
    page = context.new_page()
    visit = Visit(page, width, prefix="bots-")
    try:
        page.goto("/signin")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.press("#password", "Enter")
        page.wait_for_url(re.compile(r"/$"))
        page.goto("/connect/bybit")
        _fill_key(page, live.scenario(ExchangeId.BYBIT, "healthy")["credentials"], "Bot account")
        page.click("button:has-text('Connect and verify')")
        page.wait_for_selector(".verdict")
        page.click("text=Open the connection")
        page.wait_for_url(re.compile(r"\?done=connected$"))
        connection = page.url.split("?")[0].removeprefix(live.url)

        # a webhook strategy: its secret and URL shown once
        page.click("nav a:has-text('Strategies')")
        visit.seen("strategies")
        page.fill("#f-webhook-name", "TV alerts")
        page.click("button:has-text('Create webhook strategy')")
        secret = page.inner_text("#new-secret").strip()
        signal_url = page.inner_text("#signal-url").strip()
        visit.seen("strategy-created")
        page.goto("/strategies")
        assert secret not in page.content()

        # a bot from the connection's card
        page.goto("/")
        page.click(f"a[href='{connection}/bots/new']")
        visit.seen("bot-new")
        page.fill("#f-name", "BTC bot")
        page.fill("#f-sizing_value", "100")
        page.check("#f-mode-live")
        page.fill("#f-max_loss_quote", "50")
        page.click("button:has-text('Create bot')")
        page.wait_for_url(re.compile(r"/bots/[^/]+\?done=created$"))
        bot = page.url.split("?")[0]
        visit.seen("bot-draft")
        page.click("button:has-text('Start')")
        page.wait_for_url(re.compile(r"\?done=started$"))
        assert page.inner_text("#bot-state") == "Running"

        # TradingView posts the alert to the signal URL
        body = {"signal_id": f"tv-{width}", "action": "long", "symbol": "BTCUSDT", "time": _now_iso()}
        answer = httpx.post(signal_url, json=body, headers={"X-TradeDock-Secret": secret}, timeout=30)
        assert answer.is_success, answer.text
        deadline = time.monotonic() + 30
        while not page.locator("tr.position").count():
            assert time.monotonic() < deadline, "the engine did not open the position"
            time.sleep(0.5)
            page.goto(bot)
        row = page.inner_text("tr.position")
        assert "BTCUSDT" in row and "Long" in row
        assert "filled" in page.inner_text("tr.order")
        visit.seen("bot-position")
        page.check("#f-close_position")
        page.click("button:has-text('Stop')")
        page.wait_for_url(re.compile(r"\?done=stopped$"))
        visit.seen("bot-stopped")
    finally:
        context.close()
    logs = "\n".join(live.logs.lines)
    assert secret not in logs and secret not in "\n".join(visit.urls)
