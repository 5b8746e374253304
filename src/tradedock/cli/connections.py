"""Connection commands: connect, list, show, check, replace, remove, balances.

Each command reads the settings (a bad one exits 2 naming the variable), validates its options, asks for
anything it needs from the user (before any database or event loop is open, so Ctrl-C exits 130 at once and
nothing is stored), then opens the app and runs one service call inside one transaction, and renders the result
as Rich output or ``--json``. ``list`` and ``show`` are `cli.reads` (Typer-free: the console entry point runs them
without Typer too). Services and Rich are imported inside the commands (start-up time).
What does not belong here: rules about connections (services).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import typer

from tradedock.domain import ConnectionStatus, ContractType, Environment, ExchangeId, Scope
from tradedock.errors import InvalidInputError

from .common import (
    EXIT_OK,
    batch_exit_code,
    exchanges_help,
    exit_code_for,
    guarded,
    open_context,
    run,
    settings_or_exit,
    with_service,
)

if TYPE_CHECKING:
    from tradedock.services.connections import ConnectionService, CredentialPrompt
    from tradedock.services.context import AppContext
    from tradedock.services.views import Outcome


JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON.")
CREDENTIALS_OPTION = typer.Option(
    None,
    "--credentials",
    help="Read credentials as a JSON object from a file, or '-' for stdin. Without it you are prompted "
    "(hidden input). Secrets are never accepted as arguments.",
)


def _print_outcome(outcome: Outcome, *, as_json: bool, title: str | None = None, replacing: bool = False) -> None:
    from rich.text import Text

    from .output import make_console, print_json, render_report

    if as_json:
        print_json(outcome.to_json())
        return
    console = make_console()
    render_report(console, outcome.to_json(), title=title, replacing=replacing)
    if outcome.note:
        console.print(Text(outcome.note))
    elif outcome.stored and outcome.status is ConnectionStatus.ACTION_REQUIRED:
        console.print(
            Text.assemble(
                "Stored as ",
                ("action required", "bold"),
                ": fix the items above, then run ",
                (f"tradedock check {outcome.connection_id}", "bold"),
                ".",
            )
        )


def _ask(credentials: str | None, prompts: tuple[CredentialPrompt, ...]) -> dict[str, str]:
    from .prompts import prompt_credentials, read_credentials_json

    return read_credentials_json(credentials, prompts) if credentials else prompt_credentials(prompts)


def connect(
    exchange: str = typer.Argument(..., help=exchanges_help()),
    label: str = typer.Option(None, "--label", help="A name for this connection (shown exactly as typed)."),
    scope: Scope = typer.Option(Scope.FUTURES, "--scope", help="What the platform will trade."),
    contract: ContractType = typer.Option(None, "--contract", help="Futures market (default: the exchange's USDT-M)."),
    environment: Environment = typer.Option(Environment.LIVE, "--environment", help="live, demo, testnet, sandbox."),
    credentials: str = CREDENTIALS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Verify an API key and store it if it is usable."""
    settings = settings_or_exit(as_json=as_json)
    with guarded(as_json=as_json, interrupted_note="Interrupted: nothing was stored."):
        from tradedock.clock import SystemClock
        from tradedock.services.connections import connect_prompts, parse_exchange
        from tradedock.services.exchange_access import ExchangeAccess

        exchange_id = parse_exchange(exchange)
        access = ExchangeAccess(settings=settings, clock=SystemClock())
        prompts = connect_prompts(access, exchange_id, environment, scope, contract, label)
        given = _ask(credentials, prompts)

    async def go() -> int:
        from tradedock.services.connections import CHECK_IDS, ConnectionService, ConnectRequest

        from .output import live_checklist, make_console

        ctx = await open_context(settings)
        try:
            heading = f"Verifying with {exchange_id.value} ({environment.value}): one concurrent round of checks"
            request = ConnectRequest(exchange_id, environment, scope, contract, label, given)
            with live_checklist(make_console(), heading, () if as_json else CHECK_IDS):
                outcome = await ConnectionService(ctx).connect(request)
        finally:
            await ctx.aclose()
        _print_outcome(outcome, as_json=as_json)
        return exit_code_for(outcome.status)

    run(go(), as_json=as_json)


def list_connections(as_json: bool = JSON_OPTION) -> None:
    """List connections: status, last check, key expiry countdown, balance."""
    from .reads import list_command

    _exit_unless_ok(list_command(as_json=as_json))


def show(
    connection_id: str = typer.Argument(..., help="Connection id or a unique prefix."), as_json: bool = JSON_OPTION
) -> None:
    """Show one connection and its last verification report."""
    from .reads import show_command

    _exit_unless_ok(show_command(connection_id, as_json=as_json))


def _exit_unless_ok(code: int) -> None:
    if code != EXIT_OK:
        raise typer.Exit(code)


def check(
    connection_id: str = typer.Argument(None, help="Connection id or a unique prefix (omit with --all)."),
    all_: bool = typer.Option(False, "--all", help="Re-verify every connection."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Re-verify one connection (or all) and update its status."""
    if all_ == (connection_id is not None):
        with guarded(as_json=as_json):
            raise InvalidInputError("id", "give a connection id or --all (not both)", fix="tradedock check --all")
    settings = settings_or_exit(as_json=as_json)

    async def go() -> int:
        from rich.console import Console

        from .output import as_data, make_console, print_json, render_batch, render_report

        if not all_:
            outcome = await with_service(settings, lambda service, _: service.check(connection_id))
            _print_outcome(outcome, as_json=as_json)
            return exit_code_for(outcome.status)

        async def work(service: ConnectionService, _: AppContext) -> tuple[Any, dict[str, str]]:
            batch = await service.check_all()
            labels = {} if as_json else {row["id"]: row.get("label") or "" for row in as_data(await service.list())}
            return batch, labels

        batch, labels = await with_service(settings, work)
        if as_json:
            print_json(batch.to_json())
        else:

            def titled(console: Console, report: Mapping[str, Any]) -> None:
                label = labels.get(report.get("connection_id") or "", "")
                where = f"{report['exchange'].capitalize()} ({report['environment']})"
                title = f"{label} — {where} — {str(report.get('connection_id'))[:8]}" if label else None
                render_report(console, report, title=title)

            render_batch(make_console(), batch.to_json(), titled)
        return batch_exit_code(batch)

    run(go(), as_json=as_json)


def replace(
    connection_id: str = typer.Argument(..., help="Connection id or a unique prefix."),
    credentials: str = CREDENTIALS_OPTION,
    allow_account_change: bool = typer.Option(
        False, "--allow-account-change", help="Accept a key of a different exchange account."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Replace a connection's key: the new key is verified first; the old one stays on any failure."""
    settings = settings_or_exit(as_json=as_json)

    async def lookup(service: ConnectionService, ctx: AppContext) -> tuple[str, tuple[CredentialPrompt, ...]]:
        from tradedock.services.connections import credential_prompts

        view = await service.show(connection_id)
        data = view if isinstance(view, dict) else view.model_dump(mode="json")
        return str(data["id"]), credential_prompts(ctx, ExchangeId(data["exchange"]))

    full_id = connection_id
    with guarded(as_json=as_json):
        from tradedock import eventloop

        full_id, prompts = eventloop.run(with_service(settings, lookup))
    with guarded(as_json=as_json, interrupted_note="Interrupted: the connection keeps its current key."):
        given = _ask(credentials, prompts)

    async def go() -> int:
        from tradedock.services.connections import CHECK_IDS, ConnectionService

        from .output import live_checklist, make_console

        ctx = await open_context(settings)
        try:
            with live_checklist(make_console(), "Verifying the new key", () if as_json else CHECK_IDS):
                outcome = await ConnectionService(ctx).replace(
                    full_id, given, allow_account_change=allow_account_change
                )
        finally:
            await ctx.aclose()
        _print_outcome(outcome, as_json=as_json, title=f"New key for connection {full_id}", replacing=True)
        return exit_code_for(outcome.status)

    run(go(), as_json=as_json, interrupted_note="Interrupted: the connection keeps its current key.")


def remove(
    connection_id: str = typer.Argument(..., help="Connection id or a unique prefix."),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Do not ask for confirmation (required when there is no terminal to ask on)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Remove a connection: its secrets and data key are destroyed; an audit record is kept.

    Asks for confirmation on the terminal (also with --json) unless --yes is given; without a terminal, --yes
    is required.
    """
    settings = settings_or_exit(as_json=as_json)
    if not yes:
        with guarded(as_json=as_json):
            if not sys.stdin.isatty():
                raise InvalidInputError(
                    "yes", "no terminal to confirm the removal on", fix="Add --yes to remove without asking."
                )
            from tradedock import eventloop

            from .output import as_data
            from .prompts import confirm

            view = as_data(eventloop.run(with_service(settings, lambda service, _: service.show(connection_id))))
            label = f" {view['label']!r}" if view.get("label") else ""
            question = (
                f"Remove {view['exchange']} ({view['environment']}) connection{label} {view['id'][:8]} "
                f"(key {view.get('masked_key')}) and destroy its stored key?"
            )
            if not confirm(question):
                print("Nothing was removed.", file=sys.stderr)
                raise typer.Exit(EXIT_OK)
            connection_id = view["id"]

    async def go() -> int:
        from rich.text import Text

        from .output import as_data, make_console, print_json

        result = as_data(await with_service(settings, lambda service, _: service.remove(connection_id)))
        if as_json:
            print_json(result)
        else:
            removed = result["removed"]
            make_console().print(
                Text(
                    f"Removed {removed['exchange']} connection {removed['id']} ({removed.get('masked_key')}); "
                    "its secrets were destroyed. Also delete the key on the exchange if you no longer use it."
                )
            )
        return EXIT_OK

    run(go(), as_json=as_json)


def balances(
    connection_id: str = typer.Argument(..., help="Connection id or a unique prefix."), as_json: bool = JSON_OPTION
) -> None:
    """Show balances per wallet with a USD total."""
    settings = settings_or_exit(as_json=as_json)

    async def go() -> int:
        from .output import make_console, print_json, render_balances

        view = (await with_service(settings, lambda service, _: service.balances(connection_id))).to_json()
        if as_json:
            print_json(view)
        else:
            render_balances(make_console(), view)
        return EXIT_OK

    run(go(), as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command()(connect)
    app.command("list")(list_connections)
    app.command()(show)
    app.command()(check)
    app.command()(replace)
    app.command()(remove)
    app.command()(balances)
