"""Reading credentials for ``connect`` and ``replace``: hidden prompts, or a JSON object from stdin or a file.

What belongs here: asking for each field with its meaning, and parsing ``--credentials -|FILE`` with errors
that name the field and the fix. Secrets are never accepted on argv and never echoed.

Prompts run before any event loop or database is open, so one Ctrl-C ends the command at once (exit 130)
with nothing stored.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tradedock.errors import InvalidInputError
from tradedock.jsonlimits import MAX_JSON_BYTES, JsonLimitError, loads_limited
from tradedock.services.credentials import check_field_names

if TYPE_CHECKING:
    from tradedock.services.connections import CredentialPrompt


def _sentence(text: str) -> str:
    """``text`` without its final period (it is embedded in another sentence)."""
    return text.rstrip().rstrip(".")


def read_credentials_json(source: str, fields: tuple[CredentialPrompt, ...]) -> dict[str, str]:
    """Parse a JSON object of credential fields from stdin (``-``) or a file path."""
    if source == "-":
        text = sys.stdin.read(MAX_JSON_BYTES + 1)
        origin = "standard input"
    else:
        path = Path(source)
        if not path.is_file():
            raise InvalidInputError(
                "credentials", f"no such file: {source}", fix="Pass a JSON file path or '-' for stdin."
            )
        with path.open(encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read(MAX_JSON_BYTES + 1)
        origin = str(path)
    if not text.strip():
        raise InvalidInputError(
            "credentials",
            f"{origin} is empty",
            fix='Send one JSON object, e.g. {"api_key": "...", "secret": "..."}.',
        )
    try:
        data = loads_limited(text)
    except JsonLimitError as exc:
        raise InvalidInputError(
            "credentials", f"{origin} {exc.message}", fix='Send one flat JSON object: {"api_key": "...", ...}.'
        ) from None
    except json.JSONDecodeError as exc:
        # Never echo the text: it holds secrets.
        raise InvalidInputError(
            "credentials",
            f"{origin} is not valid JSON (line {exc.lineno}, column {exc.colno})",
            fix='Send one JSON object, e.g. {"api_key": "...", "secret": "..."}.',
        ) from None
    if not isinstance(data, dict):
        raise InvalidInputError("credentials", f"{origin} must hold a JSON object", fix="Wrap the fields in {...}.")
    expected = [f.name for f in fields]
    check_field_names(data, tuple(expected))  # an unknown name may be a pasted secret: never echoed
    values: dict[str, str] = {}
    for f in fields:
        value = data.get(f.name)
        if value is None or value == "":
            raise InvalidInputError(f.name, f"{f.name} is missing", fix=f"Add {f.name!r}: {_sentence(f.help)}.")
        if not isinstance(value, str):
            raise InvalidInputError(f.name, f"{f.name} must be a string", fix=f"Quote the value of {f.name!r}.")
        values[f.name] = value
    return values


def prompt_credentials(fields: tuple[CredentialPrompt, ...]) -> dict[str, str]:
    """Ask for each field interactively; secret fields are hidden."""
    if not sys.stdin.isatty():
        raise InvalidInputError(
            "credentials",
            "no terminal to ask for the credentials",
            fix="Run it in a terminal, or pass --credentials - with a JSON object on stdin.",
        )
    values: dict[str, str] = {}
    for f in fields:
        typer.echo(f"{f.label}: {f.help}")
        try:
            value = typer.prompt(f"  {f.label}", hide_input=f.secret, default="", show_default=False)
        except typer.Abort:  # Ctrl-C or end of input at the prompt
            raise KeyboardInterrupt from None
        if not value.strip():
            raise InvalidInputError(f.name, f"{f.name} is empty", fix=f"Paste {_sentence(f.help)}.")
        values[f.name] = value
    return values


def confirm(question: str) -> bool:
    """Ask yes/no on the terminal (default no); Ctrl-C ends the command (exit 130)."""
    try:
        return typer.confirm(question, default=False, err=True)
    except typer.Abort:
        raise KeyboardInterrupt from None
