"""Auto-sync: a trader switches the sandbox account to hedge mode and moves the funds out of the futures wallet;
the next monitor round records both, moves the connection to action_required with the fix, and the owner's
webhook (a real local HTTP receiver) receives the events."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from decimal import Decimal

from tests.monitor.conftest import store_connection
from tests.monitor.test_webhooks import Receiver, receiver, third_party_verify
from tests.services.conftest import Harness
from tradedock.clock import FrozenClock
from tradedock.domain import ExchangeId
from tradedock.services.monitor import MonitorService
from tradedock.services.records import Store
from tradedock.services.webhooks import WebhookService

__all__ = ["receiver"]


async def test_hedge_mode_and_moved_funds_are_recorded_and_delivered(mharness: Harness, receiver: Receiver) -> None:
    clock = FrozenClock(datetime.now(UTC))
    monitor = MonitorService(mharness.ctx, worker_id="w1", clock=clock, rng=random.Random(5))
    preset = await mharness.scenario(ExchangeId.BYBIT, "healthy")
    cid = await store_connection(mharness, preset["credentials"])
    async with mharness.ctx.transaction() as session:
        owner = await Store(session, mharness.ctx.clock).owner_id("local")
        receiver.secret = (
            await WebhookService(session, clock, mharness.ctx.vault, owner).create(receiver.url, allow_private=True)
        ).secret

    first = await monitor.run_round()
    assert first.statuses == {"connected": 1}
    assert receiver.received == []  # nothing changed: no event

    account = mharness.apps[ExchangeId.BYBIT].state.sim.accounts[preset["uid"]]  # type: ignore[attr-defined]
    account.position_mode = "hedge"
    account.balances = {"UNIFIED": {"USDT": Decimal("3")}, "FUND": {"USDT": Decimal("997")}}

    clock.advance(hours=2)
    second = await monitor.run_round()
    assert second.statuses == {"action_required": 1}
    show = await mharness.service().show(cid)
    assert show.status == "action_required" and show.position_mode == "hedge"

    bodies = []
    for request in receiver.received:
        raw = request["raw"]
        assert isinstance(raw, bytes)
        assert third_party_verify(receiver.secret, str(request["signature"]), raw, 300, int(clock.now().timestamp()))
        bodies.append(json.loads(raw))
    by_type = {b["type"]: b["data"] for b in bodies}
    assert set(by_type) == {"connection.status_changed", "connection.mode_changed", "connection.balance_low"}
    mode = by_type["connection.mode_changed"]
    assert mode["changes"] == {"position_mode": {"from": "one_way", "to": "hedge"}}
    assert mode["action_required"] is True and mode["connection_id"] == cid
    assert any(p["check"] == "position.mode" and p["fix"] for p in mode["problems"])
    assert by_type["connection.status_changed"]["from"] == "connected"
    assert by_type["connection.status_changed"]["to"] == "action_required"
    low = by_type["connection.balance_low"]
    assert low["trading_wallet"] == "UNIFIED" and Decimal(low["trading_wallet_usd"]) == 3
    assert Decimal(low["trading_wallet_usd"]) < Decimal(low["minimum_usd"]) and low["fix"] and low["message"]

    clock.advance(hours=2)  # nothing changed since: no new events
    await monitor.run_round()
    assert len(receiver.received) == 3
    await monitor.aclose()
