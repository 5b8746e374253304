"""The everyday read commands — ``version``, ``list`` and ``show`` — without Typer.

Why a module of their own: they are what a user runs most, and each must start in well under 0.3 s (issue 9).
The console entry point (`cli.main`) runs them straight from ``sys.argv`` when the arguments are exactly one of
their plain forms, before Typer (and the pydantic adapters Typer builds for every parameter) is imported; the
Typer commands of the same names (`cli.app`, `cli.connections`) call the same functions, so both paths print the
same thing and exit with the same code (tests/cli/test_fast_path.py runs both).

Each function returns the exit code (`cli.base`): a domain error is printed cleanly (exit 2, 1, …), Ctrl-C exits
130. ``list`` and ``show`` read through `services.light_read` (no SQLAlchemy, no pydantic: the settings they need
come from `config_light`, their output is built from the rows); the full start-up (and the full settings) only
when it has to write first, or when the environment sets a setting only `config.Settings` validates.
What does not belong here: anything that writes or asks for input.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from tradedock import __version__

from .base import EXIT_OK, database_errors_explained, exit_code_of, with_service

if TYPE_CHECKING:
    from tradedock.config import Settings
    from tradedock.config_light import HomeSettings
    from tradedock.services.connections import ConnectionService
    from tradedock.services.context import AppContext
    from tradedock.services.light_read import LightReader
    from tradedock.services.views import ConnectionDetail, ConnectionView, EventView

T = TypeVar("T")

#: How many of the newest events ``list`` prints under the table (not in --json).
RECENT_EVENTS = 5


def version_command(*, as_json: bool) -> int:
    """``tradedock version [--json]``."""
    print(json.dumps({"version": __version__}) if as_json else __version__, flush=True)
    return EXIT_OK


def list_command(*, as_json: bool) -> int:
    """``tradedock list [--json]``."""
    return exit_code_of(lambda: _list(as_json), as_json=as_json)


def show_command(connection_id: str, *, as_json: bool) -> int:
    """``tradedock show ID [--json]``."""
    return exit_code_of(lambda: _show(connection_id, as_json), as_json=as_json)


def _settings() -> HomeSettings:
    """The settings: without pydantic when the environment sets only what `config_light` reads."""
    from tradedock.config_light import load_light_settings

    light = load_light_settings()
    return light if light is not None else _full_settings(None)


def _full_settings(settings: HomeSettings | None) -> Settings:
    """``settings`` if they are the full model, else the full model loaded from the same environment."""
    from tradedock.config import Settings, load_settings

    return settings if isinstance(settings, Settings) else load_settings()


def _read_light(settings: HomeSettings, read: Callable[[LightReader], T]) -> T | None:
    """``read`` on the light read path (`services.light_read`: no SQLAlchemy, ~10× faster start), or ``None``
    when this start has to write first (first run, a migration, a canary sentinel): then use the service."""
    from tradedock.services.light_read import open_light

    with database_errors_explained(settings):
        light = open_light(settings)
        if light is None:
            return None
        with light:
            return read(light)


def _on_service(settings: HomeSettings, fn: Callable[[ConnectionService, AppContext], Any]) -> Any:
    """``fn`` on the full start-up (`cli.base.with_service`, with the full settings), in its own event loop."""
    from tradedock import eventloop

    return eventloop.run(with_service(_full_settings(settings), fn))


def _list(as_json: bool) -> int:
    settings = _settings()
    events = 0 if as_json else RECENT_EVENTS

    async def full(service: ConnectionService, _: AppContext) -> tuple[list[ConnectionView], list[EventView]]:
        return await service.list(), (await service.recent_events(events) if events else [])

    light = _read_light(settings, lambda read: (read.connections(), read.recent_events(events) if events else []))
    rows, recent = light if light is not None else _on_service(settings, full)
    from tradedock.services.light_read import key_expiry_reported

    from .output import as_data, make_console, print_json, render_connections

    if as_json:
        print_json(rows)
        return EXIT_OK
    console = make_console()
    render_connections(console, as_data(rows), datetime.now(UTC), expiry_reported=key_expiry_reported)
    render_recent_events(console, recent)
    return EXIT_OK


def render_recent_events(console: Any, events: list[Any]) -> None:
    """A few newest events under the table (the monitor's findings); user text is printed without markup."""
    if not events:
        return
    from rich.text import Text

    console.print(Text("Recent events (all: GET /api/v1/events):", style="bold"))
    for event in events:
        data = event.data
        label = str(data.get("label") or data.get("webhook_id") or "")
        detail = ""
        if "from" in data and "to" in data:
            detail = f"{data['from']} → {data['to']}"
        elif "changes" in data:
            detail = ", ".join(f"{k} {v.get('from')} → {v.get('to')}" for k, v in dict(data["changes"]).items())
        elif "threshold_days" in data:
            detail = f"key expires in {data.get('days_left')} days"
        line = Text("  ")
        line.append(event.created_at.strftime("%Y-%m-%d %H:%M"), style="dim")
        line.append(f"  {event.type}  ")
        line.append(label)
        if detail:
            line.append(f"  {detail}")
        console.print(line)


def _show(connection_id: str, as_json: bool) -> int:
    settings = _settings()

    async def full(service: ConnectionService, _: AppContext) -> ConnectionDetail:
        return await service.show(connection_id)

    light = _read_light(settings, lambda reader: reader.show(connection_id))
    detail = light if light is not None else _on_service(settings, full)
    from tradedock.services.light_read import key_expiry_reported

    from .output import as_data, make_console, print_json, render_fields, render_report

    view = as_data(detail)
    if as_json:
        print_json(view)
        return EXIT_OK
    console = make_console()
    last = view.pop("last_report", None)
    none_text = {
        "key_expires_at": "never"
        if view["key_expires_at"] or key_expiry_reported(view["exchange"])
        else "not reported by the exchange",
        "last_checked_at": "never",
        "balance_usd": "not known yet",
        "label": "—",
    }
    render_fields(console, view, none_text=none_text)
    if last:
        render_report(console, last, title="Last verification")
    return EXIT_OK
