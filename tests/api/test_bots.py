"""Bots over HTTP, end to end on SQLite and PostgreSQL: a webhook strategy, two bots (Bybit fixed quote, Bitget
percent of balance) on sandbox connections made through the API, a long then a close signal posted to the
webhook, the workers' engine run in process — and the orders, positions and PnL seen both in the simulators'
own matching engines and in the API. Refused signals (replay, stale, unknown symbol, bad secret) order nothing.
Also: create refusals naming the field, start refused with the reason, the state machine, isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest

from tests.api.conftest import Api, User
from tradedock.domain import ExchangeId
from tradedock.services.execution import ExecutionPolicy, ExecutionService
from tradedock_sim.core.engine import Engine
from tradedock_sim.core.orders import Order, Position

pytestmark = pytest.mark.usefixtures("backend")

FAST = ExecutionPolicy(lookups=2, lookup_pause_s=0.01)


def _engine_book(api: Api, exchange: ExchangeId, uid: str) -> tuple[list[Order], list[Position]]:
    """What the simulator itself holds for the account: its matching engine's orders and open positions."""
    state = api.transports[exchange].app.state.sim  # type: ignore[attr-defined]
    engine = state.extra.get("trading.engine")
    if engine is None:
        return [], []
    assert isinstance(engine, Engine)
    account = state.accounts[uid]
    return engine.orders(account, open_only=False), [p for p in engine.positions(account) if p.size]


async def _connect(api: Api, user: User, exchange: ExchangeId, scenario: str = "healthy") -> tuple[str, str]:
    control = api.controls[exchange]
    await control.set_price("BTCUSDT", "60000")
    await control.set_fees(taker="0", maker="0")
    preset = await api.scenario(exchange, scenario)
    answer = await api.client.post(
        "/api/v1/connections",
        json={"exchange": exchange.value, "environment": "sandbox", "credentials": preset["credentials"]},
        headers=user.auth,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["connection_id"], str(preset["uid"])


async def _strategy(api: Api, user: User) -> tuple[str, str]:
    made = await api.client.post("/api/v1/strategies", json={"name": "TV alerts"}, headers=user.auth)
    assert made.status_code == 201, made.text
    return made.json()["strategy"]["id"], made.json()["secret"]


async def _bot(api: Api, user: User, connection_id: str, strategy_id: str, **sizing: Any) -> dict[str, Any]:
    body = {"name": "bot", "connection_id": connection_id, "strategy_id": strategy_id, "symbols": ["BTCUSDT"]}
    created = await api.client.post("/api/v1/bots", json={**body, **sizing}, headers=user.auth)
    assert created.status_code == 201, created.text
    bot: dict[str, Any] = created.json()
    return bot


def _signal(secret: str, signal_id: str, action: str, **extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {"secret": secret, "signal_id": signal_id, "action": action, "symbol": "BTCUSDT", "time": now, **extra}


async def _round(api: Api) -> Any:
    return await ExecutionService(api.ctx, "api-test-worker", policy=FAST).run_round()


async def test_webhook_signals_trade_two_bots_and_show_in_the_api(api: Api) -> None:
    alice = await api.user("alice@example.com")
    bybit_connection, bybit_uid = await _connect(api, alice, ExchangeId.BYBIT)
    bitget_connection, bitget_uid = await _connect(api, alice, ExchangeId.BITGET)
    strategy_id, secret = await _strategy(api, alice)
    # Bybit: 300 USDT a position (0.005 BTC at 60000); Bitget: 50 % of its 200 USDT → 100 USDT (0.001 BTC).
    bot_a = await _bot(api, alice, bybit_connection, strategy_id, sizing_kind="fixed_quote", sizing_value="300")
    bot_b = await _bot(api, alice, bitget_connection, strategy_id, sizing_kind="balance_pct", sizing_value="50")
    for bot in (bot_a, bot_b):
        started = await api.client.post(f"/api/v1/bots/{bot['id']}/start", headers=alice.auth)
        assert started.status_code == 200 and started.json()["state"] == "running", started.text
    url = f"/api/v1/strategies/{strategy_id}/signals"

    long = await api.client.post(url, json=_signal(secret, "tv-1", "long"))
    assert long.status_code == 202, long.text
    assert (long.json()["orders_created"], long.json()["bots_skipped"]) == (2, 0)
    assert _engine_book(api, ExchangeId.BYBIT, bybit_uid) == ([], [])  # nothing is sent until a worker runs

    first = await _round(api)
    assert (first.sent, first.rejected, first.failed) == (2, 0, 0)
    [buy_a], [held_a] = _engine_book(api, ExchangeId.BYBIT, bybit_uid)
    [buy_b], [held_b] = _engine_book(api, ExchangeId.BITGET, bitget_uid)
    assert (buy_a.side.value, buy_a.filled_qty, held_a.size, held_a.long) == ("buy", D("0.005"), D("0.005"), True)
    assert (buy_b.side.value, buy_b.filled_qty, held_b.size, held_b.long) == ("buy", D("0.001"), D("0.001"), True)

    detail_a = (await api.client.get(f"/api/v1/bots/{bot_a['id']}", headers=alice.auth)).json()
    [order] = detail_a["orders"]
    assert (order["state"], order["side"], order["qty"], order["filled_qty"]) == ("filled", "buy", "0.005", "0.005")
    assert (order["client_order_id"], order["exchange_order_id"]) == (buy_a.client_id, buy_a.order_id)
    [position] = detail_a["bot"]["positions"]
    assert (position["symbol"], D(position["qty"]), D(position["entry_price"])) == ("BTCUSDT", D("0.005"), D(60000))
    listed = (await api.client.get("/api/v1/bots", headers=alice.auth)).json()["items"]
    assert {b["id"]: [D(p["qty"]) for p in b["positions"]] for b in listed} == {
        bot_a["id"]: [D("0.005")],
        bot_b["id"]: [D("0.001")],
    }

    # Refused signals order nothing: a replay, a stale one, an unknown symbol, a bad secret.
    stale_time = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    refusals = [
        (_signal(secret, "tv-1", "close"), 409, "/problems/signal-replay", "signal_id"),
        (_signal(secret, "tv-old", "close", time=stale_time), 422, "/problems/signal-stale", "time"),
        (_signal(secret, "tv-eth", "close", symbol="ETHUSDT"), 422, "/problems/signal-unknown-symbol", "symbol"),
        (_signal("tds_" + "x" * 43, "tv-bad", "close"), 401, "/problems/signal-secret", "secret"),
    ]
    for body, code, kind, field in refusals:
        refused = await api.client.post(url, json=body)
        problem = refused.json()
        assert (refused.status_code, problem["type"], problem["field"]) == (code, kind, field), problem
        assert problem["detail"] and problem["fix"] and secret not in refused.text
    idle = await _round(api)
    assert idle.sent == 0
    assert [
        len(_engine_book(api, e, u)[0]) for e, u in ((ExchangeId.BYBIT, bybit_uid), (ExchangeId.BITGET, bitget_uid))
    ] == [1, 1]
    orders = (await api.client.get(f"/api/v1/bots/{bot_b['id']}/orders", headers=alice.auth)).json()["items"]
    assert len(orders) == 1
    signals = (await api.client.get(url, headers=alice.auth)).json()["items"]
    assert [s["signal_id"] for s in signals] == ["tv-1"]

    # The price rises 1000; the close signal flattens both bots with reduce-only sells.
    for exchange in (ExchangeId.BYBIT, ExchangeId.BITGET):
        await api.controls[exchange].set_price("BTCUSDT", "61000")
    close = await api.client.post(url, json=_signal(secret, "tv-2", "close"), headers={"X-TradeDock-Secret": secret})
    assert close.status_code == 202 and close.json()["orders_created"] == 2
    assert (await _round(api)).sent == 2
    orders_a, positions_a = _engine_book(api, ExchangeId.BYBIT, bybit_uid)
    orders_b, positions_b = _engine_book(api, ExchangeId.BITGET, bitget_uid)
    assert positions_a == positions_b == []
    assert [(o.side.value, o.qty, o.reduce_only) for o in orders_a if o.order_id != buy_a.order_id] == [
        ("sell", D("0.005"), True)
    ]
    assert [(o.side.value, o.qty, o.reduce_only) for o in orders_b if o.order_id != buy_b.order_id] == [
        ("sell", D("0.001"), True)
    ]

    after_a = (await api.client.get(f"/api/v1/bots/{bot_a['id']}", headers=alice.auth)).json()
    after_b = (await api.client.get(f"/api/v1/bots/{bot_b['id']}", headers=alice.auth)).json()
    assert after_a["bot"]["positions"] == [] and after_b["bot"]["positions"] == []
    assert D(after_a["bot"]["realized_pnl"]) == D("5")  # 0.005 BTC × 1000 USDT, fees 0
    assert D(after_b["bot"]["realized_pnl"]) == D("1")  # 0.001 BTC × 1000 USDT
    assert [o["state"] for o in after_a["orders"]] == ["filled", "filled"]
    kinds = [e["type"] for e in after_a["events"]]
    assert kinds.count("bot.order_done") == 2 and "bot.state_changed" in kinds
    events = (await api.client.get(f"/api/v1/bots/{bot_a['id']}/events", headers=alice.auth)).json()["items"]
    assert [e["type"] for e in events] == kinds
    assert secret not in str(after_a) + str(after_b) + str(events)


async def test_create_refusals_start_refused_transitions_and_isolation(api: Api) -> None:
    alice, bob = await api.user("alice@example.com"), await api.user("bob@example.com")
    connection_id, _ = await _connect(api, alice, ExchangeId.BYBIT)
    hedge_connection, _ = await _connect(api, alice, ExchangeId.BYBIT, "hedge_mode")
    strategy_id, _ = await _strategy(api, alice)
    base = {"name": "bot", "connection_id": connection_id, "strategy_id": strategy_id, "symbols": ["BTCUSDT"]}
    sizing = {"sizing_kind": "fixed_quote", "sizing_value": "100"}
    cases = [
        ({**base, **sizing, "sizing_value": "-5"}, 422, "sizing_value"),
        ({**base, "sizing_kind": "balance_pct", "sizing_value": "150"}, 422, "sizing_value"),
        ({**base, **sizing, "symbols": ["DOGEMOONUSDT"]}, 422, "symbols"),
        ({**base, **sizing, "symbols": []}, 422, "symbols"),
        ({**base, **sizing, "stops": {"trailing": "5"}}, 422, "stops"),
        ({**base, **sizing, "leverage_cap": "500"}, 422, "leverage_cap"),
        ({**base, **sizing, "strategy_id": "00000000-0000-4000-8000-000000000000"}, 422, "strategy_id"),
        ({**base, **sizing, "sizing_kind": "all_in"}, 422, "sizing_kind"),
        ({**base, **sizing, "leverage": "5"}, 422, "leverage"),
    ]
    for body, code, field in cases:
        answer = await api.client.post("/api/v1/bots", json=body, headers=alice.auth)
        assert (answer.status_code, answer.json().get("field")) == (code, field), (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    # Bob may not put Alice's connection (nor her private strategy) to work: the same 404 as a missing one.
    bob_connection, _ = await _connect(api, bob, ExchangeId.BYBIT)
    stolen = await api.client.post("/api/v1/bots", json={**base, **sizing}, headers=bob.auth)
    assert stolen.status_code == 404
    private = await api.client.post(
        "/api/v1/bots", json={**base, **sizing, "connection_id": bob_connection}, headers=bob.auth
    )
    assert private.status_code == 422 and private.json()["field"] == "strategy_id"

    hedged = await _bot(api, alice, hedge_connection, strategy_id, **sizing)
    refused = await api.client.post(f"/api/v1/bots/{hedged['id']}/start", headers=alice.auth)
    problem = refused.json()
    assert refused.status_code == 422 and problem["type"] == "/problems/bot-not-ready", problem
    assert problem["reason"] in ("connection_status", "position_mode") and problem["fix"]
    assert isinstance(problem["problems"], list)
    events = (await api.client.get("/api/v1/events", headers=alice.auth)).json()["items"]
    assert "bot.start_refused" in [e["type"] for e in events]

    bot = await _bot(api, alice, connection_id, strategy_id, **sizing, stops={"max_loss_pct": "10"})
    assert (bot["state"], bot["stops"], bot["sizing_value"]) == ("draft", {"max_loss_pct": "10"}, "100")
    prefix = bot["id"][:8]
    steps = [("start", None, 200, "running"), ("pause", None, 200, "paused"), ("start", None, 200, "running")]
    for action, body, code, state in steps:
        answer = await api.client.post(f"/api/v1/bots/{prefix}/{action}", json=body, headers=alice.auth)
        assert (answer.status_code, answer.json()["state"]) == (code, state), answer.text
    in_use = await api.client.delete(f"/api/v1/strategies/{strategy_id}", headers=alice.auth)
    assert in_use.status_code == 409 and in_use.json()["type"] == "/problems/conflict"
    running = await api.client.delete(f"/api/v1/bots/{bot['id']}", headers=alice.auth)
    assert running.status_code == 409

    # Bob sees none of it: every bot route is the same 404 as for a missing bot.
    missing = await api.client.get("/api/v1/bots/00000000-0000-4000-8000-000000000000", headers=bob.auth)
    for method, suffix in (("GET", ""), ("GET", "/orders"), ("GET", "/events"), ("POST", "/start"),
                           ("POST", "/pause"), ("POST", "/stop"), ("DELETE", "")):  # fmt: skip
        answer = await api.client.request(method, f"/api/v1/bots/{bot['id']}{suffix}", headers=bob.auth)
        assert (answer.status_code, answer.content) == (404, missing.content), (method, suffix)
    assert (await api.client.get("/api/v1/bots", headers=bob.auth)).json()["items"] == []

    stopped = await api.client.post(f"/api/v1/bots/{bot['id']}/stop", json={"close_position": True}, headers=alice.auth)
    assert stopped.status_code == 200 and stopped.json()["state"] == "stopped"
    final = await api.client.post(f"/api/v1/bots/{bot['id']}/start", headers=alice.auth)
    assert final.status_code == 409 and final.json()["type"] == "/problems/conflict"
    await _round(api)  # the close order finds nothing to close
    assert (await api.client.delete(f"/api/v1/bots/{bot['id']}", headers=alice.auth)).status_code == 204
    assert (await api.client.get(f"/api/v1/bots/{bot['id']}", headers=alice.auth)).status_code == 404


async def test_the_same_signal_posted_at_once_is_accepted_once(api: Api) -> None:
    """Eight copies of one signal race (on PostgreSQL truly concurrent transactions): one 202, seven 409 replays,
    one bot order, one exchange order."""
    import asyncio

    from tradedock.api.rate_limits import SignalLimiter

    api.app.state.api.signals = SignalLimiter("100/second")
    alice = await api.user("alice@example.com")
    connection_id, uid = await _connect(api, alice, ExchangeId.BYBIT)
    strategy_id, secret = await _strategy(api, alice)
    bot = await _bot(api, alice, connection_id, strategy_id, sizing_kind="fixed_quote", sizing_value="300")
    assert (await api.client.post(f"/api/v1/bots/{bot['id']}/start", headers=alice.auth)).status_code == 200
    body = _signal(secret, "tv-race", "long")
    url = f"/api/v1/strategies/{strategy_id}/signals"
    answers = await asyncio.gather(*(api.client.post(url, json=body) for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [202] + [409] * 7, [a.text for a in answers]
    assert {a.json()["type"] for a in answers if a.status_code == 409} == {"/problems/signal-replay"}
    await _round(api)
    orders = (await api.client.get(f"/api/v1/bots/{bot['id']}/orders", headers=alice.auth)).json()["items"]
    assert [o["state"] for o in orders] == ["filled"]
    assert len(_engine_book(api, ExchangeId.BYBIT, uid)[0]) == 1


async def test_a_paper_bot_trades_its_own_sandbox_account(api: Api) -> None:
    """mode=paper: the bot gets its own funded simulator account (a connection labelled "paper: …"); its orders
    go there, never to the connection it was created from."""
    alice = await api.user("alice@example.com")
    connection_id, uid = await _connect(api, alice, ExchangeId.BYBIT)
    strategy_id, secret = await _strategy(api, alice)
    bot = await _bot(
        api, alice, connection_id, strategy_id, sizing_kind="fixed_quote", sizing_value="300", mode="paper"
    )
    assert bot["mode"] == "paper" and bot["paper_connection_id"] not in (None, connection_id)
    connections = (await api.client.get("/api/v1/connections", headers=alice.auth)).json()["items"]
    assert {c["id"]: c["label"] for c in connections}[bot["paper_connection_id"]] == "paper: bot"
    assert (await api.client.post(f"/api/v1/bots/{bot['id']}/start", headers=alice.auth)).status_code == 200
    url = f"/api/v1/strategies/{strategy_id}/signals"
    assert (await api.client.post(url, json=_signal(secret, "p-1", "long"))).status_code == 202
    assert (await _round(api)).sent == 1
    detail = (await api.client.get(f"/api/v1/bots/{bot['id']}", headers=alice.auth)).json()
    assert [o["state"] for o in detail["orders"]] == ["filled"]
    assert [D(p["qty"]) for p in detail["bot"]["positions"]] == [D("0.005")]
    assert _engine_book(api, ExchangeId.BYBIT, uid) == ([], [])  # the real account was never touched
