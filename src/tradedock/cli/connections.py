"""Connection commands: connect, list, show, check, replace, remove, balances.

Each command opens the app, runs one service call inside one transaction (the shell owns it), and renders
the result as Rich output or ``--json``. What does not belong here: rules about connections (services).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import typer

from tradedock.domain import ConnectionStatus, ContractType, Environment, ExchangeId, Scope
from tradedock.errors import InvalidInputError
from tradedock.services.connections import (
    CHECK_IDS,
    ConnectionService,
    ConnectRequest,
    Outcome,
    credential_prompts,
    parse_exchange,
)
from tradedock.services.context import AppContext, open_app
from tradedock.services.guides import exchanges_help

from .common import EXIT_OK, exit_code_for, run, worst_exit_code
from .output import live_checklist, make_console, print_json, render_balances, render_connections, render_report
from .prompts import prompt_credentials, read_credentials_json

T = TypeVar("T")

JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON.")
CREDENTIALS_OPTION = typer.Option(
    None,
    "--credentials",
    help="Read credentials as a JSON object from a file, or '-' for stdin. Without it you are prompted "
    "(hidden input). Secrets are never accepted as arguments.",
)


async def _with_service(fn: Callable[[ConnectionService, AppContext], Awaitable[T]]) -> T:
    ctx = await open_app()
    try:
        async with ctx.transaction() as session:
            return await fn(ConnectionService(ctx, session), ctx)
    finally:
        await ctx.aclose()


def _print_outcome(outcome: Outcome, *, as_json: bool, title: str | None = None) -> None:
    if as_json:
        print_json({**outcome.report, "stored": outcome.stored, "note": outcome.note})
        return
    console = make_console()
    render_report(console, outcome.report, title=title)
    if outcome.note:
        console.print(outcome.note)
    elif outcome.stored and outcome.status is ConnectionStatus.ACTION_REQUIRED:
        console.print(
            f"Stored as [bold]action required[/]: fix the items above, then run "
            f"[bold]tradedock check {outcome.connection_id}[/]."
        )


def connect(
    exchange: str = typer.Argument(..., help=exchanges_help()),
    label: str = typer.Option(None, "--label", help="A name for this connection."),
    scope: Scope = typer.Option(Scope.FUTURES, "--scope", help="What the platform will trade."),
    contract: ContractType = typer.Option(None, "--contract", help="Futures market (default: the exchange's USDT-M)."),
    environment: Environment = typer.Option(Environment.LIVE, "--environment", help="live, demo, testnet, sandbox."),
    credentials: str = CREDENTIALS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Verify an API key and store it if it is usable."""

    async def go() -> int:
        ctx = await open_app()
        try:
            exchange_id = parse_exchange(exchange)
            prompts = credential_prompts(ctx, exchange_id)
            given = read_credentials_json(credentials, prompts) if credentials else prompt_credentials(prompts)
            heading = f"Verifying with {exchange_id.value} ({environment.value}): one concurrent round of checks"
            async with ctx.transaction() as session:
                service = ConnectionService(ctx, session)
                request = ConnectRequest(exchange_id, environment, scope, contract, label, given)
                with live_checklist(make_console(), heading, () if as_json else CHECK_IDS):
                    outcome = await service.connect(request)
        finally:
            await ctx.aclose()
        _print_outcome(outcome, as_json=as_json)
        return exit_code_for(outcome.status)

    run(go(), as_json=as_json)


def list_connections(as_json: bool = JSON_OPTION) -> None:
    """List connections: status, last check, key expiry countdown, balance."""

    async def go() -> int:
        rows = await _with_service(lambda service, _: service.list())
        if as_json:
            print_json(rows)
        else:
            render_connections(make_console(), rows, datetime.now(UTC))
        return EXIT_OK

    run(go(), as_json=as_json)


def show(connection_id: str = typer.Argument(...), as_json: bool = JSON_OPTION) -> None:
    """Show one connection and its last verification report."""

    async def go() -> int:
        view = await _with_service(lambda service, _: service.show(connection_id))
        if as_json:
            print_json(view)
            return EXIT_OK
        console = make_console()
        last = view.pop("last_report", None)
        for key, value in view.items():
            console.print(f"[bold]{key}[/]: {value}")
        if last:
            render_report(console, last, title="Last verification")
        return EXIT_OK

    run(go(), as_json=as_json)


def check(
    connection_id: str = typer.Argument(None, help="Connection id (omit with --all)."),
    all_: bool = typer.Option(False, "--all", help="Re-verify every connection."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Re-verify one connection (or all) and update its status."""

    async def go() -> int:
        if all_ == (connection_id is not None):
            raise InvalidInputError("id", "give a connection id or --all (not both)", fix="tradedock check --all")

        async def work(service: ConnectionService, _: AppContext) -> list[Outcome]:
            return await service.check_all() if all_ else [await service.check(connection_id)]

        outcomes = await _with_service(work)
        if as_json:
            print_json([{**o.report, "stored": o.stored} for o in outcomes] if all_ else outcomes[0].report)
        else:
            for outcome in outcomes:
                _print_outcome(outcome, as_json=False)
            if not outcomes:
                make_console().print("No connections to check.")
        return worst_exit_code([o.status for o in outcomes])

    run(go(), as_json=as_json)


def replace(
    connection_id: str = typer.Argument(...),
    credentials: str = CREDENTIALS_OPTION,
    allow_account_change: bool = typer.Option(
        False, "--allow-account-change", help="Accept a key of a different exchange account."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Replace a connection's key: the new key is verified first; the old one stays on any failure."""

    async def go() -> int:
        ctx = await open_app()
        try:
            async with ctx.transaction() as session:
                service = ConnectionService(ctx, session)
                view = await service.show(connection_id)
                prompts = credential_prompts(ctx, ExchangeId(view["exchange"]))
            given = read_credentials_json(credentials, prompts) if credentials else prompt_credentials(prompts)
            async with ctx.transaction() as session:
                with live_checklist(make_console(), "Verifying the new key", () if as_json else CHECK_IDS):
                    outcome = await ConnectionService(ctx, session).replace(
                        connection_id, given, allow_account_change=allow_account_change
                    )
        finally:
            await ctx.aclose()
        _print_outcome(outcome, as_json=as_json, title=f"Replace key of {connection_id}")
        return exit_code_for(outcome.status)

    run(go(), as_json=as_json)


def remove(
    connection_id: str = typer.Argument(...),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Remove a connection: its secrets and data key are destroyed; an audit record is kept."""
    if not yes and not as_json:
        typer.confirm(f"Remove connection {connection_id} and destroy its stored key?", abort=True)

    async def go() -> int:
        result = await _with_service(lambda service, _: service.remove(connection_id))
        if as_json:
            print_json(result)
        else:
            removed = result["removed"]
            make_console().print(
                f"Removed {removed['exchange']} connection {removed['id']} ({removed.get('masked_key')}); "
                "its secrets were destroyed. Also delete the key on the exchange if you no longer use it."
            )
        return EXIT_OK

    run(go(), as_json=as_json)


def balances(connection_id: str = typer.Argument(...), as_json: bool = JSON_OPTION) -> None:
    """Show balances per wallet with a USD total."""

    async def go() -> int:
        view: dict[str, Any] = await _with_service(lambda service, _: service.balances(connection_id))
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
