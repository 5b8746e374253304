"""Bitget's switchable readings of UNCONFIRMED behaviour (`POST /_sim/config {"rules": {...}}`).

What belongs here: the rule table (`RULES`, the plugin's `rules`) and the one question handlers ask of it,
`read_enforced(state, area)`. Why each default was chosen is in `permissions.py` and docs/simulators.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from tradedock_sim.core import Rule, SimState, rule

SPOT_PERMISSION = "spot_permission"
FUTURES_PERMISSION = "futures_permission"
ANY_KEY = "any_key"

RULES: Mapping[str, Rule] = MappingProxyType(
    {
        "spot_read": Rule(
            choices=(SPOT_PERMISSION, ANY_KEY),
            default=SPOT_PERMISSION,
            description="GET /api/v2/spot/account/info and /api/v2/spot/account/assets: spot_permission = a key "
            "without stor/stow gets 40014 (the docs' 'SPOT read or SPOT read/write permission needed'); "
            "any_key = every valid key reads them",
        ),
        "futures_read": Rule(
            choices=(FUTURES_PERMISSION, ANY_KEY),
            default=FUTURES_PERMISSION,
            description="GET /api/v2/mix/account/* and /api/v2/mix/position/*: futures_permission = a key without "
            "coor/coow/cpor/cpow gets 40014; any_key = every valid key reads them",
        ),
    }
)

_RULE_OF_AREA = {"spot": ("spot_read", SPOT_PERMISSION), "futures": ("futures_read", FUTURES_PERMISSION)}


def read_enforced(state: SimState, area: str) -> bool:
    """Whether reading `area` ("spot" or "futures") needs that area's permission right now; areas without a
    rule (the documented "uta_mgt") always do."""
    if area not in _RULE_OF_AREA:
        return True
    name, strict = _RULE_OF_AREA[area]
    return rule(state, RULES, name) == strict
