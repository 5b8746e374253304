"""``tradedock vault rotate``: re-wrap every data key under the primary master key, without downtime."""

from __future__ import annotations

import typer

from tradedock.services.context import open_app
from tradedock.services.vault_admin import rotate_master_key

from .common import EXIT_OK, run
from .output import make_console, print_json

vault_app = typer.Typer(no_args_is_help=True, help="Vault administration.")


@vault_app.command()
def rotate(as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON.")) -> None:
    """Re-wrap every connection's data key under the primary master key and report how many rows moved."""

    async def go() -> int:
        ctx = await open_app()
        try:
            async with ctx.transaction() as session:
                result = await rotate_master_key(session, ctx.vault)
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
