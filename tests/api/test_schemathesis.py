"""Property-based API testing with schemathesis against the live OpenAPI schema of a real server (uvicorn on a
loopback port, SQLite and PostgreSQL): every generated request — valid and invalid — gets no server error and a
response that matches the schema (status code, content type, headers, body).

Two users exist: the caller (an operator, so the health view is reachable too) owns a real connection on the
simulated Bybit, a webhook strategy and a bot on them, so object routes are exercised with existing ids as well
as random ones.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import EGRESS_IP, PASSWORD, _drop_schema, _postgres_schema, postgres_url
from tradedock.api.app import create_app
from tradedock.config import Settings, load_settings
from tradedock.domain import ExchangeId
from tradedock.services.accounts import AccountService, LoginLimiter
from tradedock.services.context import open_app
from tradedock_sim.app import create_app as create_sim_app

#: Generated requests per operation and backend (43 operations: 1,892 per backend, 3,784 in all).
EXAMPLES = int(os.environ.get("TRADEDOCK_SCHEMATHESIS_EXAMPLES", "44"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class Live:
    url: str
    token: str
    known: dict[str, str]  # path parameter → an id of the caller's own object


async def _seed(settings: Settings) -> str:
    ctx = await open_app(settings)
    try:
        async with ctx.transaction() as session:
            accounts = AccountService(session, ctx.clock)
            await accounts.create_user("op@example.com", PASSWORD, is_operator=True)
            await accounts.create_user("other@example.com", PASSWORD)
            return (await accounts.create_token_for("op@example.com", "schemathesis")).token
    finally:
        await ctx.aclose()


@pytest.fixture
def live(backend: str, tmp_path: Path) -> Iterator[Live]:
    schema = asyncio.run(_postgres_schema()) if backend == "postgresql" else None
    settings = load_settings(
        home=tmp_path / "home",
        database_url=postgres_url(schema) if schema else None,
        sandbox_urls={e.value: f"http://127.0.0.1:{18400 + i}" for i, e in enumerate(ExchangeId)},
        egress_ips=(EGRESS_IP,),
    )
    token = asyncio.run(_seed(settings))
    sims = {e: httpx.ASGITransport(app=create_sim_app(e.value), client=(EGRESS_IP, 40123)) for e in ExchangeId}
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            # argon2id is slow on purpose; three real sign-in attempts a minute are enough to cover the route
            create_app(settings, transports=sims, limiter=lambda: LoginLimiter(per_ip="3/minute")),
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
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            known = _objects(client, sims[ExchangeId.BYBIT])
        yield Live(url, token, known)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        if schema:
            asyncio.run(_drop_schema(schema))


def _objects(client: httpx.Client, sim: httpx.ASGITransport) -> dict[str, str]:
    """A connection, a webhook strategy and a running bot of the caller's."""
    connection_id = _connect(client, sim)
    strategy = client.post("/api/v1/strategies", json={"name": "schemathesis"})
    assert strategy.status_code == 201, strategy.text
    strategy_id: str = strategy.json()["strategy"]["id"]
    body = {"name": "st", "connection_id": connection_id, "strategy_id": strategy_id, "symbols": ["BTCUSDT"],
            "sizing_kind": "fixed_quote", "sizing_value": "100"}  # fmt: skip
    bot = client.post("/api/v1/bots", json=body)
    assert bot.status_code == 201, bot.text
    started = client.post(f"/api/v1/bots/{bot.json()['id']}/start")  # running: DELETE is refused, so it stays
    assert started.status_code == 200, started.text
    return {"connection_id": connection_id, "strategy_id": strategy_id, "bot_id": bot.json()["id"]}


def _connect(client: httpx.Client, sim: httpx.ASGITransport) -> str:
    async def preset() -> dict[str, str]:
        async with httpx.AsyncClient(transport=sim, base_url="http://bybit.sim") as sim_client:
            response = await sim_client.post("/_sim/scenarios/healthy")
            response.raise_for_status()
            credentials: dict[str, str] = response.json()["credentials"]
            return credentials

    credentials = asyncio.run(preset())
    answer = client.post(
        "/api/v1/connections", json={"exchange": "bybit", "environment": "sandbox", "credentials": credentials}
    )
    assert answer.status_code == 201, answer.text
    connection_id: str = answer.json()["connection_id"]
    return connection_id


@pytest.mark.slow
def test_generated_requests_get_no_server_error_and_match_the_schema(live: Live) -> None:
    schema = schemathesis.openapi.from_url(f"{live.url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {live.token}"}
    sent = 0
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        strategy = operation.as_strategy()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy, st.booleans())
        def run(case: schemathesis.Case, use_known: bool) -> None:
            nonlocal sent
            for name, value in live.known.items():
                if use_known and name in (case.path_parameters or {}):
                    case.path_parameters[name] = value
            case.call_and_validate(base_url=live.url, headers=headers, checks=CHECKS)
            sent += 1

        began = time.monotonic()
        before = sent
        run()
        print(f"{operation.method.upper()} {operation.path}: {sent - before} in {time.monotonic() - began:.1f}s")
    assert operations >= 42
    assert sent >= EXAMPLES * operations, sent
