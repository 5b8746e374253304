"""Rendering for the CLI: verification reports, connection tables, balances, guides, and ``--json`` output.

What belongs here: turning the JSON-safe dicts the services return into Rich output or JSON text. What does not:
deciding anything (statuses, exit codes come from services and `cli.main`), or reading input.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.spinner import Spinner
from rich.table import Table
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
    table = Table.grid(padding=(0, 1))
    for check_id in check_ids:
        table.add_row(Text("…", style="dim"), Text(check_id, style="dim"))
    with Live(Group(Spinner("dots", text=heading), table), console=console, transient=True, refresh_per_second=12):
        yield


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=False, default=str))


def status_text(status: str) -> Text:
    label, style = STATUS_STYLE.get(status, (status, "bold"))
    return Text(label, style=style)


def render_report(console: Console, report: Mapping[str, Any], *, title: str | None = None) -> None:
    """A verification report: one line per check, then every problem with its fix steps."""
    heading = title or f"{report['exchange'].capitalize()} ({report['environment']}) — {report.get('scope', '')}"
    table = Table(show_header=False, box=None, pad_edge=False, expand=False)
    table.add_column(width=2)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for check in report["checks"]:
        symbol, style = OUTCOME_STYLE.get(check["outcome"], ("?", ""))
        table.add_row(Text(symbol, style=style), check["id"], Text(check["message"]))
    problems = [c for c in report["checks"] if c["outcome"] in ("fail", "warn", "error") and c.get("fix")]
    parts: list[Any] = [table, Text("")]
    verdict = Text("Verdict: ")
    verdict.append_text(status_text(report["status"]))
    if report.get("connection_id"):
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
        parts.append(Text(f"\nVerified in {timing} ms ({report.get('rounds', '?')} network round(s)).", style="dim"))
    console.print(Panel(Group(*parts), title=heading, title_align="left", expand=False))


def _parse(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _countdown(expires_at: str | None, now: datetime) -> Text:
    if not expires_at:
        return Text("no expiry", style="dim")
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


def _money(value: str | None) -> str:
    if value is None:
        return "—"
    try:
        return f"{float(value):,.2f}"
    except ValueError:
        return value


def render_connections(console: Console, connections: Sequence[Mapping[str, Any]], now: datetime) -> None:
    if not connections:
        console.print("No connections yet. Run [bold]tradedock guide EXCHANGE[/] then [bold]tradedock connect[/].")
        return
    table = Table(title="Connections")
    for column in ("id", "exchange", "label", "key", "status", "checked", "key expires", "USD"):
        table.add_column(column, justify="right" if column == "USD" else "left")
    for conn in connections:
        label, style = STATUS_SHORT.get(conn["status"], (conn["status"], ""))
        table.add_row(
            conn["id"][:8],
            f"{conn['exchange']} ({conn['environment']})",
            conn.get("label") or "",
            conn.get("masked_key") or "",
            Text(label, style=style),
            _ago(conn.get("last_checked_at"), now),
            _countdown(conn.get("key_expires_at"), now),
            _money(conn.get("balance_usd")),
        )
    console.print(table)


def render_balances(console: Console, balances: Mapping[str, Any]) -> None:
    table = Table(title=f"Balances — connection {balances['connection_id']}")
    for column in ("wallet", "coin", "total", "available", "USD"):
        table.add_column(column, justify="right" if column in ("total", "available", "USD") else "left")
    for row in balances["balances"]:
        table.add_row(row["wallet"], row["coin"], row["total"], row["available"], row.get("usd_value") or "—")
    console.print(table)
    console.print(f"Total: [bold]{balances['total_usd']} USD[/]")


def render_guide(console: Console, guide: Mapping[str, Any]) -> None:
    console.print(Text(guide["title"], style="bold underline"))
    console.print(guide["summary"])
    for number, section in enumerate(guide["sections"], start=1):
        console.print(Text(f"\n{number}. {section['title']}", style="bold"))
        for step in section["steps"]:
            console.print(f"   • {step}")
        if section.get("warning"):
            console.print(Text(f"   ⚠ {section['warning']}", style="yellow"))
    fields = ", ".join(guide["credentials"])
    console.print(f"\nTradeDock will ask for: [bold]{fields}[/]")
