"""Plant known secrets, run them through every path (connect healthy, broken, refused, replace, check,
balances, remove), then scan the SQLite files, the logs, every error message and every report: 0 found."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tradedock.db.models import Base
from tradedock.domain import ExchangeId
from tradedock.errors import TradeDockError

from .conftest import Harness

SECRET_FIELDS = ("secret", "passphrase", "private_key")


def _encodings(secret: str) -> set[str]:
    raw = secret.encode()
    forms = {secret, raw.hex(), base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    if secret.startswith("0x"):
        forms.add(secret[2:])
    return {f.rstrip("=") for f in forms if len(f) >= 12}


def _database_files(home: Path) -> dict[str, bytes]:
    """The SQLite database and its -wal/-shm files, as raw bytes."""
    files = {p.name: p.read_bytes() for p in home.iterdir() if p.name.startswith("tradedock.db")}
    assert "tradedock.db" in files
    return files


def _scan(blob: str | bytes, secrets: set[str]) -> list[str]:
    text = blob.decode("latin-1") if isinstance(blob, bytes) else blob
    return sorted(s for s in secrets if s in text)


@pytest.mark.slow
async def test_planted_secrets_never_reach_db_logs_errors_or_reports(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    planted: set[str] = set()
    outputs: list[str] = []

    def remember(credentials: dict[str, str]) -> None:
        for name in SECRET_FIELDS:
            if name in credentials:
                planted.update(_encodings(credentials[name]))

    async def attempt(exchange: ExchangeId, credentials: dict[str, str]) -> str | None:
        remember(credentials)
        try:
            outcome = await harness.connect(exchange, credentials)
        except TradeDockError as error:
            outputs.append(f"{error!s} {error!r} {error.fix} {error.evidence()}")
            return None
        outputs.append(json.dumps(outcome.to_json()))
        return outcome.connection_id

    stored: list[str] = []
    for exchange, scenarios in {
        ExchangeId.BYBIT: ("healthy", "withdraw_enabled", "ip_not_whitelisted", "clock_skew"),
        ExchangeId.BITGET: ("healthy", "wrong_passphrase", "bad_secret", "unified_account"),
        ExchangeId.ASTER: ("healthy", "main_wallet_key", "agent_not_approved", "other_api_wallet_key"),
    }.items():
        for name in scenarios:
            preset = await harness.scenario(exchange, name)
            connection_id = await attempt(exchange, preset["credentials"])
            if connection_id:
                stored.append(connection_id)
            # the same key again (refused), and with a pasted space, and a malformed variant
            await attempt(exchange, {k: f" {v} " for k, v in preset["credentials"].items()})
            broken = dict(preset["credentials"])
            secret_field = next(f for f in SECRET_FIELDS if f in broken)
            broken[secret_field] = broken[secret_field][:-3] + "!?\u00e9"
            await attempt(exchange, broken)

    async def record(call: Awaitable[Any]) -> None:
        try:
            result = await call
            views = result if isinstance(result, list) else [result]
            outputs.append(json.dumps([view.to_json() for view in views]))
        except TradeDockError as error:
            outputs.append(f"{error!s} {error!r} {error.fix} {error.evidence()}")

    service = harness.service()
    for connection_id in stored:  # with the port-wide clock skew and IP refusal still in force
        await record(service.check(connection_id))
        await record(service.balances(connection_id))
        await record(service.show(connection_id))
    await record(service.list())
    await record(service.check_all())
    await record(service.remove(stored[0]))

    assert len(planted) > 40
    assert stored, "at least the healthy keys were stored"
    for output in outputs:
        assert _scan(output, planted) == []
    assert _scan(caplog.text, planted) == []
    if harness.ctx.settings.database_url is None:
        for name, content in _database_files(Path(harness.ctx.settings.home)).items():
            assert _scan(content, planted) == [], name
        return
    async with harness.ctx.reading() as session:  # PostgreSQL: every row of every table, as text
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            assert rows or table.name != "connections"
            assert _scan(repr(rows), planted) == [], table.name
