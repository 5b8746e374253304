"""Shared CLI plumbing: exit codes, running a command coroutine, printing domain errors cleanly.

Exit codes (DESIGN.md contract): 0 connected / connected_with_warnings, 2 usage or input error,
3 action_required, 4 invalid, 5 unreachable; 1 for a broken deployment (e.g. a wrong master key); 6 for an
integrity error (a connection's stored secrets were altered outside TradeDock — never reported as `invalid`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import typer

from tradedock.domain import ConnectionStatus
from tradedock.errors import (
    ExchangeUnreachableError,
    InvalidInputError,
    TradeDockError,
    UserFixableError,
    VaultIntegrityError,
)

from .output import make_console, print_json

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INPUT = 2
EXIT_INTEGRITY = 6
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


def _error_exit_code(error: TradeDockError) -> int:
    if isinstance(error, ExchangeUnreachableError):
        return 5
    if isinstance(error, VaultIntegrityError):
        return EXIT_INTEGRITY
    if isinstance(error, UserFixableError):
        return EXIT_INPUT
    return EXIT_INTERNAL


def report_error(error: TradeDockError, *, as_json: bool) -> int:
    """Print a domain error (never a traceback) and return its exit code."""
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
        print_json({"error": payload})
    else:
        console = make_console(stderr=True)
        where = f" ({payload['field']})" if "field" in payload else ""
        console.print(f"[bold red]Error{where}:[/] {error.message}")
        if error.fix:
            console.print(f"[bold]Fix:[/] {error.fix}")
    return code


def run(coro: Coroutine[Any, Any, int], *, as_json: bool) -> None:
    """Run a command coroutine returning an exit code; domain errors become clean messages + exit codes."""
    try:
        code = asyncio.run(coro)
    except TradeDockError as error:
        code = report_error(error, as_json=as_json)
    except KeyboardInterrupt:
        code = 130
    raise typer.Exit(code)
