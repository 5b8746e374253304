"""``tradedock guide EXCHANGE``: how to create a key on the exchange, with this platform's IPs to whitelist."""

from __future__ import annotations

import typer

from tradedock.config import load_settings
from tradedock.services.connections import parse_exchange
from tradedock.services.guides import exchanges_help, get_guide

from .common import EXIT_OK, run
from .output import make_console, print_json, render_guide


def guide(
    exchange: str = typer.Argument(..., help=exchanges_help()),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Step-by-step: create the API key, which permissions to enable and leave off, which IPs to whitelist."""

    async def go() -> int:
        settings = load_settings()
        data = get_guide(parse_exchange(exchange), settings).to_dict()
        if as_json:
            print_json(data)
        else:
            render_guide(make_console(), data)
        return EXIT_OK

    run(go(), as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command()(guide)
