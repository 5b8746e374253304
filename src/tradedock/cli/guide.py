"""``tradedock guide EXCHANGE``: how to create a key on the exchange, with this platform's IPs to whitelist."""

from __future__ import annotations

import typer

from .common import EXIT_OK, exchanges_help, guarded, settings_or_exit


def guide(
    exchange: str = typer.Argument(..., help=exchanges_help()),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Step-by-step: create the API key, which permissions to enable and leave off, which IPs to whitelist."""
    settings = settings_or_exit(as_json=as_json)
    with guarded(as_json=as_json):
        from tradedock.services.connections import parse_exchange
        from tradedock.services.guides import get_guide

        from .output import make_console, print_json, render_guide

        data = get_guide(parse_exchange(exchange), settings).to_dict()
        if as_json:
            print_json(data)
        else:
            render_guide(make_console(), data)
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command()(guide)
