"""A real `tradedock worker` process is killed (SIGKILL) right after it sent a bot's order while the simulator holds
the answer; two new workers race to resolve the order by its client order id: exactly one order exists on the
exchange and the bot's records match it. The simulator runs in its own process; SQLite (the worker's loop of rounds)
and PostgreSQL (procrastinate workers, the engine as a tick hook)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from decimal import Decimal as D
from typing import Any

import httpx
import pytest

from tests.concurrency.conftest import Home, fresh_home, sim_post, sim_urls
from tradedock.config import load_settings
from tradedock.db.models import BotOrder
from tradedock.domain import Environment, ExchangeId, Scope
from tradedock.services.bot_views import BotRequest, SizingKind
from tradedock.services.bots import BotService
from tradedock.services.connections import ConnectionService, ConnectRequest
from tradedock.services.context import AppContext, open_app
from tradedock.services.strategies import StrategyService, ingest_signal

__all__ = ["fresh_home", "sim_urls"]

pytestmark = [pytest.mark.slow]


def sim_get(base_url: str, path: str) -> Any:
    return httpx.get(f"{base_url}{path}", timeout=10).json()


async def _order_row(ctx: AppContext) -> BotOrder:
    async with ctx.reading() as session:
        from sqlalchemy import select

        [row] = (await session.execute(select(BotOrder))).scalars().all()
        return row


async def _start_worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tradedock", "worker", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    await asyncio.wait_for(proc.stdout.readline(), 30)  # the ready line
    return proc


async def test_killed_worker_never_doubles_an_order(fresh_home: Home, sim_urls: dict[str, str]) -> None:
    bybit = sim_urls["bybit"]
    database_url = None if fresh_home.backend == "sqlite" else fresh_home.database_url
    settings = load_settings(
        home=fresh_home.home,
        database_url=database_url,
        sandbox_urls=sim_urls,
        egress_ips=("127.0.0.1",),
        master_key=None,
    )
    ctx = await open_app(settings)
    workers: list[asyncio.subprocess.Process] = []
    try:
        preset = sim_post(bybit, "/_sim/scenarios/healthy", {"ip": "127.0.0.1"})
        uid = preset["uid"]
        sim_post(bybit, "/_sim/prices", {"symbol": "BTCUSDT", "price": "60000"})
        sim_post(bybit, "/_sim/fees", {"taker": "0", "maker": "0"})
        request = ConnectRequest(
            ExchangeId.BYBIT, Environment.SANDBOX, Scope.FUTURES, None, None, preset["credentials"]
        )
        connection_id = (await ConnectionService(ctx).connect(request)).connection_id
        assert connection_id is not None
        created = await StrategyService(ctx).create_webhook("tv")
        bots = BotService(ctx)
        bot = await bots.create(
            BotRequest(
                name="kill",
                connection_id=connection_id,
                strategy_id=created.strategy.id,
                symbols=["BTCUSDT"],
                sizing_kind=SizingKind.FIXED_QUOTE,
                sizing_value=D(300),
            )
        )
        await bots.start(bot.id)
        sim_post(bybit, "/_sim/order-faults", {"fault": "accept_then_timeout"})  # place it, never answer
        now = ctx.clock.now().isoformat()
        sent = {"signal_id": "k-1", "action": "long", "symbol": "BTCUSDT", "time": now}
        assert (await ingest_signal(ctx, created.strategy.id, sent, secret=created.secret)).orders_created == 1

        env = dict(fresh_home.env)
        env.update(
            TRADEDOCK_BOT_LEASE_S="2",
            TRADEDOCK_MONITOR_POLL_S="0.2",
            TRADEDOCK_MONITOR_LEASE_S="5",
            TRADEDOCK_MONITOR_INTERVAL_S="3600",
            TRADEDOCK_HTTP_TIMEOUT_S="30",  # the held answer outlives the worker
        )

        workers.append(await _start_worker(env))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            on_exchange = sim_get(bybit, f"/_sim/orders?uid={uid}")["orders"]
            if on_exchange and (await _order_row(ctx)).state == "sending":
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the worker never sent the order")
        os.kill(workers[0].pid, signal.SIGKILL)
        await workers[0].wait()
        [placed] = sim_get(bybit, f"/_sim/orders?uid={uid}")["orders"]
        assert (await _order_row(ctx)).state == "sending"  # the dead worker never heard the answer

        # Two new workers race for the dead one's bot: one resolves it, neither sends it again.
        workers.extend(await asyncio.gather(_start_worker(env), _start_worker(env)))
        deadline = time.monotonic() + 30
        row = await _order_row(ctx)
        while row.state == "sending" and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            row = await _order_row(ctx)
        assert row.state == "filled", row.error
        orders = sim_get(bybit, f"/_sim/orders?uid={uid}")["orders"]
        assert orders == [placed] or [o["order_id"] for o in orders] == [placed["order_id"]]  # exactly one order
        assert (row.exchange_order_id, row.client_order_id) == (placed["order_id"], placed["client_id"])
        assert (row.filled_qty, row.attempts) == (D(placed["filled_qty"]), 1)
        deadline = time.monotonic() + 15
        view = (await bots.get(bot.id)).bot
        while not view.positions and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            view = (await bots.get(bot.id)).bot
        [position] = view.positions
        [on_exchange] = [p for p in sim_get(bybit, f"/_sim/positions?uid={uid}")["positions"] if D(p["size"])]
        assert position.qty == D(on_exchange["size"]) == D("0.005")
    finally:
        for proc in workers:
            if proc.returncode is None:
                proc.kill()  # nothing left to prove about a graceful stop here
                await proc.wait()
        sim_post(bybit, "/_sim/reset", {})  # ends the held answer, so the simulator stops at once
        await ctx.aclose()
