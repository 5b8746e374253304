"""Entry point of the ``tradedock`` command: registers the sub-commands and maps errors to exit codes."""

from __future__ import annotations

import typer

from tradedock import __version__

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Connect exchange accounts by API key.")


@app.command()
def version() -> None:
    """Print the TradeDock version."""
    typer.echo(__version__)


def main() -> None:
    app()
