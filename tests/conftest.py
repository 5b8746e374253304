"""Fixtures shared by the whole suite: a temporary TradeDock home, a frozen clock, PostgreSQL access.

Exchange-, simulator- and layer-specific fixtures live in the conftest of their own test folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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
