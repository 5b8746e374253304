"""Shared plumbing of the Typer commands: settings, running a command, turning errors into exit codes.

The exit codes, error printing and app opening live in `cli.base` (Typer-free, shared with the console entry
point's fast path) and are re-exported here. Start-up cost matters (every command pays it): this module and the
command modules import only Typer, the domain enums and the errors at import time; settings, services,
SQLAlchemy, Rich and the exchanges are imported inside the functions that need them.
"""

from __future__ import annotations

from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from tradedock.errors import TradeDockError

from .base import (
    EXIT_INPUT,
    EXIT_INTEGRITY,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NOT_CHECKED,
    EXIT_OK,
    EXIT_STATUS,
    batch_exit_code,
    database_errors_explained,
    exit_code_for,
    interrupted,
    open_context,
    report_error,
    with_service,
    worst_exit_code,
)

if TYPE_CHECKING:
    from tradedock.config import Settings

__all__ = [
    "EXIT_INPUT",
    "EXIT_INTEGRITY",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_CHECKED",
    "EXIT_OK",
    "EXIT_STATUS",
    "batch_exit_code",
    "database_errors_explained",
    "exchanges_help",
    "exit_code_for",
    "guarded",
    "interrupted",
    "open_context",
    "report_error",
    "run",
    "settings_or_exit",
    "with_service",
    "worst_exit_code",
]


def exchanges_help() -> str:
    """``bybit, bitget or aster``: from the domain's exchange ids (every one is registered; see the registry's
    conformance suite), so ``--help`` does not load the exchange specs."""
    from tradedock.domain import ExchangeId

    names = [e.value for e in ExchangeId]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


@contextmanager
def guarded(*, as_json: bool, interrupted_note: str = "Interrupted.") -> Iterator[None]:
    """Domain errors become a clean message and their exit code; Ctrl-C exits 130 at once."""
    try:
        yield
    except TradeDockError as error:
        raise typer.Exit(report_error(error, as_json=as_json)) from None
    except KeyboardInterrupt:
        raise typer.Exit(interrupted(as_json=as_json, what=interrupted_note)) from None


def settings_or_exit(*, as_json: bool, **overrides: Any) -> Settings:
    """The settings, or exit 2 naming the bad ``TRADEDOCK_*`` variable and its fix."""
    from tradedock.config import load_settings

    with guarded(as_json=as_json):
        return load_settings(**overrides)
    raise AssertionError("unreachable")  # pragma: no cover  (guarded re-raises)


def run(coro: Coroutine[Any, Any, int], *, as_json: bool, interrupted_note: str = "Interrupted.") -> NoReturn:
    """Run a command coroutine returning an exit code; domain errors become clean messages + exit codes."""
    from tradedock import eventloop

    code = EXIT_OK
    with guarded(as_json=as_json, interrupted_note=interrupted_note):
        code = eventloop.run(coro)
    raise typer.Exit(code)
