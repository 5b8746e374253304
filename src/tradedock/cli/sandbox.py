"""``tradedock sandbox`` and ``tradedock demo``: the simulated exchanges, for trying TradeDock offline.

This is the one place the product imports `tradedock_sim` (an import-linter exception), and only inside the
commands, so other commands never pay for the simulator server. ``sandbox`` serves the simulators in the
foreground, records their URLs and its process id in HOME (``sandbox-urls.json``, created exclusively: a second
``tradedock sandbox`` on the same HOME refuses instead of overwriting it; a file left by a killed sandbox is
recognised as stale) so ``--environment sandbox`` finds them, and prints a ready key per exchange. ``demo``
starts them in the background with a throw-away HOME, creates sandbox accounts with a healthy key and a few
broken ones, connects each through the same service a real connection uses, and shows the reports and the list.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tradedock.domain import ConnectionStatus, ContractType, Environment, ExchangeId, Scope
from tradedock.errors import InvalidInputError

from .common import EXIT_OK, guarded, open_context, run, settings_or_exit, with_service

if TYPE_CHECKING:
    from tradedock.config import Settings


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
    import httpx

    response = httpx.post(f"{base_url}/_sim/scenarios/{scenario}", json={}, timeout=10)
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def claim_urls_file(path: Path) -> None:
    """Create the URL file exclusively for this process; refuse if a running sandbox holds it."""
    from tradedock.config import process_alive, read_sandbox_record

    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            urls, pid = read_sandbox_record(path)
            if pid is not None and pid != os.getpid() and process_alive(pid):
                raise InvalidInputError(
                    "sandbox",
                    f"a sandbox is already running for this TRADEDOCK_HOME (process {pid}, "
                    f"{', '.join(f'{k} {v}' for k, v in urls.items())})",
                    fix="Use that one, stop it first (Ctrl-C in its terminal), or give this one another "
                    "TRADEDOCK_HOME.",
                ) from None
            path.unlink(missing_ok=True)  # left behind by a sandbox that was killed
            continue
        os.write(fd, json.dumps({"pid": os.getpid(), "urls": {}}).encode())
        os.close(fd)
        return
    raise InvalidInputError("sandbox", f"cannot create {path}", fix="Remove the file and try again.")


def _write_urls(path: Path, urls: dict[str, str]) -> None:
    from tradedock.localfiles import write_private_file

    write_private_file(path, json.dumps({"pid": os.getpid(), "urls": urls}))  # 0600, never follows a symlink


def _release_urls_file(path: Path) -> None:
    from tradedock.config import read_sandbox_record

    _, pid = read_sandbox_record(path)
    if pid == os.getpid():
        path.unlink(missing_ok=True)


async def _stored_sandbox_connections(settings: Settings) -> int:
    from .output import as_data

    rows = as_data(await with_service(settings, lambda service, _: service.list()))
    return sum(1 for row in rows if row["environment"] == Environment.SANDBOX.value)


def sandbox(as_json: bool = typer.Option(False, "--json", help="Print the URLs and keys as one JSON line.")) -> None:
    """Start the simulated exchanges (foreground) and point environment "sandbox" at them; Ctrl-C stops.

    Sandbox accounts and keys live in memory: connections made against a sandbox stop working when it stops.
    """
    settings = settings_or_exit(as_json=as_json)
    with guarded(as_json=as_json):
        from tradedock import eventloop
        from tradedock.config import ensure_home

        ensure_home(settings)
        urls_file = settings.sandbox_urls_file
        claim_urls_file(urls_file)
        try:
            earlier = eventloop.run(_stored_sandbox_connections(settings))
        except BaseException:
            _release_urls_file(urls_file)
            raise
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # `kill` stops it as cleanly as Ctrl-C
    from tradedock_sim.cli import quiet_client_disconnects
    from tradedock_sim.server import start_background

    quiet_client_disconnects()
    sims = None
    try:
        sims = start_background()
        _write_urls(urls_file, sims.urls)
        keys = {name: create_scenario_key(url, "healthy")["credentials"] for name, url in sims.urls.items()}
        if as_json:  # one line, flushed: scripts read it while the simulators keep running
            print(
                json.dumps({"urls": sims.urls, "healthy_keys": keys, "earlier_sandbox_connections": earlier}),
                flush=True,
            )
        else:
            _print_started(sims.urls, keys, urls_file, earlier)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        _release_urls_file(urls_file)
        if sims is not None:
            sims.stop()
    if not as_json:
        print("Sandbox stopped: its accounts and keys are gone; sandbox connections will now fail their checks.")
    raise typer.Exit(EXIT_OK)


def _print_started(urls: dict[str, str], keys: dict[str, Any], urls_file: Path, earlier: int) -> None:
    from rich.text import Text

    from .output import make_console

    console = make_console()
    console.print("[bold]Simulated exchanges are running[/] (Ctrl-C to stop):")
    for name, url in urls.items():
        console.print(Text(f"  {name:7} {url}"))
    console.print(Text(f"\nURLs recorded in {urls_file}; `--environment sandbox` uses them."))
    console.print("A healthy sandbox key per exchange (sandbox only — not real keys):")
    for name, creds in keys.items():
        console.print(Text(f"  {name}: {json.dumps(creds)}"), soft_wrap=True)  # one line each: easy to copy
    console.print(
        "\nTry: tradedock connect bybit --environment sandbox   (paste the fields above)\n"
        "More keys and broken ones: POST <url>/_sim/scenarios/<name>; list: GET <url>/_sim/scenarios\n"
        "Accounts and keys live only while this runs: stopping it ends every sandbox connection made against it."
    )
    if earlier:
        console.print(
            Text(
                f"\nNote: {earlier} stored sandbox connection(s) were made against an earlier sandbox; their keys "
                "do not exist in this one, so `tradedock check` will call them invalid. Remove them with "
                "`tradedock remove ID`.",
                style="yellow",
            )
        )


async def _run_demo(home: Path, urls: dict[str, str], as_json: bool, *, kept: bool = False) -> int:
    from tradedock.config import load_settings
    from tradedock.services.connections import ConnectionService, ConnectRequest

    from .output import as_data, make_console, print_json, render_connections, render_report

    settings = load_settings(home=home, database_url=None, master_key=None, master_key_file=None, sandbox_urls=urls)
    ctx = await open_context(settings)
    console = make_console()
    reports: list[dict[str, Any]] = []
    try:
        for case in DEMO_CASES:
            preset = create_scenario_key(urls[case.exchange.value], case.scenario)
            request = ConnectRequest(
                case.exchange, Environment.SANDBOX, case.scope, case.contract, case.label, preset["credentials"]
            )
            outcome = await ConnectionService(ctx).connect(request)
            report = outcome.to_json()
            reports.append({"case": case.label, "scenario": case.scenario, **report})
            if not as_json:
                render_report(console, report, title=case.label)
                if not outcome.stored and outcome.note:
                    from rich.text import Text

                    console.print(Text(f"{outcome.note}\n", style="dim"))
        connections = as_data(await ConnectionService(ctx).list())
    finally:
        await ctx.aclose()
    if as_json:
        print_json({"reports": reports, "connections": connections})
    else:
        render_connections(console, connections, datetime.now(UTC))
        stored = sum(1 for r in reports if r["stored"])
        flagged = sum(1 for r in reports if r["status"] == ConnectionStatus.ACTION_REQUIRED)
        where = f"Demo data kept in {home}." if kept else f"Demo data lives in {home} and is thrown away."
        console.print(
            f"\n{len(reports)} keys verified, {stored} stored ({flagged} flagged action required), "
            f"{len(reports) - stored} refused. {where}",
            markup=False,
        )
    return EXIT_OK


def demo(
    as_json: bool = typer.Option(False, "--json", help="Print the reports and the list as JSON."),
    keep: Path = typer.Option(None, "--keep", help="Keep the demo's data directory here instead of a temp dir."),
) -> None:
    """Start the simulators, connect a healthy key and a few broken ones, and show every report."""
    from tradedock_sim.cli import quiet_client_disconnects
    from tradedock_sim.server import start_background

    quiet_client_disconnects()
    with start_background() as sims, tempfile.TemporaryDirectory(prefix="tradedock-demo-") as tmp:
        home = keep or Path(tmp)
        run(_run_demo(home, sims.urls, as_json, kept=keep is not None), as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command()(sandbox)
    app.command()(demo)
