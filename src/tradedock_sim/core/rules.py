"""Switchable readings of UNCONFIRMED exchange behaviour: `Rule`, and reading/setting the current choice.

Belongs here: the shared mechanism. Each plugin declares its own rules (`ExchangeSim.rules`), e.g. Bitget's
`spot_read` ("does reading the key's own account info need a Spot permission?"); clients pick a reading with
`POST /_sim/config {"rules": {"spot_read": "any_key"}}` and see the current ones with `GET /_sim/config`.
Does not belong here: any exchange's rule itself. Choices live in `SimState.extra` (so `POST /_sim/reset`
restores every default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tradedock_sim.core.state import ControlInputError, SimState

STATE_KEY = "core.rules"


@dataclass(frozen=True)
class Rule:
    """One switch: the allowed `choices` (each a reading of the exchange's docs), the `default` and why."""

    choices: tuple[str, ...]
    default: str
    description: str


def _chosen(state: SimState) -> dict[str, str]:
    chosen: dict[str, str] = state.extra.setdefault(STATE_KEY, {})
    return chosen


def rule(state: SimState, rules: Mapping[str, Rule], name: str) -> str:
    """The current choice of rule `name` (its default unless `POST /_sim/config` changed it)."""
    return _chosen(state).get(name, rules[name].default)


def current(state: SimState, rules: Mapping[str, Rule]) -> dict[str, str]:
    return {name: rule(state, rules, name) for name in rules}


def set_rules(state: SimState, rules: Mapping[str, Rule], raw: Any) -> None:
    """Validate `{name: choice}` and apply it; nothing changes when any entry is bad."""
    if not isinstance(raw, dict):
        raise ControlInputError("rules", 'must be an object {rule: choice}, e.g. {"spot_read": "any_key"}')
    updates: dict[str, str] = {}
    for name, choice in raw.items():
        if name not in rules:
            known = ", ".join(sorted(rules)) or "none"
            raise ControlInputError(f"rules.{name}", f"unknown rule; this exchange's rules: {known}")
        if choice not in rules[name].choices:
            raise ControlInputError(f"rules.{name}", f"must be one of {', '.join(rules[name].choices)}")
        updates[name] = choice
    _chosen(state).update(updates)


def describe(rules: Mapping[str, Rule]) -> dict[str, Any]:
    return {
        name: {"choices": list(r.choices), "default": r.default, "description": r.description}
        for name, r in rules.items()
    }
