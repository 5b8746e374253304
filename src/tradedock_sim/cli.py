"""`tradedock-sim` command line: `serve` runs simulators on loopback ports; `scenarios` lists presets.

Belongs here: argument parsing, the ready line on stdout, signal handling, quiet terminals (no traceback when
a client hangs up mid-request or when our output is piped into `head`). Serving itself is `server.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from tradedock_sim.app import SIMULATORS, UnknownExchangeError
from tradedock_sim.core.rules import set_rules
from tradedock_sim.core.scenarios import all_scenarios
from tradedock_sim.core.state import ControlInputError
from tradedock_sim.server import SimCluster, check_exchanges, serve


class _DropClientDisconnects(logging.Filter):
    """uvicorn logs "Exception in ASGI application" with a Starlette ``ClientDisconnect`` traceback whenever a
    client gives up mid-request (a timeout, Ctrl-C). That is the client's business, not a simulator error."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info is None:
            return True
        pending: list[BaseException | None] = [record.exc_info[1]]
        seen = 0
        while pending and seen < 50:
            exc = pending.pop()
            seen += 1
            if exc is None:
                continue
            if type(exc).__name__ == "ClientDisconnect":
                return False
            pending.extend([exc.__cause__, exc.__context__])
            if isinstance(exc, BaseExceptionGroup):
                pending.extend(exc.exceptions)
        return True


def quiet_client_disconnects() -> None:
    """Install the filter on uvicorn's error logger (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropClientDisconnects) for f in logger.filters):
        logger.addFilter(_DropClientDisconnects())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tradedock-sim", description="Simulated exchanges for TradeDock.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve simulators; prints one JSON line {exchange: base_url} when ready")
    run.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    run.add_argument(
        "--exchanges",
        default="",
        help=f"comma-separated exchanges (default: all registered: {','.join(SIMULATORS)})",
    )
    run.add_argument("--urls-file", type=Path, help="also write the JSON map of base URLs to this file")
    run.add_argument("--port", type=int, default=0, help="first port; the next exchanges use port+1, ... (0 = any)")
    run.add_argument("--seed", type=int, help="make minted uids and credentials reproducible")
    run.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="EXCHANGE.RULE=CHOICE",
        help="start with this reading of an UNCONFIRMED behaviour, e.g. bitget.spot_read=any_key (repeatable; "
        "GET /_sim/config lists the rules; POST /_sim/reset restores the defaults)",
    )
    listing = commands.add_parser("scenarios", help="list scenario presets of an exchange")
    listing.add_argument("exchange", help=f"one of: {', '.join(SIMULATORS)}")
    return parser


def parse_rules(values: Sequence[str], names: Sequence[str]) -> dict[str, dict[str, str]]:
    """`--rule bitget.spot_read=any_key` values → {exchange: {rule: choice}}, checked against each plugin."""
    chosen: dict[str, dict[str, str]] = {}
    for value in values:
        target, _, choice = value.partition("=")
        exchange, _, name = target.partition(".")
        if not (exchange and name and choice):
            raise ValueError(f"--rule {value!r}: write EXCHANGE.RULE=CHOICE, e.g. bitget.spot_read=any_key")
        if exchange not in names:
            raise ValueError(f"--rule {value!r}: {exchange!r} is not being served ({', '.join(names)})")
        rules = SIMULATORS[exchange].rules
        if name not in rules:
            known = ", ".join(sorted(rules)) or "none"
            raise ValueError(f"--rule {value!r}: {exchange} has no rule {name!r} (its rules: {known})")
        if choice not in rules[name].choices:
            raise ValueError(f"--rule {value!r}: choose one of {', '.join(rules[name].choices)}")
        chosen.setdefault(exchange, {})[name] = choice
    return chosen


def _serve(args: argparse.Namespace) -> int:
    wanted = [name.strip() for name in args.exchanges.split(",") if name.strip()]
    try:
        names = check_exchanges(wanted or None)
        rules = parse_rules(args.rule, names)
    except (UnknownExchangeError, ValueError) as exc:
        print(f"tradedock-sim: {exc}", file=sys.stderr)
        return 2
    holder: list[SimCluster] = []

    def ready(cluster: SimCluster) -> None:
        holder.append(cluster)
        for exchange, chosen in rules.items():
            app = cluster.apps[exchange]
            try:
                set_rules(app.state.sim, app.state.plugin.rules, chosen)
            except ControlInputError as exc:  # parse_rules checked them: only a plugin bug gets here
                raise RuntimeError(str(exc)) from exc
        line = json.dumps(cluster.urls)
        if args.urls_file is not None:
            args.urls_file.write_text(line + "\n", encoding="utf-8")
        print(line, flush=True)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        main_task = asyncio.current_task()

        def stop() -> None:
            if not holder:  # still starting: abandon startup
                if main_task is not None:
                    main_task.cancel()
                return
            holder[0].request_stop()
            for app in holder[0].apps.values():
                app.state.sim.generation += 1  # release requests hanging in a `timeout` fault

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        await serve(names, host=args.host, port=args.port, seed=args.seed, on_ready=ready)

    try:
        asyncio.run(main())
    except asyncio.CancelledError:
        return 0
    except OSError as exc:
        print(f"tradedock-sim: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


def _scenarios(args: argparse.Namespace) -> int:
    plugin = SIMULATORS.get(args.exchange)
    if plugin is None:
        print(f"tradedock-sim: {UnknownExchangeError(args.exchange)}", file=sys.stderr)
        return 2
    for name, scenario in all_scenarios(plugin).items():
        print(f"{name:28} {scenario.description}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            quiet_client_disconnects()
            return _serve(args)
        code = _scenarios(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:  # `tradedock-sim scenarios bybit | head`: the reader left; exit quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
