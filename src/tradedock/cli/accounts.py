"""``tradedock user create`` and ``tradedock token create``: accounts for the HTTP API, made on the server.

What belongs here: reading the password safely (hidden prompt twice, or one line on stdin with
``--password-stdin``; never an argument) and printing a new token once. What does not: the rules
(services.accounts).
"""

from __future__ import annotations

import sys

import typer

from tradedock.errors import InvalidInputError

from .common import EXIT_OK, guarded, open_context, run, settings_or_exit

user_app = typer.Typer(no_args_is_help=True, help="Users of the HTTP API and dashboard.")
token_app = typer.Typer(no_args_is_help=True, help="Personal API tokens.")

JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise InvalidInputError(
                "password", "no password on stdin", fix="Pipe the password in: … | tradedock user create"
            )
        return password
    try:
        first: str = typer.prompt("Password", hide_input=True)
        second: str = typer.prompt("Repeat the password", hide_input=True)
    except typer.Abort:  # Ctrl-C at the prompt: exit 130 at once
        raise KeyboardInterrupt from None
    if first != second:
        raise InvalidInputError("password", "the two passwords differ", fix="Type the same password twice.")
    return first


@user_app.command("create")
def create_user(
    email: str = typer.Argument(..., help="The e-mail the user signs in with."),
    operator: bool = typer.Option(False, "--operator", help="May see the health view and the platform settings."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin instead of prompting."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a user who can sign in to the API and dashboard (the first operator is made this way)."""
    settings = settings_or_exit(as_json=as_json)
    with guarded(as_json=as_json, interrupted_note="Interrupted: no user was created."):
        password = _read_password(password_stdin)  # before any event loop: Ctrl-C ends it at once

    async def go() -> int:
        from tradedock.services.accounts import AccountService

        from .output import make_console, print_json

        ctx = await open_context(settings)
        try:
            async with ctx.transaction() as session:
                user = await AccountService(session, ctx.clock).create_user(email, password, is_operator=operator)
        finally:
            await ctx.aclose()
        if as_json:
            print_json(user.model_dump(mode="json"))
        else:
            role = "operator" if user.is_operator else "user"
            make_console().print(f"Created {role} {user.email} (id {user.id}).", markup=False)
        return EXIT_OK

    run(go(), as_json=as_json)


@token_app.command("create")
def create_token(
    user: str = typer.Option(..., "--user", help="The e-mail of the user the token acts as."),
    name: str = typer.Option(..., "--name", help="What the token is for (unique per user)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a personal API token and print it once; TradeDock keeps only its hash."""
    settings = settings_or_exit(as_json=as_json)

    async def go() -> int:
        from tradedock.services.accounts import AccountService

        from .output import make_console, print_json

        ctx = await open_context(settings)
        try:
            async with ctx.transaction() as session:
                token = await AccountService(session, ctx.clock).create_token_for(user, name)
        finally:
            await ctx.aclose()
        if as_json:
            print_json({"token": token.token, "id": token.id})
        else:
            console = make_console()
            console.print(token.token, markup=False, highlight=False)
            make_console(stderr=True).print(
                f"Token {token.name!r} (id {token.id}) for {user}. It is shown only this once: store it now.",
                markup=False,
            )
        return EXIT_OK

    run(go(), as_json=as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
