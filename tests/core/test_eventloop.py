"""`tradedock.eventloop.run`: commands run on uvloop where it is installed, with asyncio.run's semantics."""

from __future__ import annotations

import asyncio
import gc
import sys

import pytest

from tradedock import eventloop


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop is not installed on Windows")
def test_runs_on_uvloop_where_installed() -> None:
    assert eventloop.uses_uvloop()
    assert eventloop.run(_loop_module()).startswith("uvloop")


def test_returns_the_result_and_raises_the_error() -> None:
    async def fails() -> None:
        raise ValueError("the coroutine's own error")

    assert eventloop.run(asyncio.sleep(0, result=42)) == 42
    with pytest.raises(ValueError, match="own error"):
        eventloop.run(fails())


def test_falls_back_to_asyncio_without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop now raises ImportError
    assert not eventloop.uses_uvloop()
    assert eventloop.run(_loop_module()) == "asyncio.unix_events"


def test_a_long_running_process_freezes_its_start_up_heap_and_collects_less_often() -> None:
    defaults = gc.get_threshold()
    try:
        survivor = {"started": [object()]}  # a container alive at start-up
        eventloop.settle_long_running()
        assert gc.get_threshold() == eventloop.GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
        assert not gc.is_tracked(survivor) or survivor not in gc.get_objects()  # frozen: no generation holds it
        garbage = [[]]
        garbage[0].append(garbage)  # a cycle made after start-up is still collected
        del garbage
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*defaults)
