"""Fixtures for API tests: the real FastAPI app (lifespan included) over ``httpx.ASGITransport``, on SQLite and on
PostgreSQL (a fresh schema per test), with the simulated exchanges in-process. Nothing of our own is mocked.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import POSTGRES_URL, in_ci
from tradedock.api.app import create_app
from tradedock.config import load_settings
from tradedock.domain import ExchangeId
from tradedock.services.accounts import AccountService
from tradedock.services.context import AppContext
from tradedock_sim.app import create_app as create_sim_app
from tradedock_sim.client import SimControl

EGRESS_IP = "203.0.113.7"
BASE = "http://tradedock.test"
PASSWORD = "correct horse battery staple"


@dataclass
class User:
    id: str
    email: str
    token: str
    password: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Api:
    app: FastAPI
    client: httpx.AsyncClient
    controls: dict[ExchangeId, SimControl]
    home: Path
    backend: str
    users: dict[str, User] = field(default_factory=dict)
    transports: dict[ExchangeId, httpx.ASGITransport] = field(default_factory=dict)  # the simulators' apps

    @property
    def ctx(self) -> AppContext:
        ctx: AppContext = self.app.state.api.ctx
        return ctx

    async def user(self, email: str, *, operator: bool = False, password: str = PASSWORD) -> User:
        async with self.ctx.transaction() as session:
            accounts = AccountService(session, self.ctx.clock)
            view = await accounts.create_user(email, password, is_operator=operator)
            token = await accounts.create_token_for(email, "tests")
        user = User(view.id, view.email, token.token, password)
        self.users[email] = user
        return user

    async def scenario(self, exchange: ExchangeId, name: str) -> dict[str, Any]:
        return await self.controls[exchange].apply_scenario(name)


async def _postgres_schema() -> str:
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    schema = f"td_api_{uuid.uuid4().hex[:12]}"
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        message = f"PostgreSQL unreachable at {POSTGRES_URL}: {type(exc).__name__}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    finally:
        await admin.dispose()
    return schema


async def _drop_schema(schema: str) -> None:
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        await admin.dispose()


def postgres_url(schema: str) -> str:
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def api_options() -> dict[str, Any]:
    """Settings overrides (and ``clock``) for the `api` fixture; parametrize this name to change them."""
    return {}


@pytest.fixture
async def api(backend: str, tmp_path: Path, api_options: dict[str, Any]) -> AsyncIterator[Api]:
    options = dict(api_options)
    clock = options.pop("clock", None)
    run_monitor = bool(options.pop("run_monitor", False))
    schema = await _postgres_schema() if backend == "postgresql" else None
    controls: dict[ExchangeId, SimControl] = {}
    transports: dict[ExchangeId, httpx.ASGITransport] = {}
    sim_clients: list[httpx.AsyncClient] = []
    for exchange in ExchangeId:
        transport = httpx.ASGITransport(app=create_sim_app(exchange.value), client=(EGRESS_IP, 40123))
        transports[exchange] = transport
        sim_client = httpx.AsyncClient(transport=transport, base_url=f"http://{exchange.value}.sim")
        sim_clients.append(sim_client)
        controls[exchange] = SimControl(sim_client)
    home = tmp_path / "home"
    settings = load_settings(
        home=home,
        database_url=postgres_url(schema) if schema else None,
        master_key=None,
        master_key_file=None,
        sandbox_urls={e.value: f"http://127.0.0.1:{18400 + i}" for i, e in enumerate(ExchangeId)},
        egress_ips=(EGRESS_IP,),
        **options,
    )
    app = create_app(settings, transports=dict(transports), clock=clock, run_monitor=run_monitor)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 50000))
            async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
                yield Api(app, client, controls, home, backend, transports=transports)
    finally:
        for sim_client in sim_clients:
            await sim_client.aclose()
        if schema:
            await _drop_schema(schema)
