"""Running TradeDock's coroutines: on uvloop where it is installed (Linux and macOS), else on asyncio's own loop;
and the garbage collector's settings for the processes that run for hours.

What belongs here: `run`, the one way a command, the worker or a benchmark starts its event loop,
`settle_long_running`, which the worker and `serve` call once started, and `rest`, the pause of their loops that
ends early when they are told to stop. What does not: anything about what runs on
the loop. uvloop (libuv, written in Cython) schedules callbacks and moves bytes in C: the
monitor's re-checks cost ~11 % less CPU on it (bench/NOTES.md); behaviour is asyncio's (Ctrl-C cancels the main
task and raises `KeyboardInterrupt`, as `asyncio.run` does).

The cyclic garbage collector: a started worker holds ~100 MB of modules, classes and settings that never become
garbage, and by default every full collection walks all of it again; with the default young-generation threshold
(700 allocations) a re-check set off ~0.3 collections. Measured in a worker re-checking 3,000 sandbox
connections (timed with gc.callbacks): collections cost 0.38 ms of CPU per re-check by default, 0.07 ms once the
start-up heap is frozen and the thresholds raised (`settle_long_running`). Cycles are still collected: the young
generation every 10,000 allocations, the older ones every 50th and every 5,000th time after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

#: The collector's thresholds in a long-running process (Python's defaults: 700, 10, 10).
GC_THRESHOLDS = (10_000, 50, 100)


def uses_uvloop() -> bool:
    """Whether `run` starts uvloop's loop here."""
    try:
        import uvloop  # noqa: F401
    except ImportError:  # not installed (Windows has no uvloop): asyncio's loop does the same work, slower
        return False
    return True


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on a new event loop (uvloop's when `uses_uvloop`), as `asyncio.run` does."""
    if uses_uvloop():
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coro)
    return asyncio.run(coro)


def settle_long_running() -> None:
    """Once a long-running process (worker, server) has started: collect, move every object that survived to the
    permanent generation (``gc.freeze``: never scanned again), and raise the collector's thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def rest(stopping: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less if ``stopping`` is set meanwhile (a worker's loop between rounds, beats, ticks)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
