"""The Typer app of the ``tradedock`` command and its sub-commands (see `cli.base` for exit codes).

What belongs here: assembling the app, the global ``--verbose`` flag, and no locals in tracebacks. What does not:
the console entry point (`cli.main`, which runs ``version``, ``list`` and ``show`` without importing this module
when it can), rendering (`cli.output`), plumbing (`cli.common`), or business rules (services). Command modules
import services lazily, so ``--help`` starts fast.
"""

from __future__ import annotations

import sys

import typer

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
    from .reads import version_command

    version_command(as_json=as_json)


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
