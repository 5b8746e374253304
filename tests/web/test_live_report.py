"""The live verification report, in process on SQLite and PostgreSQL: the dashboard's own forms (``live=1``) get
the answer streamed — the page's top with the first (local) check before TradeDock asks the exchange anything, then
one piece per check as the checks finish, then the verdict — for connect, replace and re-check. Errors before the
first check keep the plain 422 page naming the field; errors after it are shown in the streamed page with the form
again (what was typed kept, secrets never). The app is driven at the ASGI level so every piece it sends is seen,
interleaved with the requests the simulated exchange receives.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote_plus, urlencode

import pytest

from tests.web.conftest import LogCapture, Site, add_user
from tradedock.domain import ExchangeId

pytestmark = pytest.mark.usefixtures("backend")

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[MutableMapping[str, Any]], Awaitable[None]]],
    Awaitable[None],
]
CHECK_ITEM = re.compile(
    r'<li class="check outcome-(\w+)">\s*<span class="outcome">[^<]*</span>\s*<span class="check-title">([^<]+)<'
)


class Timeline:
    """What happened, in order: ("piece", html) for each body message the page sent, ("answered", path) for each
    answer of the simulated exchange. The exchange holds its answers until the page has sent its first piece (at
    most 10 s): a page that waited for the whole verification would show no piece before the answers."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.status = 0
        self.headers: dict[str, str] = {}
        self.first_piece = asyncio.Event()

    def watch_exchange(self, site: Site, exchange: ExchangeId) -> Callable[[], None]:
        """Watch the exchange's simulator; returns how to stop watching."""
        transport = site.transports[exchange]
        inner: ASGIApp = transport.app  # type: ignore[assignment]

        async def recorded(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http" or scope["path"].startswith("/_sim"):
                await inner(scope, receive, send)
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.first_piece.wait(), 10)
            await inner(scope, receive, send)
            self.events.append(("answered", scope["path"]))

        transport.app = recorded  # type: ignore[assignment]

        def stop() -> None:
            transport.app = inner  # type: ignore[assignment]

        return stop

    @property
    def pieces(self) -> list[str]:
        return [text for kind, text in self.events if kind == "piece"]

    @property
    def body(self) -> str:
        return "".join(self.pieces)


async def post_streamed(site: Site, path: str, form: dict[str, str], timeline: Timeline, exchange: ExchangeId) -> None:
    """POST a form to the app at the ASGI level with the client's session cookie, recording each piece sent and
    each answer of the exchange's simulator."""
    form = {"csrf_token": await site.csrf(path if "/check" not in path else path.rsplit("/", 1)[0]), **form}
    stop_watching = timeline.watch_exchange(site, exchange)
    body = urlencode(form).encode()
    cookie = "; ".join(f"{name}={value}" for name, value in site.client.cookies.items())
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"tradedock.test"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
            (b"cookie", cookie.encode()),
        ],
        "client": ("198.51.100.20", 50000),
        "server": ("tradedock.test", 80),
        "state": {},
    }
    sent = False
    answered = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()  # the browser stays until the answer is complete
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            timeline.status = message["status"]
            timeline.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body" and message.get("body"):
            timeline.events.append(("piece", message["body"].decode()))
            timeline.first_piece.set()
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            answered.set()

    try:
        await site.app(scope, receive, send)  # type: ignore[arg-type]
    finally:
        stop_watching()
    site.pages.append((f"POST {path} (streamed) -> {timeline.status}", timeline.body))


def _checks_in(piece: str) -> list[tuple[str, str]]:
    """The checks that ran in a piece (the skipped ones are folded away after the list, in the last piece)."""
    return [(outcome, title) for outcome, title in CHECK_ITEM.findall(piece) if outcome != "skip"]


def assert_streamed_check_by_check(timeline: Timeline) -> list[tuple[str, str]]:
    """The shape every live answer has; returns the checks shown (outcome, title) in the order they came."""
    assert timeline.status == 200 and timeline.headers["cache-control"] == "no-store"
    events = timeline.events
    first_piece = next(i for i, (kind, _) in enumerate(events) if kind == "piece")
    first_exchange = next(i for i, (kind, _) in enumerate(events) if kind == "answered")
    # the page's top and the local check were sent before the exchange answered anything
    top = events[first_piece][1]
    assert first_piece < first_exchange
    assert "<h1>" in top and _checks_in(top) == [("pass", "Credential format")] and "Verdict" not in top
    # then each check in a piece of its own, and the verdict only after the last one
    pieces = timeline.pieces
    with_checks = [i for i, p in enumerate(pieces) if _checks_in(p)]
    assert all(len(_checks_in(pieces[i])) == 1 for i in with_checks)
    verdict = next(i for i, p in enumerate(pieces) if "Verdict:" in p)
    assert verdict > max(with_checks) and len(with_checks) >= 4
    # the remote checks were sent after the exchange answered
    second_check = [i for i, (kind, text) in enumerate(events) if kind == "piece" and _checks_in(text)][1]
    assert second_check > first_exchange
    assert timeline.body.rstrip().endswith("</html>")
    return [c for p in pieces for c in _checks_in(p)]


async def _signed_in(site: Site) -> None:
    await add_user(site.ctx, "live@example.com")
    assert (await site.sign_in("live@example.com")).status_code == 303


FORM = {"environment": "sandbox", "scope": "futures", "contract": "usdt_m", "live": "1"}


async def test_connect_streams_each_check_then_the_verdict_and_a_link_to_the_connection(site: Site) -> None:
    await _signed_in(site)
    healthy = (await site.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    timeline = Timeline()
    await post_streamed(
        site, "/connect/bybit", {**FORM, "label": "Live <Bybit>", **healthy}, timeline, ExchangeId.BYBIT
    )
    shown = assert_streamed_check_by_check(timeline)
    assert ("pass", "Key and signature accepted") in shown
    body = timeline.body
    assert "Verdict: Connected." in body and "The key is stored." in body
    found = re.search(r'href="/connections/([^/?"]+)\?done=connected"', body)
    assert found, "a link to the stored connection"
    page = await site.get(f"/connections/{found.group(1)}")
    assert page.status_code == 200 and "Live &lt;Bybit&gt;" in page.text
    assert healthy["secret"] not in body


async def test_a_refused_key_streams_its_fix_then_the_form_again_without_the_secrets(
    site: Site, log_capture: LogCapture
) -> None:
    await _signed_in(site)
    wrong = (await site.scenario(ExchangeId.BITGET, "wrong_passphrase"))["credentials"]
    timeline = Timeline()
    await post_streamed(site, "/connect/bitget", {**FORM, "label": "My Bitget", **wrong}, timeline, ExchangeId.BITGET)
    shown = assert_streamed_check_by_check(timeline)
    assert any(outcome == "fail" for outcome, _ in shown)
    body = timeline.body
    failed = next(p for p in timeline.pieces if 'outcome-fail"' in p)
    assert "How to fix:" in failed and "passphrase" in failed.lower()  # each failure with its fix steps
    assert "Verdict: Invalid." in body and "Nothing was stored" in body
    form = body[body.index("</section>", body.index("Verdict:")) :]
    assert 'value="My Bitget"' in form and f'value="{wrong["api_key"]}"' in form  # kept ...
    logs = "\n".join(log_capture.lines)
    for name in ("secret", "passphrase"):
        assert wrong[name] not in body  # ... except the secrets
        assert wrong[name] not in logs and quote_plus(wrong[name]) not in logs
    assert "No exchanges connected yet" in (await site.get("/")).text


async def test_an_error_before_the_first_check_is_the_plain_page_naming_the_field(site: Site) -> None:
    await _signed_in(site)
    creds = (await site.scenario(ExchangeId.BITGET, "healthy"))["credentials"]
    timeline = Timeline()
    missing = {k: v for k, v in creds.items() if k != "passphrase"}
    await post_streamed(site, "/connect/bitget", {**FORM, "label": "Kept", **missing}, timeline, ExchangeId.BITGET)
    assert timeline.status == 422
    assert "Passphrase:" in timeline.body and 'value="Kept"' in timeline.body
    assert creds["secret"] not in timeline.body
    assert not [e for e in timeline.events if e[0] == "answered"]


async def test_replace_and_recheck_stream_too(site: Site) -> None:
    await _signed_in(site)
    healthy = (await site.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    made = await site.post("/connect/bybit", {**FORM, "live": "", **healthy}, csrf_from="/connect/bybit")
    assert made.status_code == 303
    connection = made.headers["location"].split("?")[0]

    timeline = Timeline()
    await post_streamed(site, f"{connection}/check", {"live": "1"}, timeline, ExchangeId.BYBIT)
    assert_streamed_check_by_check(timeline)
    assert "Verdict: Connected." in timeline.body and f'href="{connection}"' in timeline.body

    # another account's key: the checks stream, then the confirmation box; the old key stays
    other = (await site.scenario(ExchangeId.BYBIT, "healthy"))["credentials"]
    timeline = Timeline()
    await post_streamed(site, f"{connection}/replace", {"live": "1", **other}, timeline, ExchangeId.BYBIT)
    assert_streamed_check_by_check(timeline)
    body = timeline.body
    assert 'name="allow_account_change"' in body and "another bybit account" in body.lower()
    assert "The current key was kept." in body and other["secret"] not in body
    assert healthy["api_key"][-4:] in (await site.get(connection)).text

    timeline = Timeline()
    await post_streamed(
        site, f"{connection}/replace", {"live": "1", "allow_account_change": "yes", **other}, timeline, ExchangeId.BYBIT
    )
    assert_streamed_check_by_check(timeline)
    assert f'href="{connection}?done=replaced"' in timeline.body
    assert other["api_key"][-4:] in (await site.get(connection)).text
