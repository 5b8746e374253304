"""Shared simulator machinery and the plugin interface; see `plugin.py` for how an exchange plugs in.

Plugins import from here: `ExchangeSim`, `MintedKey`, `Scenario`, `RateLimit`, `SimState`, `Account`, `ApiKey`,
`ControlInputError`, `Rule`, `rule`, `sim_state`, `client_ip`, `request_environment`, `DAY_MS`.
"""

from tradedock_sim.core.control import sim_state
from tradedock_sim.core.middleware import client_ip, request_environment
from tradedock_sim.core.plugin import DAY_MS, ExchangeSim, MintedKey, Scenario
from tradedock_sim.core.ratelimit import LimitDecision, RateLimit
from tradedock_sim.core.rules import Rule, rule
from tradedock_sim.core.state import Account, ApiKey, ControlInputError, SimState

__all__ = [
    "DAY_MS",
    "Account",
    "ApiKey",
    "ControlInputError",
    "ExchangeSim",
    "LimitDecision",
    "MintedKey",
    "RateLimit",
    "Rule",
    "Scenario",
    "SimState",
    "client_ip",
    "request_environment",
    "rule",
    "sim_state",
]
