"""Typer-free CLI plumbing: exit codes, printing domain errors, opening the app — shared by the Typer commands
(`cli.common`, `cli.app`) and the console entry point's fast path (`cli.main`, `cli.reads`), which must not import
Typer (start-up time).

Exit codes (DESIGN.md contract): 0 connected / connected_with_warnings, 2 usage or input error (including a bad
setting or an unreachable database), 3 action_required, 4 invalid, 5 unreachable; 1 for a broken deployment
(e.g. a wrong master key); 6 for an integrity error (a connection's stored secrets were altered outside
TradeDock — never reported as `invalid`); 130 interrupted (Ctrl-C). A batch (``check --all``) exits with its worst
code; a connection it could not even check counts as 5 (6 if its stored secrets were damaged).

Start-up cost matters (every command pays it): this module imports only the domain enums and the errors at import
time; settings, services, SQLAlchemy, Rich and the exchanges are imported inside the functions that need them.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from tradedock.domain import ConnectionStatus
from tradedock.errors import (
    ExchangeUnreachableError,
    InvalidInputError,
    TradeDockError,
    UserFixableError,
    VaultIntegrityError,
)

if TYPE_CHECKING:
    from tradedock.config import Settings
    from tradedock.config_light import HomeSettings
    from tradedock.services.connections import ConnectionService
    from tradedock.services.context import AppContext
    from tradedock.services.views import CheckAllView

T = TypeVar("T")

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INPUT = 2
EXIT_INTEGRITY = 6
EXIT_INTERRUPTED = 130
EXIT_STATUS = {
    ConnectionStatus.CONNECTED: 0,
    ConnectionStatus.CONNECTED_WITH_WARNINGS: 0,
    ConnectionStatus.ACTION_REQUIRED: 3,
    ConnectionStatus.INVALID: 4,
    ConnectionStatus.UNREACHABLE: 5,
}


def exit_code_for(status: ConnectionStatus | str) -> int:
    return EXIT_STATUS[ConnectionStatus(status)]


def worst_exit_code(statuses: list[ConnectionStatus]) -> int:
    codes = [exit_code_for(s) for s in statuses]
    return max(codes, default=EXIT_OK)


#: A connection a batch could not even verify: nothing was decided about its key, like `unreachable`.
EXIT_NOT_CHECKED = EXIT_STATUS[ConnectionStatus.UNREACHABLE]


def batch_exit_code(batch: CheckAllView) -> int:
    """The worst code of a batch: its statuses' codes; 5 for a connection that could not be checked (6 if its
    stored secrets were damaged)."""
    codes = [exit_code_for(s) for s in batch.statuses]
    for item in batch.not_checked:
        codes.append(EXIT_INTEGRITY if item.error == VaultIntegrityError.__name__ else EXIT_NOT_CHECKED)
    return max(codes, default=EXIT_OK)


def _error_exit_code(error: TradeDockError) -> int:
    if isinstance(error, ExchangeUnreachableError):
        return 5
    if isinstance(error, VaultIntegrityError):
        return EXIT_INTEGRITY
    if isinstance(error, UserFixableError):
        return EXIT_INPUT
    return EXIT_INTERNAL


def report_error(error: TradeDockError, *, as_json: bool) -> int:
    """Print a domain error (never a traceback; every part shown exactly as written) and return its exit code."""
    code = _error_exit_code(error)
    payload: dict[str, Any] = {"type": type(error).__name__, "message": error.message}
    if isinstance(error, InvalidInputError):
        payload["field"] = error.field
    if isinstance(error, VaultIntegrityError):
        payload["connection_id"] = error.connection_id
        payload["reason"] = error.reason
    if error.fix:
        payload["fix"] = error.fix
    if as_json:
        from .output import print_json

        print_json({"error": payload})
    else:
        from rich.text import Text

        from .output import make_console

        console = make_console(stderr=True)
        where = f" ({payload['field']})" if "field" in payload else ""
        line = Text(f"Error{where}:", style="bold red")
        line.append(f" {error.message}", style="")
        console.print(line)
        if error.fix:
            fix = Text("Fix:", style="bold")
            fix.append(f" {error.fix}", style="")
            console.print(fix)
    return code


def interrupted(*, as_json: bool, what: str = "Interrupted.") -> int:
    """Ctrl-C: one short line on stderr (never a traceback), exit 130."""
    if not as_json:
        print(f"\n{what}", file=sys.stderr, flush=True)
    return EXIT_INTERRUPTED


def exit_code_of(command: Callable[[], int], *, as_json: bool, interrupted_note: str = "Interrupted.") -> int:
    """Run ``command``; its exit code, or a domain error's (printed cleanly), or 130 on Ctrl-C — what
    `cli.common.guarded` does for the Typer commands, without Typer."""
    try:
        return command()
    except TradeDockError as error:
        return report_error(error, as_json=as_json)
    except KeyboardInterrupt:
        return interrupted(as_json=as_json, what=interrupted_note)


@contextmanager
def database_errors_explained(settings: HomeSettings) -> Iterator[None]:
    """A database that cannot be reached or opened becomes a clear error naming the setting to fix, not a
    driver traceback."""
    from tradedock.services.diagnose import database_error

    try:
        yield
    except TradeDockError:
        raise
    except Exception as exc:
        problem = database_error(exc, settings)
        if problem is None:
            raise
        raise problem from None


async def open_context(settings: Settings) -> AppContext:
    """Open the app (database, migrations, vault); database problems explained (`database_errors_explained`)."""
    from tradedock.services.context import open_app

    with database_errors_explained(settings):
        context = await open_app(settings)
    for note in context.notes:  # e.g. the first-run "back up your new master key" (stderr: never in --json)
        print(note, file=sys.stderr, flush=True)
    return context


async def with_service(settings: Settings, fn: Callable[[ConnectionService, AppContext], Awaitable[T]]) -> T:
    """Open the app, run ``fn`` (the service keeps its own transactions short), close the app."""
    from tradedock.services.connections import ConnectionService

    ctx = await open_context(settings)
    try:
        return await fn(ConnectionService(ctx), ctx)
    finally:
        await ctx.aclose()
