"""Fixtures shared by the whole suite: a temporary TradeDock home, a frozen clock, PostgreSQL access.

Exchange-, simulator- and layer-specific fixtures live in the conftest of their own test folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tradedock.clock import FrozenClock


@pytest.fixture
def tradedock_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty TRADEDOCK_HOME; every TRADEDOCK_* variable from the outer environment is cleared."""
    for name in list(os.environ):
        if name.startswith("TRADEDOCK_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("TRADEDOCK_HOME", str(home))
    yield home


@pytest.fixture
def frozen_clock() -> FrozenClock:
    return FrozenClock()


POSTGRES_URL = os.environ.get("TRADEDOCK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


#: Under pytest-xdist each of these units of work runs in one worker, one test after another
#: (`pytest_xdist_make_scheduler`); the other worker runs the rest meanwhile.
ONE_WORKER = {
    # Tests that start several processes and check timing-sensitive behaviour (leases, per-IP budgets shared between
    # processes, SIGKILLs mid-job): never two of them at once.
    "processes": (
        "tests/concurrency/test_builtin_processes.py",
        "tests/concurrency/test_processes.py",
        "tests/monitor/test_budget_share.py",
        "tests/monitor/test_faults.py",
        "tests/monitor/test_workers_pg.py",
        "tests/security/test_rotate_resume.py",
        "tests/services/test_bots_worker_kill.py",
    ),
    # One Chromium (a module-scoped fixture); the first test clears the screenshot folder the others write to.
    "browser": ("tests/web/test_browser.py",),
}
_UNIT_OF = {path: unit for unit, paths in ONE_WORKER.items() for path in paths}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (scripts/test: ``-n 2``) the tests marked ``slow`` are handed out first, so the run does
    not end with one worker busy on a long test while the other has nothing left. One process keeps the order."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: same order in every worker


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist load`` (the default of ``-n``), except that the tests of each `ONE_WORKER` entry form one unit of work:
    one worker runs them all, in order; the units are handed out first (the largest; xdist's loadscope reorder).

    pytest-xdist's own ``xdist_group`` marker does not group on pytest 9.2 (it renames ``item._nodeid``, which
    pytest no longer reads), so the unit is named here by path."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    for path in _UNIT_OF:
        assert (config.rootpath / path).is_file(), f"ONE_WORKER names a missing file: {path}"

    class OneWorkerUnits(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _UNIT_OF.get(nodeid.split("::", 1)[0], nodeid)

    return OneWorkerUnits(config, log)
