"""Registers the toy plugin for the core tests (and only for them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sim.core.toy import ToySim
from tradedock_sim.app import SIMULATORS


@pytest.fixture(autouse=True)
def toy_registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(SIMULATORS, "toy", ToySim())
    yield
