"""The built-in strategies TradeDock runs: one line per strategy (the catalog the API, CLI and dashboard list)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from tradedock.errors import InvalidInputError
from tradedock.strategies.base import BuiltinStrategy
from tradedock.strategies.dca import DcaSchedule
from tradedock.strategies.moving_average import MovingAverageCrossover

BUILTINS: MappingProxyType[str, BuiltinStrategy] = MappingProxyType(
    {strategy.name: strategy for strategy in (MovingAverageCrossover(), DcaSchedule())}
)


def get_builtin(name: str) -> BuiltinStrategy:
    strategy = BUILTINS.get(name)
    if strategy is None:
        shown = name if name.isidentifier() and len(name) <= 40 else "that name"
        raise InvalidInputError(
            "builtin", f"there is no built-in strategy {shown}", fix=f"Use one of: {', '.join(BUILTINS)}."
        )
    return strategy


def describe() -> list[dict[str, Any]]:
    """Every built-in strategy with its parameters (JSON-able)."""
    return [
        {
            "name": s.name,
            "title": s.title,
            "description": s.description,
            "params": [p.to_dict() for p in s.params],
        }
        for s in BUILTINS.values()
    ]
