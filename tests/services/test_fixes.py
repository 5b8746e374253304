""" "Fix it for me" over SQLite + the in-process simulators: what is offered, what applying does, what is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tradedock.db.models import AuditEntry
from tradedock.domain import ConnectionStatus, ExchangeId
from tradedock.errors import InvalidInputError, UserFixableError
from tradedock.services.fixes import FixService, fix_offers

from .conftest import Harness


async def test_hedge_mode_report_offers_the_switch_and_fix_makes_it_connected(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BYBIT, "hedge_mode")
    outcome = await harness.connect(ExchangeId.BYBIT, preset["credentials"])
    assert outcome.status is ConnectionStatus.ACTION_REQUIRED
    assert [f.id for f in outcome.fixes] == ["position_mode.one_way"]
    connection_id = outcome.connection_id or ""
    listing = await FixService(harness.ctx).offers(connection_id[:8])
    assert [f.id for f in listing.fixes] == ["position_mode.one_way"]
    result = await FixService(harness.ctx).apply(connection_id, "position_mode.one_way")
    assert result.outcome.status is ConnectionStatus.CONNECTED
    assert result.outcome.check("position.mode").evidence["position_mode"] == "one_way"
    assert result.outcome.fixes == []
    view = await harness.service().show(connection_id)
    async with harness.ctx.reading() as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert view.status is ConnectionStatus.CONNECTED
    assert "fix" in actions


async def test_open_position_refusal_is_the_answer_and_nothing_changes(harness: Harness) -> None:
    preset = await harness.scenario(ExchangeId.BYBIT, "hedge_mode_with_position")
    outcome = await harness.connect(ExchangeId.BYBIT, preset["credentials"])
    connection_id = outcome.connection_id or ""
    with pytest.raises(UserFixableError) as refused:
        await FixService(harness.ctx).apply(connection_id, "position_mode.one_way")
    assert refused.value.code == "110024"
    assert "Close the open positions" in (refused.value.fix or "")
    assert (await harness.service().show(connection_id)).status is ConnectionStatus.ACTION_REQUIRED


async def test_no_offer_without_a_failed_setting_or_without_trading_permission(harness: Harness) -> None:
    healthy = await harness.scenario(ExchangeId.BYBIT, "healthy")
    outcome = await harness.connect(ExchangeId.BYBIT, healthy["credentials"])
    assert outcome.fixes == []
    with pytest.raises(InvalidInputError) as unknown:
        await FixService(harness.ctx).apply(outcome.connection_id or "", "position_mode.one_way")
    assert unknown.value.field == "fix"
    # A read-only key cannot switch the mode itself: the same failed check offers nothing.
    checks = [
        {"id": "permissions.required", "outcome": "fail"},
        {"id": "position.mode", "outcome": "fail", "evidence": {"position_mode": "hedge", "required": "one_way"}},
    ]
    assert fix_offers("bybit", checks) == []
    checks[0]["outcome"] = "pass"
    assert [o.id for o in fix_offers("bybit", checks)] == ["position_mode.one_way"]
    assert [o.id for o in fix_offers("aster", checks)] == ["position_mode.one_way"]  # every trader offers it
    assert fix_offers("kraken", checks) == []  # not a registered exchange: nothing offered
