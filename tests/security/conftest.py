"""Fixtures for the security tests: the simulators, an in-process `tradedock` runner, SQLite and PostgreSQL.

`InProcessCli` runs the real Typer app with `typer.testing.CliRunner` (no subprocess: fast), with
``TRADEDOCK_*`` set for one isolated home and database. ``backend`` parametrises a test over SQLite and
PostgreSQL (a fresh schema per test through the URL's ``search_path``); PostgreSQL fails rather than skips
when CI=true. `Raw` gives tests a plain synchronous handle on the same database for tampering and dumping.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.conftest import POSTGRES_URL, in_ci
from tradedock.cli.main import app
from tradedock_sim.server import BackgroundSims, start_background


@pytest.fixture(scope="session")
def security_sims() -> Iterator[BackgroundSims]:
    with start_background() as running:
        yield running


def _pg_conninfo() -> str:
    url = make_url(POSTGRES_URL)
    host, port, user = url.host or "127.0.0.1", url.port or 5432, url.username or "postgres"
    return f"host={host} port={port} user={user} dbname={url.database}"


@dataclass
class Raw:
    """Direct, synchronous SQL on the test database (tampering, dumps)."""

    backend: str
    sqlite_path: Path | None = None
    schema: str | None = None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.backend == "sqlite":
            assert self.sqlite_path is not None
            with sqlite3.connect(self.sqlite_path) as connection:
                rows = connection.execute(sql, tuple(params)).fetchall()
            connection.close()
            return rows
        with psycopg.connect(_pg_conninfo(), autocommit=True) as connection:
            connection.execute(f'SET search_path TO "{self.schema}"')
            cursor = connection.execute(sql.replace("?", "%s"), tuple(params))
            return list(cursor.fetchall()) if cursor.description else []

    def dump(self) -> bytes:
        """Every byte an attacker with a copy of the database gets: the SQLite files, or a ``pg_dump``."""
        if self.backend == "sqlite":
            assert self.sqlite_path is not None
            return b"".join(p.read_bytes() for p in sorted(self.sqlite_path.parent.glob(self.sqlite_path.name + "*")))
        url = make_url(POSTGRES_URL)
        command = [
            "pg_dump", "--no-owner", f"--schema={self.schema}", "-h", url.host or "127.0.0.1",
            "-p", str(url.port or 5432), "-U", url.username or "postgres", url.database or "postgres",
        ]  # fmt: skip
        try:
            return subprocess.run(command, capture_output=True, check=True, timeout=60).stdout
        except FileNotFoundError:  # no pg_dump on this machine: every row of every table, as text
            out = []
            for (table,) in self.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", (self.schema,)
            ):
                out.extend(repr(row) for row in self.execute(f'SELECT * FROM "{table}"'))
            return "\n".join(out).encode()


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class InProcessCli:
    """`tradedock …` in this process (Typer's runner), in an isolated home, against the simulators."""

    env: dict[str, str | None]
    home: Path
    urls: dict[str, str]
    raw: Raw
    log: list[str] = field(default_factory=list)

    def run(self, *args: str, stdin: str | None = None) -> Result:
        runner = CliRunner()
        handler = _ListHandler(self.log)
        root = logging.getLogger()
        level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)  # every log line any library emits is captured (more than --verbose shows)
        try:
            result = runner.invoke(app, list(args), input=stdin, env=self.env, catch_exceptions=True)
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"tradedock {' '.join(args)} raised {result.exception!r}") from result.exception
        return Result(result.exit_code, result.stdout, result.stderr)

    def connect(self, exchange: str, credentials: dict[str, str], *extra: str) -> Result:
        return self.run(
            "connect", exchange, "--environment", "sandbox", "--credentials", "-", "--json", *extra,
            stdin=json.dumps(credentials),
        )  # fmt: skip

    def sim(self, exchange: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(f"{self.urls[exchange]}{path}", json=payload, timeout=10)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def healthy(self, exchange: str) -> dict[str, str]:
        answer = self.sim(exchange, "/_sim/scenarios/healthy", {})
        credentials: dict[str, str] = answer["credentials"]
        return credentials


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())
        if record.exc_info:
            self.sink.append(logging.Formatter().formatException(record.exc_info))


def _postgres_schema() -> str:
    try:
        with psycopg.connect(_pg_conninfo(), autocommit=True, connect_timeout=5) as connection:
            schema = f"td_sec_{uuid.uuid4().hex[:12]}"
            connection.execute(f'CREATE SCHEMA "{schema}"')
            return schema
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL unreachable at {POSTGRES_URL}: {type(exc).__name__}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def tcli(backend: str, security_sims: BackgroundSims, tmp_path: Path) -> Iterator[InProcessCli]:
    home = tmp_path / "home"
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("TRADEDOCK_")}
    env.update(
        TRADEDOCK_HOME=str(home),
        TRADEDOCK_SANDBOX_URLS=json.dumps(security_sims.urls),
        TRADEDOCK_EGRESS_IPS="127.0.0.1",
        TRADEDOCK_HTTP_TIMEOUT_S="3",
        COLUMNS="160",
    )
    schema = None
    if backend == "sqlite":
        raw = Raw("sqlite", sqlite_path=home / "tradedock.db")
    else:
        schema = _postgres_schema()
        env["TRADEDOCK_DATABASE_URL"] = f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
        raw = Raw("postgresql", schema=schema)
    for url in security_sims.urls.values():
        httpx.post(f"{url}/_sim/reset", json={}, timeout=10)
    try:
        yield InProcessCli(env, home, security_sims.urls, raw)
    finally:
        if schema is not None:
            with psycopg.connect(_pg_conninfo(), autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
