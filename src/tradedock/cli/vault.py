"""``tradedock vault rotate``: re-wrap every data key under the primary master key, without downtime.

Services are imported inside the command (start-up time); a test checks the ``--batch-size`` default matches
`tradedock.services.vault_admin.DEFAULT_BATCH_SIZE`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from .common import EXIT_OK, open_context, run, settings_or_exit

if TYPE_CHECKING:
    from tradedock.services.vault_admin import RotationProgress

#: Same as `tradedock.services.vault_admin.DEFAULT_BATCH_SIZE` (not imported here: it would load SQLAlchemy).
DEFAULT_BATCH_SIZE = 500

vault_app = typer.Typer(no_args_is_help=True, help="Vault administration.")


@vault_app.command()
def rotate(
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", min=1, max=10_000, help="Rows re-wrapped and committed per batch."
    ),
) -> None:
    """Re-wrap every connection's data key under the primary master key and report how many rows moved.

    Works in committed batches (progress on stderr): safe to interrupt, and running it again resumes.
    """
    settings = settings_or_exit(as_json=as_json)

    def progress(step: RotationProgress) -> None:
        print(f"batch {step.batches} committed: {step.moved} re-wrapped so far", file=sys.stderr, flush=True)

    async def go() -> int:
        from rich.text import Text

        from tradedock.services.vault_admin import rotate_in_batches

        from .output import make_console, print_json

        ctx = await open_context(settings)
        try:
            result = await rotate_in_batches(
                ctx.transaction, ctx.vault, batch_size=batch_size, on_batch=progress, reading=ctx.reading
            )
        finally:
            await ctx.aclose()
        data = {
            "primary_key_id": ctx.vault.primary_key_id,
            "moved": result.moved,
            "remaining_on_old_keys": result.remaining_on_old,
        }
        if as_json:
            print_json(data)
        else:
            make_console().print(
                Text(
                    f"Re-wrapped {result.moved} data key(s) under master key {ctx.vault.primary_key_id}; "
                    f"{result.remaining_on_old} remain on older keys."
                )
            )
        return EXIT_OK

    run(
        go(),
        as_json=as_json,
        interrupted_note="Interrupted: the batches committed so far stay; run it again to resume.",
    )


def register(app: typer.Typer) -> None:
    app.add_typer(vault_app, name="vault")
