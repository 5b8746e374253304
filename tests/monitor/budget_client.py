"""A process of tests/monitor/test_budget_share.py: registers as a monitor worker (heartbeat → its share of the
per-IP budgets), waits for "go" on stdin, then sends ``count`` Bybit server-time requests through the real HTTP
layer (10 at a time) and prints what happened as JSON: answered, refused by our own budget, or failed otherwise.

Run as ``python -m tests.monitor.budget_client COUNT`` with the TRADEDOCK_* environment of the test.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter

from tradedock.config import load_settings
from tradedock.domain import Credentials, Environment, ExchangeId
from tradedock.errors import RateLimitedError, TradeDockError
from tradedock.exchanges.pool import loop_pool
from tradedock.services.context import open_app
from tradedock.services.monitor import MonitorService


async def main(count: int) -> None:
    ctx = await open_app(load_settings())
    service = MonitorService(ctx)
    await service.heartbeat()
    print(json.dumps({"ready": service.worker_id}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await service.heartbeat()  # every worker has beaten by now: the share counts them all
    access = ctx.access
    flavor, _ = access.flavors(ExchangeId.BYBIT, Environment.SANDBOX)
    fields = {f.name: "budget-test" for f in access.spec(ExchangeId.BYBIT).credential_fields}
    adapter = access.adapter(Credentials(ExchangeId.BYBIT, fields), Environment.SANDBOX, flavor)
    outcomes: Counter[str] = Counter()
    todo = iter(range(count))

    async def sender() -> None:
        for _ in todo:
            try:
                await adapter.server_time()
                outcomes["answered"] += 1
            except RateLimitedError as error:
                outcomes[f"rate_limited:{error.code}"] += 1
            except TradeDockError as error:
                outcomes[f"{type(error).__name__}:{error.code}"] += 1

    await asyncio.gather(*(sender() for _ in range(10)))
    await adapter.aclose()
    print(json.dumps({"share": loop_pool().budgets.ip_share, "outcomes": dict(outcomes)}), flush=True)
    await service.aclose()
    await ctx.aclose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
