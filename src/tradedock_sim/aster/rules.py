"""Aster's switchable readings of UNCONFIRMED behaviour (`POST /_sim/config {"rules": {...}}`).

`main_wallet_signer`: may a main wallet sign V3 requests as its own `signer` (user = signer = main wallet)?
That is ccxt 4.5's only credential model, and nobody has shown Aster accepting or refusing it (aster.md §7 and
§8 item 10: a third-party doc says "this might work"). `refuse` (default) answers -1000 "Signature check
failed", as for any signer that is not an approved agent; `accept` treats the main wallet as an agent of itself
with every permission, no IP whitelist and no expiry.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from tradedock_sim.core import Rule, SimState, rule

REFUSE = "refuse"
ACCEPT = "accept"

RULES: Mapping[str, Rule] = MappingProxyType(
    {
        "main_wallet_signer": Rule(
            choices=(REFUSE, ACCEPT),
            default=REFUSE,
            description="a main wallet signing V3 requests as its own signer (ccxt's model): refuse = -1000 "
            "Signature check failed; accept = allowed, with every permission",
        )
    }
)


def main_wallet_may_sign(state: SimState) -> bool:
    return rule(state, RULES, "main_wallet_signer") == ACCEPT
