"""Entry point of the ``tradedock`` command: the Typer app and its sub-commands (see `cli.common` for exit codes).

What belongs here: assembling the app, the global ``--verbose`` flag, and process-level hygiene (no locals in
tracebacks, a quiet exit when the reader of our output goes away). What does not: rendering (`cli.output`),
plumbing (`cli.common`), or business rules (services). Command modules import services lazily, so ``--help`` and
``version`` start fast.
"""

from __future__ import annotations

import json
import os
import sys

import typer

from tradedock import __version__

from . import accounts, bots, connections, db, fix, guide, sandbox, serve, strategies, vault, worker

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    # An unexpected error must never print local variables: they can hold the credentials being connected.
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    help="TradeDock: connect exchange accounts by API key — verify, vault, monitor.",
)


@app.callback()
def _configure(
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help="Log every exchange HTTP call to stderr (method, path, status, time; never headers, query strings, "
        "bodies or secrets).",
    ),
) -> None:
    if verbose:  # without it, warnings still reach stderr through logging's last-resort handler
        import logging

        logging.basicConfig(
            level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        logging.getLogger("tradedock").setLevel(logging.DEBUG)


@app.command()
def version(as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON.")) -> None:
    """Print the TradeDock version."""
    typer.echo(json.dumps({"version": __version__}) if as_json else __version__)


connections.register(app)
fix.register(app)
accounts.register(app)
serve.register(app)
worker.register(app)
db.register(app)
guide.register(app)
sandbox.register(app)
vault.register(app)
strategies.register(app)
bots.register(app)


def quiet_broken_pipe() -> None:
    """The reader of our output went away (``tradedock list | head``): exit without a traceback, and keep the
    interpreter's final flush of stdout from complaining about it."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main() -> None:
    try:
        app()
    except BrokenPipeError:
        quiet_broken_pipe()
        sys.exit(1)
