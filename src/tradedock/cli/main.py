"""Entry point of the ``tradedock`` command: the Typer app and its sub-commands (see `cli.common` for exit codes).

What belongs here: assembling the app. What does not: rendering (`cli.output`), plumbing (`cli.common`), or
business rules (services).
"""

from __future__ import annotations

import json
import logging
import sys

import typer

from tradedock import __version__

from . import accounts, connections, guide, sandbox, serve, vault

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="TradeDock: connect exchange accounts by API key — verify, vault, monitor.",
)


@app.callback()
def _configure(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log HTTP calls (never headers or secrets)."),
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr)


@app.command()
def version(as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON.")) -> None:
    """Print the TradeDock version."""
    typer.echo(json.dumps({"version": __version__}) if as_json else __version__)


connections.register(app)
accounts.register(app)
serve.register(app)
guide.register(app)
sandbox.register(app)
vault.register(app)


def main() -> None:
    app()
