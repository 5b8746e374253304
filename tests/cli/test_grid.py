"""`cli.output.grid`, the plain table of ``list`` (and of strategies, bots, signals): aligned columns, user text
shown exactly (never markup, control codes removed), each cell's styles kept (a `Text` cell's own spans over its
style) — the same bytes Rich writes for the same text and styles assembled as one `Text`."""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text

from tradedock.cli.output import grid

ROWS: list[list[Text | str]] = [
    ["a", Text("ok", style="green"), "[/bold] x\x07", "1.00"],
    ["bbb", Text("warn", style="bold yellow"), Text("sp", style="red").append("an", style="bold"), "—"],
    ["é…z", "", "", "10"],
]


def printed(renderable: object, *, color: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, width=20, force_terminal=color, color_system="truecolor" if color else None)
    console.print(renderable, soft_wrap=True)
    return out.getvalue()


def test_columns_are_aligned_and_text_is_shown_exactly() -> None:
    table = grid("Title", ("id", "status", "label", "USD"), ROWS, right={3})
    assert printed(table, color=False) == (
        "Title\n"
        "id   status  label       USD\n"
        "───  ──────  ─────────  ────\n"
        "a    ok      [/bold] x  1.00\n"
        "bbb  warn    span          —\n"
        "é…z                       10\n"
    )


def test_styles_are_written_as_rich_writes_them() -> None:
    table = grid("Title", ("id", "status", "label", "USD"), ROWS, right={3})
    same = Text.assemble(
        ("Title", "bold"),
        "\n",
        *(("id", "bold"), "   ", ("status", "bold"), "  ", ("label", "bold"), "       ", ("USD", "bold")),
        "\n",
        ("───  ──────  ─────────  ────", "dim"),
        "\n",
        *("a    ", ("ok", "green"), "      [/bold] x  1.00"),
        "\n",
        *("bbb  ", ("warn", "bold yellow"), "    ", ("sp", "red"), ("an", "red bold"), "          —"),
        "\n",
        "é…z                       10",
    )
    assert printed(table, color=True) == printed(same, color=True)
    assert "\x1b[32mok" in printed(table, color=True)


def test_trailing_blanks_of_the_last_line_are_dropped() -> None:
    table = grid("T", ("a", "b"), [["x", "long"], ["y", ""]], right=set())
    assert printed(table, color=False).endswith("x  long\ny\n")
