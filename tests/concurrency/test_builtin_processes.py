"""Four worker processes evaluate the same built-in strategy at the same moment (the simulator in its own process,
SQLite and PostgreSQL): exactly one signal and one bot order exist; the other three see a replay."""

from __future__ import annotations

import asyncio
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tradedock.config import load_settings
from tradedock.db.models import BotOrder, StrategySignal
from tradedock.services.bot_views import BotRequest, SizingKind
from tradedock.services.bots import BotService
from tradedock.services.context import open_app
from tradedock.services.strategies import StrategyService

from .conftest import Home, sim_post

pytestmark = pytest.mark.slow

#: SMA2 crosses above SMA3 on the last closed candle.
CROSSING = ["60000", "60000", "60000", "59000", "62000"]


async def _round(home: Home) -> dict[str, object]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("builtin_round.py")),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=home.env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "Traceback" not in err.decode(), err.decode()[-2000:]
    result: dict[str, object] = json.loads(out.decode())
    return result


async def test_four_workers_at_once_make_one_signal_and_one_order(fresh_home: Home, sim_urls: dict[str, str]) -> None:
    sim = sim_urls["bybit"]
    credentials = sim_post(sim, "/_sim/scenarios/healthy", {})["credentials"]
    connected = await fresh_home.run(
        "connect", "bybit", "--environment", "sandbox", "--credentials", "-", "--json", stdin=json.dumps(credentials)
    )
    assert connected.code == 0, connected.stderr[-2000:]
    connection_id = connected.json()["connection_id"]
    sim_post(sim, "/_sim/candles", {"symbol": "BTCUSDT", "interval": "1h", "closes": CROSSING})

    settings = load_settings(home=fresh_home.home, database_url=fresh_home.database_url, sandbox_urls=sim_urls)
    ctx = await open_app(settings)
    try:
        strategy = await StrategyService(ctx).create_builtin(
            "sma", "ma_crossover", {"symbol": "BTCUSDT", "interval": "1h", "fast": 2, "slow": 3}
        )
        bots = BotService(ctx)
        bot = await bots.create(
            BotRequest(
                name="b",
                connection_id=connection_id,
                strategy_id=strategy.id,
                symbols=["BTCUSDT"],
                sizing_kind=SizingKind.FIXED_QUOTE,
                sizing_value=Decimal(300),
            )
        )
        await bots.start(bot.id)

        rounds = await asyncio.gather(*(_round(fresh_home) for _ in range(4)))

        assert sum(int(r["signals"]) for r in rounds) == 1, rounds  # type: ignore[call-overload]
        assert sum(int(r["already_emitted"]) for r in rounds) == 3, rounds  # type: ignore[call-overload]
        async with ctx.reading() as session:
            signals = (await session.execute(select(func.count()).select_from(StrategySignal))).scalar_one()
            orders = (await session.execute(select(func.count()).select_from(BotOrder))).scalar_one()
        assert (signals, orders) == (1, 1)
    finally:
        await ctx.aclose()
