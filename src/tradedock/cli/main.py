"""Console entry point of the ``tradedock`` command (``tradedock.cli.main:main``).

What belongs here: choosing how to run the command line, and process-level hygiene (a quiet exit when the reader
of our output goes away). The everyday reads — exactly ``version``, ``list`` or ``show ID``, each with an
optional ``--json`` — run straight from `cli.reads` (`fast_path`) without importing Typer, whose import and
per-parameter pydantic adapters cost ~0.1 s of every start (issue 9); the same functions back the Typer commands,
so the output is the same. Anything else — ``--help``, ``-v``, another option, a mistake — goes to the Typer app
(`cli.app`), which parses, explains and errors as usual.

``from tradedock.cli.main import app`` still gives the Typer app (loaded on first use).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typer import Typer


def fast_path(args: Sequence[str]) -> int | None:
    """Run ``args`` (the command line after ``tradedock``) without Typer and return the exit code, or ``None``
    when they are not exactly one of the plain forms of ``version``, ``list`` or ``show ID`` (with an optional
    ``--json`` anywhere after the command name): then Typer must run them."""
    if not args:
        return None
    command, rest = args[0], list(args[1:])
    as_json = "--json" in rest
    if as_json:
        rest.remove("--json")
    if command == "version" and not rest:
        from .reads import version_command

        return version_command(as_json=as_json)
    if command == "list" and not rest:
        from .reads import list_command

        return list_command(as_json=as_json)
    if command == "show" and len(rest) == 1 and not rest[0].startswith("-"):
        from .reads import show_command

        return show_command(rest[0], as_json=as_json)
    return None


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
        code = fast_path(sys.argv[1:])
        if code is None:
            from .app import app

            app()
        sys.stdout.flush()
    except BrokenPipeError:
        quiet_broken_pipe()
        sys.exit(1)
    sys.exit(code)


def __getattr__(name: str) -> Typer:
    if name == "app":
        from .app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
