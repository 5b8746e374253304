"""`tradedock fix ID`: apply a setting fix the last report offered (e.g. Bybit hedge → one-way), after confirmation,
then re-verify. The rules (what may be fixed, how) are `services.fixes`; this module only asks and renders.
"""

from __future__ import annotations

from typing import Any

import typer

from tradedock.errors import InvalidInputError

from .common import EXIT_OK, exit_code_for, guarded, open_context, run, settings_or_exit


def _choose(fixes: list[dict[str, Any]], fix_id: str | None) -> dict[str, Any]:
    if fix_id is not None:
        for offer in fixes:
            if offer["id"] == fix_id:
                return offer
        names = ", ".join(o["id"] for o in fixes)
        raise InvalidInputError("fix", f"{fix_id!r} is not offered for this connection (offered: {names})", fix="")
    if len(fixes) > 1:
        names = ", ".join(o["id"] for o in fixes)
        raise InvalidInputError("fix", f"several fixes are offered: {names}", fix="Pick one with --fix ID.")
    return fixes[0]


def fix(
    connection_id: str = typer.Argument(..., help="Connection id (or a unique prefix, as `list` shows)."),
    fix_id: str = typer.Option(None, "--fix", help="Which offered fix to apply (needed when several are offered)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Apply without asking for confirmation."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON (needs --yes)."),
) -> None:
    """Let TradeDock change a setting the last check failed on (with this key), then re-check."""
    from rich.markup import escape

    from tradedock import eventloop

    from .output import make_console, print_json, render_report

    if as_json and not yes:
        with guarded(as_json=as_json):
            raise InvalidInputError("yes", "--json cannot ask for confirmation", fix="Add --yes to apply the fix.")
    settings = settings_or_exit(as_json=as_json)

    async def offers() -> dict[str, Any]:
        from tradedock.services.fixes import FixService

        ctx = await open_context(settings)
        try:
            listing: dict[str, Any] = (await FixService(ctx).offers(connection_id)).to_json()
            return listing
        finally:
            await ctx.aclose()

    # Look up, ask, then apply: the question is asked outside any event loop so Ctrl-C ends it at once (130).
    with guarded(as_json=as_json, interrupted_note="Interrupted: nothing was changed."):
        listing = eventloop.run(offers())
        fixes: list[dict[str, Any]] = listing["fixes"]
        if not fixes:
            if as_json:
                print_json({**listing, "applied": None})
            else:
                make_console().print(
                    "Nothing to fix for you: the last check has no failed setting this key can change. "
                    f"Run [bold]tradedock check {escape(listing['connection_id'][:8])}[/] to refresh it."
                )
            raise typer.Exit(exit_code_for(listing["status"]))
        chosen = _choose(fixes, fix_id)
        if not yes:
            from .prompts import confirm

            console = make_console()
            console.print(f"[bold]{escape(chosen['title'])}[/]\n{escape(chosen['detail'])}")
            if not confirm("Apply this change now?"):
                console.print("Nothing was changed.")
                raise typer.Exit(EXIT_OK)

    async def go() -> int:
        from tradedock.services.fixes import FixService

        ctx = await open_context(settings)
        try:
            result = await FixService(ctx).apply(listing["connection_id"], chosen["id"])
        finally:
            await ctx.aclose()
        outcome = result.outcome
        if as_json:
            print_json({**outcome.to_json(), "applied": result.applied.to_json()})
        else:
            console = make_console()
            console.print(f"Applied: {escape(result.applied.title)}. Checked again:")
            render_report(console, outcome.to_json())
        return exit_code_for(outcome.status)

    run(go(), as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command("fix")(fix)
