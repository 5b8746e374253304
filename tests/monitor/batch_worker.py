"""A monitor worker process of tests/monitor/test_batch_race.py, driven step by step over stdin/stdout (JSON lines),
so the test can put another process's writes between its phases:

- ``{"op": "claim"}`` → ``{"ids": [...]}``: lease due connections with the one claim statement (a batch);
- ``{"op": "verify", "ids": [...]}`` → ``{"verified": n}``: phase 1 and 2 of the batch (one load query, every
  item verified against the simulator process; nothing written);
- ``{"op": "record"}`` → ``{"outcomes": {id: status | "error" | null}}``: phase 3, one transaction for the batch;
- ``{"op": "quit"}``.

Run as ``python -m tests.monitor.batch_worker WORKER_ID`` with the TRADEDOCK_* environment of the test.
"""

from __future__ import annotations

import asyncio
import json
import sys

from tradedock.config import load_settings
from tradedock.services import monitor_batch
from tradedock.services.context import open_app
from tradedock.services.monitor import MonitorService


async def main(worker_id: str) -> None:
    ctx = await open_app(load_settings())
    service = MonitorService(ctx, worker_id=worker_id)
    items: list[monitor_batch.Item] = []
    loop = asyncio.get_running_loop()
    print(json.dumps({"ready": worker_id}), flush=True)
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command = json.loads(line)
            if command["op"] == "claim":
                answer: dict[str, object] = {"ids": sorted(await service.claim())}
            elif command["op"] == "verify":
                loaded, unreadable = await monitor_batch.load(ctx, command["ids"])
                items = [*unreadable, *await monitor_batch.verify_all(ctx, loaded)]
                answer = {"verified": sum(isinstance(item, monitor_batch.Verified) for item in items)}
            elif command["op"] == "record":
                recorder = monitor_batch.BatchRecorder(ctx, worker_id, service.policy, service.clock, service.rng)
                answer = {"outcomes": await recorder.record(items)}
            else:
                break
            print(json.dumps(answer), flush=True)
    finally:
        await service.aclose()
        await ctx.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
