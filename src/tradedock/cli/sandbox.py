"""``tradedock sandbox`` and ``tradedock demo``: the simulated exchanges, for trying TradeDock offline.

This is the one place the product imports `tradedock_sim` (an import-linter exception). ``sandbox`` serves the
simulators in the foreground, records their URLs in HOME so ``--environment sandbox`` finds them, and prints a
ready key per exchange. ``demo`` starts them in the background with a throw-away HOME, creates sandbox accounts
with a healthy key and a few broken ones, connects each through the same service a real connection uses, and
shows the reports and the list.
"""

from __future__ import annotations

import json
import signal
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import typer

from tradedock.config import ensure_home, load_settings
from tradedock.domain import ConnectionStatus, ContractType, Environment, ExchangeId, Scope
from tradedock.localfiles import write_private_file
from tradedock.services.connections import ConnectionService, ConnectRequest
from tradedock.services.context import open_app
from tradedock_sim.server import start_background

from .common import EXIT_OK, run
from .output import make_console, print_json, render_connections, render_report


@dataclass(frozen=True)
class DemoCase:
    exchange: ExchangeId
    scenario: str
    label: str
    scope: Scope = Scope.FUTURES
    contract: ContractType | None = None


DEMO_CASES = (
    DemoCase(ExchangeId.BYBIT, "healthy", "Bybit — healthy key"),
    DemoCase(ExchangeId.BITGET, "healthy", "Bitget — healthy key", contract=ContractType.USDT_M),
    DemoCase(ExchangeId.ASTER, "healthy", "Aster — healthy API wallet"),
    DemoCase(ExchangeId.BYBIT, "withdraw_enabled", "Bybit — withdrawal enabled"),
    DemoCase(ExchangeId.BYBIT, "hedge_mode", "Bybit — hedge mode"),
    DemoCase(ExchangeId.BITGET, "wrong_passphrase", "Bitget — wrong passphrase", contract=ContractType.USDT_M),
    DemoCase(ExchangeId.BITGET, "low_balance", "Bitget — balance below minimum", contract=ContractType.USDT_M),
    DemoCase(ExchangeId.ASTER, "main_wallet_key", "Aster — main wallet key pasted"),
)


def create_scenario_key(base_url: str, scenario: str) -> dict[str, Any]:
    """Apply a simulator scenario preset and return its answer (credentials, expectations)."""
    response = httpx.post(f"{base_url}/_sim/scenarios/{scenario}", json={}, timeout=10)
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def sandbox(as_json: bool = typer.Option(False, "--json", help="Print the URLs and keys as one JSON line.")) -> None:
    """Start the simulated exchanges (foreground) and point environment "sandbox" at them; Ctrl-C stops."""
    settings = load_settings()
    ensure_home(settings)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # `kill` stops it as cleanly as Ctrl-C
    sims = start_background()
    urls_file = settings.sandbox_urls_file
    try:
        write_private_file(urls_file, json.dumps(sims.urls))  # 0600, replaces (never follows) a symlink
        keys = {name: create_scenario_key(url, "healthy")["credentials"] for name, url in sims.urls.items()}
        if as_json:  # one line, flushed: scripts read it while the simulators keep running
            print(json.dumps({"urls": sims.urls, "healthy_keys": keys}), flush=True)
        else:
            console = make_console()
            console.print("[bold]Simulated exchanges are running[/] (Ctrl-C to stop):")
            for name, url in sims.urls.items():
                console.print(f"  {name:7} {url}")
            console.print(f"\nURLs recorded in {urls_file}; `--environment sandbox` uses them.")
            console.print("A healthy sandbox key per exchange (sandbox only — not real keys):")
            for name, creds in keys.items():
                console.print(f"  {name}: {json.dumps(creds)}")
            console.print(
                "\nTry: tradedock connect bybit --environment sandbox   (paste the fields above)\n"
                "More keys and broken ones: POST <url>/_sim/scenarios/<name>; list: GET <url>/_sim/scenarios"
            )
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        urls_file.unlink(missing_ok=True)
        sims.stop()


async def _run_demo(home: Path, urls: dict[str, str], as_json: bool) -> int:
    settings = load_settings(home=home, database_url=None, master_key=None, master_key_file=None, sandbox_urls=urls)
    ctx = await open_app(settings)
    console = make_console()
    reports: list[dict[str, Any]] = []
    try:
        for case in DEMO_CASES:
            preset = create_scenario_key(urls[case.exchange.value], case.scenario)
            request = ConnectRequest(
                case.exchange, Environment.SANDBOX, case.scope, case.contract, case.label, preset["credentials"]
            )
            async with ctx.transaction() as session:
                outcome = await ConnectionService(ctx, session).connect(request)
            reports.append({"case": case.label, "scenario": case.scenario, **outcome.report, "stored": outcome.stored})
            if not as_json:
                render_report(console, outcome.report, title=case.label)
                if not outcome.stored:
                    console.print(f"[dim]{outcome.note}[/]\n")
        async with ctx.transaction() as session:
            connections = await ConnectionService(ctx, session).list()
    finally:
        await ctx.aclose()
    if as_json:
        print_json({"reports": reports, "connections": connections})
    else:
        render_connections(console, connections, datetime.now(UTC))
        stored = sum(1 for r in reports if r["stored"])
        flagged = sum(1 for r in reports if r["status"] == ConnectionStatus.ACTION_REQUIRED)
        console.print(
            f"\n{len(reports)} keys verified, {stored} stored ({flagged} flagged action required), "
            f"{len(reports) - stored} refused. Demo data lives in {home} and is thrown away."
        )
    return EXIT_OK


def demo(
    as_json: bool = typer.Option(False, "--json", help="Print the reports and the list as JSON."),
    keep: Path = typer.Option(None, "--keep", help="Keep the demo's data directory here instead of a temp dir."),
) -> None:
    """Start the simulators, connect a healthy key and a few broken ones, and show every report."""
    with start_background() as sims, tempfile.TemporaryDirectory(prefix="tradedock-demo-") as tmp:
        home = keep or Path(tmp)
        run(_run_demo(home, sims.urls, as_json), as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command()(sandbox)
    app.command()(demo)
