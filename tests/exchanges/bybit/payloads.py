"""Recorded Bybit doc payloads (fixtures/*.json), each with its source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    """The recorded response (envelope included) of ``fixtures/<name>.json``."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    assert data["source"], f"{name} must say where it comes from"
    response: dict[str, Any] = data["response"]
    return response
