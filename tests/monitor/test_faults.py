"""A flaky exchange never breaks a working connection: with 30 % of the simulators' answers failing — HTTP 500,
HTML 503, timeouts and 429, one kind per exchange and round, each exchange meeting three of them — over 200
healthy connections for three rounds of three `tradedock worker` processes (procrastinate on PostgreSQL), every
connection is checked once every round and none is ever marked invalid or action_required (only unreachable or
warnings).

The simulators run in their own process and are reached over loopback with a 0.5 s HTTP timeout, so the `timeout`
fault (the simulator answers nothing for a minute) costs half a second, as a real client timeout would.
Connections are seeded in bulk, spread over Bybit and Bitget (each exchange's per-IP limit is kept, so one exchange
alone would make the rounds wait for its budget); the backoff after a failure is longer than a round, so an
unreachable connection is retried in the next round, not twice in one.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from tests.monitor.conftest import schedule_runs, seed_bulk, start_workers, stop_workers, wait_for_round, worker_env
from tests.pg import postgres_database
from tradedock.config import load_settings
from tradedock.db.models import Connection, MonitorLease, VerificationRun
from tradedock.services.context import open_app

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PER_EXCHANGE = {"bybit": 70, "bitget": 130}
WORKERS = 3
#: Per round, the fault each simulator answers 30 % of requests with.
FAULTS = (
    {"bybit": "http_500", "bitget": "http_503_html"},
    {"bybit": "timeout", "bitget": "rate_limit"},
    {"bybit": "rate_limit", "bitget": "timeout"},
)


async def _set_faults(urls: dict[str, str], faults: dict[str, str] | None = None) -> None:
    """30 % of each simulator's answers fail with its fault; ``None`` clears them (and ends hung answers)."""
    async with httpx.AsyncClient(timeout=10) as http:
        for exchange, url in urls.items():
            body = {"error": faults[exchange], "error_rate": 0.3} if faults else {}
            (await http.post(f"{url}/_sim/faults", json=body)).raise_for_status()


async def test_thirty_percent_faults_mark_nothing_invalid_or_action_required(
    tmp_path: Path, sim_process: dict[str, str]
) -> None:
    home = tmp_path / "home"
    async with postgres_database() as url:
        ctx = await open_app(load_settings(home=home, database_url=url, master_key=None, sandbox_urls=sim_process))
        workers = []
        try:
            ids, _ = await seed_bulk(ctx, sim_process, PER_EXCHANGE)
            env = worker_env(
                home, url, sim_process, http_timeout_s="0.5", http_connect_timeout_s="0.5", monitor_poll_s="0.3",
                monitor_batch="16", monitor_interval_s="3600", monitor_backoff_s="600",
            )  # fmt: skip
            for n, faults in enumerate(FAULTS, start=1):
                await _set_faults(sim_process, faults)
                async with ctx.transaction() as session:  # a new round: everything due now
                    await session.execute(update(MonitorLease).values(next_check_at=ctx.clock.now()))
                if not workers:
                    workers, _ = await start_workers(WORKERS, env)
                await wait_for_round(ctx, ids, n, time.monotonic() + 120)
            await _set_faults(sim_process)
            await stop_workers(workers)
            workers = []

            runs = await schedule_runs(ctx)
            async with ctx.reading() as session:
                rows = await session.execute(
                    select(VerificationRun.status, func.count()).group_by(VerificationRun.status)
                )
                run_statuses = {str(status): int(n) for status, n in rows.all()}
                statuses = set((await session.execute(select(Connection.status))).scalars())
        finally:
            await stop_workers(workers)
            await ctx.aclose()
    assert runs == dict.fromkeys(ids, len(FAULTS))  # every connection checked once in every round
    assert run_statuses.get("unreachable", 0) > 0, run_statuses  # the faults did hit
    assert not {"invalid", "action_required"} & set(run_statuses), run_statuses
    assert not {"invalid", "action_required"} & statuses
