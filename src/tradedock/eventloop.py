"""Running TradeDock's coroutines: on uvloop where it is installed (Linux and macOS), else on asyncio's own loop.

What belongs here: `run`, the one way a command, the worker or a benchmark starts its event loop. What does not:
anything about what runs on it. uvloop (libuv, written in Cython) schedules callbacks and moves bytes in C: the
monitor's re-checks cost ~11 % less CPU on it (bench/NOTES.md); behaviour is asyncio's (Ctrl-C cancels the main
task and raises `KeyboardInterrupt`, as `asyncio.run` does).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


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
