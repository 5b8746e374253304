"""``tradedock vault rotate``: re-wrap every data key under the primary master key, without downtime."""

from __future__ import annotations

import sys

import typer

from tradedock.services.context import open_app
from tradedock.services.vault_admin import DEFAULT_BATCH_SIZE, RotationProgress, rotate_in_batches

from .common import EXIT_OK, run
from .output import make_console, print_json

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

    def progress(step: RotationProgress) -> None:
        print(f"batch {step.batches} committed: {step.moved} re-wrapped so far", file=sys.stderr, flush=True)

    async def go() -> int:
        ctx = await open_app()
        try:
            result = await rotate_in_batches(ctx.transaction, ctx.vault, batch_size=batch_size, on_batch=progress)
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
                f"Re-wrapped {result.moved} data key(s) under master key {ctx.vault.primary_key_id}; "
                f"{result.remaining_on_old} remain on older keys."
            )
        return EXIT_OK

    run(go(), as_json=as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(vault_app, name="vault")
