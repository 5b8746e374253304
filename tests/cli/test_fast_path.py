"""The console entry point's fast path (`cli.main.fast_path`): ``version``, ``list`` and ``show`` run without
Typer, and print exactly what the Typer commands print, with the same exit code — for the same command line, on
the same data, including errors, markup in labels and ids, and a first run. Anything else goes to Typer."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, Result
from tradedock.cli.main import fast_path

MARKUP_LABEL = "[/bold] [red]Main [prod][/red] \\[x] [link=http://e.x]y[/link]"


Fast = Callable[..., Result]


@pytest.fixture
def fast(cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Fast:
    """Run ``tradedock ARGS`` through the fast path in this process, with the CLI fixture's environment."""

    def run(*args: str) -> Result:
        for name in list(os.environ):
            if name.startswith("TRADEDOCK_"):
                monkeypatch.delenv(name)
        for name, value in cli.env.items():
            if name.startswith("TRADEDOCK_") or name == "COLUMNS":
                monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = fast_path(list(args))
        out = capsys.readouterr()
        assert code is not None, f"{args} did not take the fast path"
        return Result(code, out.out, out.err)

    return run


def same(cli: Cli, fast: Fast, *args: str) -> Result:
    """Both paths on ``args``: same exit code, stdout and stderr."""
    quick, typer_run = fast(*args), cli.run(*args)
    assert (quick.code, quick.stdout, quick.stderr) == (typer_run.code, typer_run.stdout, typer_run.stderr), args
    return quick


def test_list_show_and_version_print_the_same_on_both_paths(cli: Cli, fast) -> None:  # type: ignore[no-untyped-def]
    same(cli, fast, "version")
    same(cli, fast, "version", "--json")
    assert cli.run("list").code == 0  # the first run (its note: test_the_first_run_note_is_the_same_on_both_paths)
    assert "No connections yet" in same(cli, fast, "list").stdout
    assert same(cli, fast, "list", "--json").json() == []
    bybit = cli.scenario("bybit", "healthy")
    first = cli.connect("bybit", bybit["credentials"], "--label", MARKUP_LABEL).json()["connection_id"]
    bitget = cli.scenario("bitget", "healthy")
    assert cli.connect("bitget", bitget["credentials"]).code == 0
    listed = same(cli, fast, "list")
    assert MARKUP_LABEL in listed.stdout and "not reported" in listed.stdout
    assert same(cli, fast, "list", "--json").json()[0]["label"] == MARKUP_LABEL
    shown = same(cli, fast, "show", first)
    assert f"label: {MARKUP_LABEL}" in shown.stdout and "Last verification" in shown.stdout
    same(cli, fast, "show", first[:8])
    same(cli, fast, "show", first, "--json")
    same(cli, fast, "show", "--json", first[:6])


def test_errors_are_the_same_on_both_paths(cli: Cli, fast) -> None:  # type: ignore[no-untyped-def]
    assert cli.run("list").code == 0  # first run: key and database made
    for args in (["show", "[/x]abcd"], ["show", "nope"], ["show", "nope", "--json"]):
        missing = same(cli, fast, *args)
        assert missing.code == 2 and ("Fix:" in missing.stderr or '"fix"' in missing.stdout)
    cli.env["TRADEDOCK_EXPIRY_WARN_DAYS"] = "abc"
    bad = same(cli, fast, "list")
    assert bad.code == 2 and "Error (TRADEDOCK_EXPIRY_WARN_DAYS):" in bad.stderr
    same(cli, fast, "show", "abcd", "--json")


def test_a_wrong_master_key_is_the_same_on_both_paths(cli: Cli, fast) -> None:  # type: ignore[no-untyped-def]
    cli.env["TRADEDOCK_MASTER_KEY"] = f"k2025:{base64.b64encode(os.urandom(32)).decode()}"
    preset = cli.scenario("bybit", "healthy")
    assert cli.connect("bybit", preset["credentials"]).code == 0
    cli.env["TRADEDOCK_MASTER_KEY"] = f"k2025:{base64.b64encode(os.urandom(32)).decode()}"
    wrong = same(cli, fast, "list")
    assert wrong.code == 1 and "[k2025]" in wrong.stderr


def test_the_first_run_note_is_the_same_on_both_paths(cli: Cli, fast, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """On a new home, list makes the master key and says so (stderr) on either path."""
    cli.env["TRADEDOCK_HOME"] = str(tmp_path / "a")
    quick = fast("list")
    cli.env["TRADEDOCK_HOME"] = str(tmp_path / "b")
    typer_run = cli.run("list")
    assert "master key" in quick.stderr
    assert (quick.code, quick.stdout, quick.stderr.replace(str(tmp_path / "a"), "HOME")) == (
        typer_run.code,
        typer_run.stdout,
        typer_run.stderr.replace(str(tmp_path / "b"), "HOME"),
    )


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--help"],
        ["-h"],
        ["-v", "list"],
        ["--verbose", "show", "abcd"],
        ["list", "--help"],
        ["list", "-h"],
        ["list", "extra"],
        ["list", "--json", "--json"],
        ["list", "--jso"],
        ["show"],
        ["show", "--json"],
        ["show", "-x"],
        ["show", "--", "abcd"],
        ["show", "a", "b"],
        ["show", "abcd", "--help"],
        ["version", "--help"],
        ["version", "x"],
        ["check", "abcd"],
        ["connect", "bybit"],
        ["List"],
    ],
)
def test_anything_else_is_left_to_typer(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert fast_path(args) is None
    assert capsys.readouterr() == ("", "")


PROBE = """
import contextlib, io, sys
from tradedock.cli.main import fast_path
for args in (["version"], ["list"], ["list", "--json"], ["show", sys.argv[1]], ["show", sys.argv[1], "--json"]):
    with contextlib.redirect_stdout(io.StringIO()):
        assert fast_path(args) == 0, args
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in {"typer", "click", "tradedock_sim"}
                      or m in {"tradedock.cli.app", "tradedock.cli.common", "tradedock.exchanges.registry"})))
"""


def test_the_fast_path_loads_no_typer(cli: Cli) -> None:
    """In a fresh interpreter (what a user's ``tradedock list`` is): no Typer, Click, Typer app or exchange
    registry is imported for version, list and show."""
    preset = cli.scenario("bybit", "healthy")
    connection_id = cli.connect("bybit", preset["credentials"]).json()["connection_id"]
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, connection_id], capture_output=True, text=True, timeout=60, env=cli.env
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"loaded for version/list/show: {proc.stdout}"
