"""`tradedock-sim serve` for the benchmarks, optionally with the exchanges' per-IP limits lifted.

``--unlimited`` removes every simulator's per-IP budget (Bybit 600 requests per 5 s, Bitget 6,000 per minute),
as if TradeDock's re-checks left from enough egress IPs; per-account limits stay. `bench.fleet` uses it to
measure TradeDock's own capacity rather than the exchange's IP limit (the worker lifts its own per-IP budget
to match, see `bench.fleet_worker --unlimited`). Prints the simulators' JSON line like `tradedock-sim serve`.

    .venv/bin/python -m bench.sim_serve [--unlimited] [tradedock-sim serve options]
"""

from __future__ import annotations

import sys

from tradedock_sim import cli
from tradedock_sim.app import SIMULATORS


def main() -> int:
    argv = sys.argv[1:]
    if "--unlimited" in argv:
        argv.remove("--unlimited")
        for plugin in SIMULATORS.values():
            type(plugin).ip_rate_limit = None
    return cli.main(["serve", *argv])


if __name__ == "__main__":
    sys.exit(main())
