"""Rendering for the CLI: verification reports, connection tables, balances, guides, and ``--json`` output.

What belongs here: turning what the services return (JSON-safe dicts or pydantic views) into Rich output or JSON
text. What does not: deciding anything (statuses, exit codes come from services and `cli.common`), or reading
input.

Markup safety: anything that came from a user, an exchange or the database (labels, ids, messages, key ids) is
rendered as `rich.text.Text` (styles given as styles, never as markup).

Start-up: ``list`` and ``show`` import this module on every run, so the Rich modules only some renderings use
(tables, panels, the live checklist) are imported inside the functions that use them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions
from rich.control import strip_control_codes
from rich.segment import Segment
from rich.text import Text

OUTCOME_STYLE = {
    "pass": ("✔", "green"),
    "warn": ("!", "yellow"),
    "fail": ("✘", "red"),
    "skip": ("–", "dim"),
    "error": ("?", "magenta"),
}

STATUS_STYLE = {
    "connected": ("Connected", "bold green"),
    "connected_with_warnings": ("Connected, with warnings", "bold yellow"),
    "action_required": ("Action required", "bold red"),
    "invalid": ("Invalid — not connected", "bold red"),
    "unreachable": ("Exchange unreachable — nothing was decided about your key", "bold magenta"),
}


STATUS_SHORT = {
    "connected": ("connected", "green"),
    "connected_with_warnings": ("warnings", "yellow"),
    "action_required": ("action required", "red"),
    "invalid": ("invalid", "red"),
    "unreachable": ("unreachable", "magenta"),
}


def make_console(*, stderr: bool = False) -> Console:
    console = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console.width = max(console.width, 110)  # piped output: wide enough for the tables
    return console


@contextmanager
def live_checklist(console: Console, heading: str, check_ids: Sequence[str]) -> Iterator[None]:
    """While verifying, show every check as pending under a spinner (terminals only; replaced by the report)."""
    if not console.is_terminal:
        yield
        return
    from rich.console import Group
    from rich.live import Live
    from rich.spinner import Spinner
    from rich.table import Table

    table = Table.grid(padding=(0, 1))
    for check_id in check_ids:
        table.add_row(Text("…", style="dim"), Text(check_id, style="dim"))
    with Live(Group(Spinner("dots", text=heading), table), console=console, transient=True, refresh_per_second=12):
        yield


def as_data(value: Any) -> Any:
    """A pydantic view (what services return) or plain data → JSON-safe plain data."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, list | tuple):
        return [as_data(item) for item in value]
    return value


def print_json(data: Any) -> None:
    print(json.dumps(as_data(data), indent=2, sort_keys=False, default=str), flush=True)


def status_text(status: str) -> Text:
    label, style = STATUS_STYLE.get(status, (status, "bold"))
    return Text(label, style=style)


def render_report(
    console: Console, report: Mapping[str, Any], *, title: str | None = None, replacing: bool = False
) -> None:
    """A verification report: one line per check, then every problem with its fix steps.

    ``replacing``: the report is of a new key for an existing connection (the verdict is about the new key).
    """
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table

    report = as_data(report)
    heading = title or f"{report['exchange'].capitalize()} ({report['environment']}) — {report.get('scope', '')}"
    table = Table(show_header=False, box=None, pad_edge=False, expand=False)
    table.add_column(width=2)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for check in report["checks"]:
        symbol, style = OUTCOME_STYLE.get(check["outcome"], ("?", ""))
        table.add_row(Text(symbol, style=style), Text(check["id"]), Text(check["message"]))
    problems = [c for c in report["checks"] if c["outcome"] in ("fail", "warn", "error") and c.get("fix")]
    parts: list[Any] = [table, Text("")]
    verdict = Text("Verdict on the new key: " if replacing else "Verdict: ")
    if replacing and report["status"] in ("invalid", "unreachable"):
        label, style = STATUS_STYLE[report["status"]]
        verdict.append(label.replace("not connected", "not stored"), style=style)
    else:
        verdict.append_text(status_text(report["status"]))
    if report.get("connection_id") and not replacing:
        verdict.append(f"   connection {report['connection_id']}", style="dim")
    parts.append(verdict)
    for check in problems:
        symbol, style = OUTCOME_STYLE[check["outcome"]]
        parts.append(Text(""))
        parts.append(Text(f"{symbol} How to fix {check['id']}:", style=style))
        for number, step in enumerate(check["fix"], start=1):
            parts.append(Text(f"   {number}. {step}"))
    timing = report.get("duration_ms")
    if timing is not None:
        rounds = report.get("rounds")
        trips = f" ({rounds} network round{'' if rounds == 1 else 's'})" if rounds else ""
        parts.append(Text(f"\nVerified in {timing} ms{trips}.", style="dim"))
    console.print(Panel(Group(*parts), title=Text(heading), title_align="left", expand=False))


def _parse(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _countdown(expires_at: str | None, now: datetime, *, reported: bool = True) -> Text:
    if not expires_at:
        return Text("never" if reported else "not reported", style="dim")
    when = _parse(expires_at)
    days = (when - now).total_seconds() / 86400
    if days < 0:
        return Text(f"expired {when:%Y-%m-%d}", style="red")
    return Text(f"in {days:.0f} d ({when:%Y-%m-%d})", style="yellow" if days <= 14 else "")


def _ago(value: str | None, now: datetime) -> str:
    if not value:
        return "never"
    seconds = (now - _parse(value)).total_seconds()
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


def money(value: Any) -> str:
    """One format for USD amounts everywhere (list, balances): thousands separators, 2 decimals."""
    if value is None or value == "":
        return "—"
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def render_connections(
    console: Console,
    connections: Sequence[Mapping[str, Any]],
    now: datetime,
    *,
    expiry_reported: Callable[[str], bool] = lambda exchange: True,
) -> None:
    """The connections table; ``expiry_reported(exchange)`` says whether that exchange reports key expiry (a
    missing date then means "never" rather than "not reported")."""
    connections = as_data(connections)
    if not connections:
        console.print(
            Text.assemble(
                "No connections yet. Run ",
                ("tradedock guide EXCHANGE", "bold"),
                " then ",
                ("tradedock connect", "bold"),
                ".",
            )
        )
        return
    rows = []
    for conn in connections:
        label, style = STATUS_SHORT.get(conn["status"], (conn["status"], ""))
        expires = conn.get("key_expires_at")  # (whether the exchange reports expiry matters only without a date)
        rows.append(
            [
                conn["id"][:8],
                f"{conn['exchange']} ({conn['environment']})",
                conn.get("label") or "",
                conn.get("masked_key") or "",
                Text(label, style=style),
                _ago(conn.get("last_checked_at"), now),
                _countdown(expires, now, reported=bool(expires) or expiry_reported(conn["exchange"])),
                money(conn.get("balance_usd")),
            ]
        )
    headers = ("id", "exchange", "label", "key", "status", "checked", "key expires", "USD")
    console.print(grid(f"Connections ({len(rows)})", headers, rows, right={7}), soft_wrap=True)


class Grid:
    """A table made by `grid`: lines of (text, style) pieces — a style, ``None`` (plain), or a `Text` with spans of
    its own, rendered as Rich renders it — printed as Rich segments (print it with ``soft_wrap=True``)."""

    def __init__(self, lines: list[list[tuple[str, Any]]]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        get_style = console.get_style
        for line in self.lines:
            for text, style in line:
                if isinstance(style, Text):
                    yield from style.render(console, end="")
                else:
                    yield Segment(text, get_style(style) if style else None)
            yield Segment.line()


def grid(title: str, headers: Sequence[str], rows: Sequence[Sequence[Text | str]], *, right: set[int]) -> Grid:
    """A plain aligned table (long lines are not wrapped; trailing blanks of its last line dropped); a cell is a
    `Text` or plain text (shown as is, never as markup; control codes removed as `Text` does). Unlike
    `rich.table.Table`, which measures every cell several times, and unlike one big `Text`, which Rich splits back
    into a `Text` per line, this stays fast for thousands of rows (`list` on a platform): each cell is measured
    once, and runs of plain cells are joined into one segment."""
    table = [[_cell(cell) for cell in row] for row in ([Text(h, style="bold") for h in headers], *rows)]
    widths = [max(row[index][1] for row in table) for index in range(len(headers))]
    last = len(headers) - 1
    lines: list[list[tuple[str, Any]]] = [[(title, "bold")]]
    for number, row in enumerate(table):
        line: list[tuple[str, Any]] = []
        pending = ""  # plain text not yet in `line`
        for index, (plain, width, style) in enumerate(row):
            pad = " " * (widths[index] - width)
            if index:
                pending += "  "
            if index in right:
                pending += pad
            if style is None:
                pending += plain
            else:
                if pending:
                    line.append((pending, None))
                    pending = ""
                line.append((plain, style))
            if index not in right and index < last:
                pending += pad
        if pending:
            line.append((pending, None))
        lines.append(line)
        if number == 0:  # under the headers
            lines.append([("  ".join("─" * w for w in widths), "dim")])
    _rstrip(lines[-1])
    return Grid(lines)


def _rstrip(line: list[tuple[str, Any]]) -> None:
    """Drop the trailing blanks of a line (of its plain or single-style pieces)."""
    while line and not isinstance(line[-1][1], Text):
        text, style = line[-1]
        if text.rstrip():
            line[-1] = (text.rstrip(), style)
            return
        line.pop()


def _cell(cell: Text | str) -> tuple[str, int, Any]:
    """A cell's text, its width on screen and its style: ``None`` (plain), a style, or the `Text` itself when it
    has spans of its own."""
    if isinstance(cell, str):  # (a printable string has no control code to strip: the common, fast case)
        plain, style = cell if cell.isprintable() else strip_control_codes(cell), None
    else:
        plain = cell.plain
        style = cell if cell.spans else (cell.style or None) if plain else None
    return plain, len(plain) if plain.isascii() else cell_len(plain), style


def render_batch(
    console: Console,
    batch: Mapping[str, Any],
    render_one: Callable[[Console, Mapping[str, Any]], None],
) -> None:
    """``check --all``: each report, then each connection that could not be checked (with why), then the
    summary line (``12 checked: 9 connected, 1 action required, 2 unreachable``)."""
    for report in batch["results"]:
        render_one(console, report)
    for failed in batch["not_checked"]:
        line = Text("✘ ", style="red")
        line.append(f"connection {failed['connection_id']} was not checked: ", style="bold")
        line.append(failed["reason"])
        console.print(line)
        if failed.get("fix"):
            console.print(Text(f"   Fix: {failed['fix']}"))
    console.print(Text(batch["summary"], style="bold"))


def render_balances(console: Console, balances: Mapping[str, Any]) -> None:
    from rich.table import Table

    balances = as_data(balances)
    table = Table(title=Text(f"Balances — connection {balances['connection_id']}"))
    for column in ("wallet", "coin", "total", "available", "USD"):
        table.add_column(column, justify="right" if column in ("total", "available", "USD") else "left")
    for row in balances["balances"]:
        table.add_row(
            Text(row["wallet"]),
            Text(row["coin"]),
            Text(row["total"]),
            Text(row["available"]),
            money(row.get("usd_value")),
        )
    console.print(table)
    total = Text("Total: ")
    total.append(f"{money(balances['total_usd'])} USD", style="bold")
    unpriced = balances.get("unpriced_coins") or []
    if unpriced:
        total.append(f"  (not counted, no USD price: {', '.join(unpriced)})", style="dim")
    console.print(total)


def render_guide(console: Console, guide: Mapping[str, Any]) -> None:
    guide = as_data(guide)
    console.print(Text(guide["title"], style="bold underline"))
    console.print(Text(guide["summary"]))
    for number, section in enumerate(guide["sections"], start=1):
        console.print(Text(f"\n{number}. {section['title']}", style="bold"))
        for step in section["steps"]:
            console.print(Text(f"   • {step}"))
        if section.get("warning"):
            console.print(Text(f"   ⚠ {section['warning']}", style="yellow"))
    fields = Text("\nTradeDock will ask for: ")
    fields.append(", ".join(guide["credentials"]), style="bold")
    console.print(fields)


def render_fields(console: Console, view: Mapping[str, Any], *, none_text: Mapping[str, str]) -> None:
    """``show``: one ``name: value`` line per field, values exactly as stored (never markup); a missing value
    reads ``none_text[name]`` (e.g. "never", "not reported") or "—"."""
    for key, value in as_data(view).items():
        line = Text(f"{key}: ", style="bold")
        if value is None:
            line.append(none_text.get(key, "—"), style="dim")
        else:
            line.append(str(value))
        console.print(line)
