"""The light read path (`services.light_read`, what `tradedock list` and `show` use) returns exactly what the
connection service returns, on SQLite and PostgreSQL, and defers to the full start-up whenever that one would
write; a wrong master key fails on it exactly as on the full start-up."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from tests.services.conftest import Harness
from tradedock.db.repositories import EventRepository
from tradedock.domain import ExchangeId
from tradedock.errors import MasterKeyError, NotFoundError
from tradedock.exchanges.registry import get_spec
from tradedock.services.context import open_app
from tradedock.services.light_read import LightReader, key_expiry_reported, open_light
from tradedock.services.records import Store
from tradedock.services.views import EventView


async def _two_connections(harness: Harness) -> tuple[str, str]:
    bybit = await harness.scenario(ExchangeId.BYBIT, "healthy")
    first = await harness.connect(ExchangeId.BYBIT, bybit["credentials"], label="Main [prod] ✓")
    bitget = await harness.scenario(ExchangeId.BITGET, "healthy")
    second = await harness.connect(ExchangeId.BITGET, bitget["credentials"])
    assert first.connection_id and second.connection_id
    await harness.service().check(first.connection_id)  # a second run: show must pick the newest
    async with harness.ctx.transaction() as session:
        owner_id = await Store(session, harness.ctx.clock).owner_id("local")
        await EventRepository(session, harness.ctx.clock).add(
            owner_id, "connection.status_changed", {"label": "Main", "from": "invalid", "to": "connected"}
        )
    return first.connection_id, second.connection_id


def _light(harness: Harness) -> LightReader:
    light = open_light(harness.ctx.settings)
    assert light is not None, "a database the full start-up prepared must be readable on the light path"
    return light


async def test_list_show_and_events_equal_the_services(harness: Harness) -> None:
    """Byte for byte: the light path's JSON is the service views' ``to_json()``, keys in the same order."""
    first, second = await _two_connections(harness)
    service = harness.service()
    with _light(harness) as light:
        assert json.dumps(light.connections()) == json.dumps([v.to_json() for v in await service.list()])
        for connection_id in (first, second, first[:8].upper(), f"  {second[:6]}  "):
            light_view, service_view = light.show(connection_id), await service.show(connection_id)
            assert json.dumps(light_view) == json.dumps(service_view.to_json())
        detail = light.show(first)
        assert detail["last_report"] is not None and len(detail["last_report"]["checks"]) > 3
        assert detail["label"] == "Main [prod] ✓"
        events = await service.recent_events(5)
        assert [EventView(**vars(e)) for e in light.recent_events(5)] == events
        assert light.recent_events(5)[0].data["to"] == "connected"


async def test_ids_follow_the_same_rules(harness: Harness) -> None:
    first, _second = await _two_connections(harness)
    service = harness.service()
    pasted_secret = "sk_LIVE_abcdefghijklmnop"
    with _light(harness) as light:
        for typed in ("deadbeef", "0000", "abc", pasted_secret, first + "0"):
            with pytest.raises(NotFoundError) as on_light:
                light.show(typed)
            with pytest.raises(NotFoundError) as on_service:
                await service.show(typed)
            assert on_light.value.message == on_service.value.message
            assert pasted_secret not in on_light.value.message


async def test_another_owner_sees_nothing(harness: Harness) -> None:
    first, _second = await _two_connections(harness)
    light = open_light(harness.ctx.settings, owner="bob")
    assert light is not None
    with light:
        assert light.connections() == [] and light.recent_events(5) == []
        with pytest.raises(NotFoundError):
            light.show(first)


async def test_what_start_up_must_write_is_left_to_the_full_start_up(harness: Harness, tmp_path: Path) -> None:
    fresh = harness.ctx.settings.model_copy(update={"home": tmp_path / "fresh"})
    if fresh.database_url is None:
        assert open_light(fresh) is None  # no database, no master key yet: open_app creates them
    async with harness.ctx.transaction() as session:
        await session.execute(text("DELETE FROM vault_meta"))
    assert open_light(harness.ctx.settings) is None  # no fingerprint key, no sentinel: sealed by open_app
    ctx = await open_app(harness.ctx.settings)
    await ctx.aclose()
    with _light(harness) as light:
        assert light.connections() == []


async def test_a_schema_behind_head_is_left_to_the_migrations(harness: Harness) -> None:
    async with harness.ctx.transaction() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = '0004_monitor'"))
    assert open_light(harness.ctx.settings) is None


async def test_a_wrong_master_key_fails_as_on_the_full_start_up(harness: Harness) -> None:
    await _two_connections(harness)
    other_bytes = f"{harness.ctx.vault.primary_key_id}:{base64.b64encode(os.urandom(32)).decode()}"
    wrong = harness.ctx.settings.model_copy(update={"master_key": SecretStr(other_bytes)})
    with pytest.raises(MasterKeyError) as on_light:
        open_light(wrong)
    with pytest.raises(MasterKeyError) as on_full:
        await open_app(wrong)
    assert on_light.value.message == on_full.value.message and on_light.value.fix == on_full.value.fix
    assert "cannot be opened" in on_light.value.message


async def test_another_master_key_is_left_to_the_full_start_up_which_refuses_it(harness: Harness) -> None:
    await _two_connections(harness)
    key = base64.b64encode(os.urandom(32)).decode()
    another = harness.ctx.settings.model_copy(update={"master_key": SecretStr(key)})
    # no vault row proves the new primary key: the full start-up would seal a sentinel, so it decides
    assert open_light(another) is None
    with pytest.raises(MasterKeyError, match="not configured"):
        await open_app(another)


def test_which_exchanges_report_key_expiry_is_what_their_specs_say() -> None:
    for exchange in ExchangeId:
        assert key_expiry_reported(exchange.value) is get_spec(exchange).capabilities.key_expiry, exchange
