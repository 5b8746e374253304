"""Fixtures for the dashboard: the real app (API + pages, lifespan included) in process over
``httpx.ASGITransport`` on SQLite and PostgreSQL, and a live uvicorn server for the browser tests. The simulated
exchanges run in process; nothing of our own is mocked.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tests.api.conftest import EGRESS_IP, PASSWORD, _drop_schema, _postgres_schema, backend, postgres_url
from tradedock.api.app import create_app
from tradedock.config import Settings, load_settings
from tradedock.domain import ExchangeId
from tradedock.services.accounts import AccountService
from tradedock.services.context import AppContext, open_app
from tradedock.web.app import install
from tradedock_sim.app import create_app as create_sim_app

__all__ = ["PASSWORD", "backend"]

BASE = "http://tradedock.test"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class LogCapture(logging.Handler):
    """Every log line of every logger, formatted with its arguments (what an operator's log file would hold)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_capture() -> Iterator[LogCapture]:
    handler = LogCapture()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old)


def sim_transports() -> dict[ExchangeId, httpx.ASGITransport]:
    return {e: httpx.ASGITransport(app=create_sim_app(e.value), client=(EGRESS_IP, 40123)) for e in ExchangeId}


async def scenario(transports: dict[ExchangeId, httpx.ASGITransport], exchange: ExchangeId, name: str) -> Any:
    async with httpx.AsyncClient(transport=transports[exchange], base_url=f"http://{exchange.value}.sim") as client:
        response = await client.post(f"/_sim/scenarios/{name}")
        response.raise_for_status()
        return response.json()


def web_settings(home: Path, schema: str | None, **more: Any) -> Settings:
    return load_settings(
        home=home,
        database_url=postgres_url(schema) if schema else None,
        master_key=None,
        master_key_file=None,
        sandbox_urls={e.value: f"http://127.0.0.1:{18400 + i}" for i, e in enumerate(ExchangeId)},
        egress_ips=(EGRESS_IP,),
        **more,
    )


def dashboard_app(
    settings: Settings, transports: dict[ExchangeId, httpx.ASGITransport], *, run_monitor: bool = False
) -> FastAPI:
    app = create_app(settings, transports=transports, run_monitor=run_monitor)
    install(app)
    return app


async def add_user(ctx: AppContext, email: str, *, operator: bool = False) -> None:
    async with ctx.transaction() as session:
        await AccountService(session, ctx.clock).create_user(email, PASSWORD, is_operator=operator)


@dataclass
class Site:
    """The app in process, and a browser-like client (cookies kept, redirects not followed)."""

    app: FastAPI
    client: httpx.AsyncClient
    transports: dict[ExchangeId, httpx.ASGITransport]
    home: Path
    pages: list[tuple[str, str]] = field(default_factory=list)  # (what, body) of every answer seen

    @property
    def ctx(self) -> AppContext:
        ctx: AppContext = self.app.state.api.ctx
        return ctx

    async def get(self, url: str) -> httpx.Response:
        response = await self.client.get(url)
        self.pages.append(
            (f"GET {url} -> {response.status_code} {response.headers.get('location', '')}", response.text)
        )
        return response

    async def post(self, url: str, data: dict[str, Any], *, csrf_from: str | None = None) -> httpx.Response:
        if csrf_from is not None:
            data = {"csrf_token": await self.csrf(csrf_from), **data}
        response = await self.client.post(url, data=data)
        self.pages.append(
            (f"POST {url} -> {response.status_code} {response.headers.get('location', '')}", response.text)
        )
        return response

    async def csrf(self, page: str) -> str:
        found = CSRF_FIELD.search((await self.get(page)).text)
        assert found, f"no CSRF field on {page}"
        return html.unescape(found.group(1))

    async def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.post("/signin", {"email": email, "password": password})

    async def scenario(self, exchange: ExchangeId, name: str) -> Any:
        return await scenario(self.transports, exchange, name)


@pytest.fixture
async def site(backend: str, tmp_path: Path) -> AsyncIterator[Site]:
    schema = await _postgres_schema() if backend == "postgresql" else None
    transports = sim_transports()
    app = dashboard_app(web_settings(tmp_path / "home", schema), transports)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 50000))
            async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
                yield Site(app, client, transports, tmp_path / "home")
    finally:
        if schema:
            await _drop_schema(schema)


# --- a live server for the browser ---------------------------------------------------------------------------


@dataclass
class Live:
    url: str
    transports: dict[ExchangeId, httpx.ASGITransport]
    logs: LogCapture
    settings: Settings

    def scenario(self, exchange: ExchangeId, name: str) -> dict[str, Any]:
        result: dict[str, Any] = run_aside(lambda: scenario(self.transports, exchange, name))
        return result

    def faults(self, exchange: ExchangeId, faults: dict[str, Any]) -> None:
        """Set the simulator's faults (``{}`` clears them), e.g. ``{"latency_ms": 1500}``."""

        async def post() -> None:
            async with httpx.AsyncClient(
                transport=self.transports[exchange], base_url=f"http://{exchange.value}.sim"
            ) as client:
                (await client.post("/_sim/faults", json=faults)).raise_for_status()

        run_aside(post)

    def add_user(self, email: str, *, operator: bool = False) -> None:
        async def run() -> None:
            ctx = await open_app(self.settings)
            try:
                await add_user(ctx, email, operator=operator)
            finally:
                await ctx.aclose()

        run_aside(run)


T = TypeVar("T")


def run_aside(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a loop of its own in another thread (pytest-asyncio may be running one
    in this thread, and Playwright's sync API wants none)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The dashboard on a real socket (uvicorn in a thread) on SQLite, with every log line captured; like
    `tradedock serve` it runs the monitor in process (so the bots' execution engine runs every 0.5 s)."""
    home = tmp_path_factory.mktemp("web") / "home"
    settings = web_settings(home, None, monitor_poll_s=0.5)
    logs = LogCapture()
    logs.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(logs)
    root.setLevel(logging.DEBUG)
    Live("", {}, logs, settings).add_user("trader@example.com")
    transports = sim_transports()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            dashboard_app(settings, transports, run_monitor=True),
            log_level="warning",
            access_log=False,
            log_config=None,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    live = Live(f"http://127.0.0.1:{port}", transports, logs, settings)
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        root.removeHandler(logs)
        root.setLevel(old_level)


def unique_label(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"
