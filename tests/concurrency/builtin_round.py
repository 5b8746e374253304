"""One worker's built-in strategy round, as its own process (used by test_builtin_processes.py): settings from
the environment like `tradedock worker`, prints the round as JSON."""

from __future__ import annotations

import asyncio
import dataclasses
import json

from tradedock.config import load_settings
from tradedock.services.builtin_strategies import BuiltinStrategyRunner
from tradedock.services.context import open_app


async def main() -> None:
    ctx = await open_app(load_settings())
    try:
        result = await BuiltinStrategyRunner(ctx).run_round()
    finally:
        await ctx.aclose()
    print(json.dumps(dataclasses.asdict(result)))


if __name__ == "__main__":
    asyncio.run(main())
