"""Registry of simulated exchanges and the ASGI app factory.

Belongs here: `SIMULATORS` (one line per exchange) and `create_app`. Does not belong here: exchange
behaviour (`tradedock_sim/<exchange>/`) or shared machinery (`tradedock_sim/core/`).

Adding an exchange: import its plugin class and add `"<name>": <Name>Sim(),` to `SIMULATORS` below.
Plugins are stateless descriptions; each `create_app` call builds fresh in-memory state.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from tradedock_sim.aster.plugin import AsterSim
from tradedock_sim.bitget.plugin import BitgetSim
from tradedock_sim.bybit.plugin import BybitSim
from tradedock_sim.core.candles import candle_control_routes
from tradedock_sim.core.control import control_routes
from tradedock_sim.core.middleware import SimMiddleware
from tradedock_sim.core.plugin import ExchangeSim
from tradedock_sim.core.scenarios import scenario_routes
from tradedock_sim.core.state import SimState
from tradedock_sim.core.trading_control import trading_control_routes

SIMULATORS: dict[str, ExchangeSim] = {
    "bybit": BybitSim(),
    "bitget": BitgetSim(),
    "aster": AsterSim(),
}


class UnknownExchangeError(KeyError):
    """Asked for an exchange that has no simulator registered in `SIMULATORS`."""

    def __str__(self) -> str:
        return f"no simulator registered for {self.args[0]!r}; registered: {', '.join(sorted(SIMULATORS)) or 'none'}"


def create_app(exchange: str, *, seed: int | None = None) -> Starlette:
    """A new ASGI app simulating `exchange`, with its own empty state (control API under `/_sim/`).

    `seed` makes minted uids and credentials reproducible.
    """
    plugin = SIMULATORS.get(exchange)
    if plugin is None:
        raise UnknownExchangeError(exchange)
    state = SimState(exchange=exchange, seed=seed)
    app = Starlette(
        routes=[
            *control_routes(),
            *trading_control_routes(),
            *candle_control_routes(),
            *scenario_routes(),
            *plugin.routes(),
        ],
        middleware=[Middleware(SimMiddleware, state=state, plugin=plugin)],
    )
    app.state.sim = state
    app.state.plugin = plugin
    return app
