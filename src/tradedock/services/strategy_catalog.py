"""The built-in strategies a user can pick, with their parameters, as typed views for the shells.

What belongs here: the catalog of `tradedock.strategies` (the same generators the workers run) turned into views —
name, title, description and each parameter's kind, help, default, choices and bounds — so a page or a command can
build a form without importing the generators. What does not: validating params (`services.strategies` does, with
the strategy's own checks) or running strategies.
"""

from __future__ import annotations

from typing import Any

from tradedock.services.views import View


class BuiltinParamView(View):
    name: str
    kind: str  # symbol | interval | integer | decimal | choice | datetime
    help: str
    required: bool
    default: str | None
    choices: list[str]
    minimum: int | None
    maximum: int | None


class BuiltinStrategyView(View):
    name: str
    title: str
    description: str
    params: list[BuiltinParamView]


def _param(spec: dict[str, Any]) -> BuiltinParamView:
    default = spec.get("default")
    return BuiltinParamView(
        name=str(spec["name"]),
        kind=str(spec["kind"]),
        help=str(spec["help"]),
        required=bool(spec.get("required", True)),
        default=None if default is None else str(default),
        choices=[str(c) for c in spec.get("choices", ())],
        minimum=spec.get("minimum"),
        maximum=spec.get("maximum"),
    )


def builtin_strategies() -> list[BuiltinStrategyView]:
    """Every built-in strategy with its parameters, in the catalog's order."""
    from tradedock.strategies.catalog import describe

    return [
        BuiltinStrategyView(
            name=str(item["name"]),
            title=str(item["title"]),
            description=str(item["description"]),
            params=[_param(p) for p in item["params"]],
        )
        for item in describe()
    ]
