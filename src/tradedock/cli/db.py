"""Database commands: ``tradedock db upgrade`` applies pending migrations once, under a lock.

Every entry point (CLI commands, ``serve``, ``worker``) also runs this on start, under the same lock, so this
command is for operators who want migrations as an explicit deploy step. What does not belong here: the
migration machinery (`tradedock.db.migrate`, reached through `services.context.upgrade_database`).
"""

from __future__ import annotations

import typer

from .common import EXIT_OK, database_errors_explained, run, settings_or_exit

db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")


@db_app.command()
def upgrade(as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON.")) -> None:
    """Apply pending database migrations (safe to run while other TradeDock processes start)."""
    settings = settings_or_exit(as_json=as_json)

    async def go() -> int:
        from tradedock.services.context import upgrade_database

        from .output import make_console, print_json

        with database_errors_explained(settings):
            applied = await upgrade_database(settings)
        if as_json:
            print_json({"upgraded": applied, "up_to_date": True})
        else:
            make_console().print("Database upgraded." if applied else "Database already up to date.")
        return EXIT_OK

    run(go(), as_json=as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
