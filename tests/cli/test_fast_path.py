"""The console entry point's fast path (`cli.main.fast_path`): ``version``, ``list`` and ``show`` run without
Typer, and print exactly what the Typer commands print, with the same exit code — for the same command line, on
the same data, including errors, markup in labels and ids, and a first run. Anything else goes to Typer."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, Result
from tradedock.cli.main import fast_path
from tradedock.config_light import LIGHT_NAMES

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
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY_ROOTS} or m in {HEAVY_MODULES})))
"""
#: What a user's ``tradedock list`` / ``show`` must not load: Typer, Click, the simulators, pydantic (settings
#: and views are built without it), SQLAlchemy; our modules that would bring them or the checks back.
HEAVY_ROOTS = {"typer", "click", "tradedock_sim", "pydantic", "pydantic_core", "sqlalchemy", "alembic", "httpx"}
HEAVY_MODULES = {
    "tradedock.cli.app",
    "tradedock.cli.common",
    "tradedock.exchanges.registry",
    "tradedock.config",
    "tradedock.services.views",
    "tradedock.verification.checks",
    "tradedock.verification.engine",
}


def test_the_fast_path_loads_no_typer_pydantic_or_sqlalchemy(cli: Cli) -> None:
    """In a fresh interpreter (what a user's ``tradedock list`` is, with only the home, database and master key
    settings in its environment): none of the heavy modules is imported for version, list and show."""
    preset = cli.scenario("bybit", "healthy")
    connection_id = cli.connect("bybit", preset["credentials"]).json()["connection_id"]
    probe = PROBE.replace("{HEAVY_ROOTS}", repr(HEAVY_ROOTS)).replace("{HEAVY_MODULES}", repr(HEAVY_MODULES))
    with light_environment(cli):
        proc = subprocess.run(
            [sys.executable, "-c", probe, connection_id], capture_output=True, text=True, timeout=60, env=cli.env
        )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"loaded for version/list/show: {proc.stdout}"


@contextmanager
def light_environment(cli: Cli) -> Iterator[None]:
    """Only the settings list and show read themselves in the environment (the CLI fixture also sets the
    simulators' URLs and HTTP settings, which send the fast path to the full pydantic settings)."""
    saved = dict(cli.env)
    for name in list(cli.env):
        if name.startswith("TRADEDOCK_") and name.removeprefix("TRADEDOCK_").lower() not in LIGHT_NAMES:
            del cli.env[name]
    try:
        yield
    finally:
        cli.env.clear()
        cli.env.update(saved)


def on_the_views(fast: Fast, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """The fast path with the light reader turned off: the connection service and its pydantic views."""
    with monkeypatch.context() as patch:
        patch.setattr("tradedock.services.light_read.open_light", lambda *_a, **_k: None)
        return fast(*args)


def _sql_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _vary_the_stored_values(cli: Cli, warned: str, bare: str) -> None:
    """Give the two connections every kind of value list and show print: a status with warnings, money,
    expiry ahead and past, microseconds, missing values, evidence of every JSON type, an event."""
    now = datetime.now(UTC)
    db = sqlite3.connect(cli.home / "tradedock.db")
    with db:
        db.execute(
            "UPDATE connections SET status = 'connected_with_warnings', last_balance_usd = '1234567.8912', "
            "key_expires_at = ?, last_checked_at = ? WHERE id = ?",
            (
                _sql_time(now + timedelta(days=9, hours=7, microseconds=123)),
                _sql_time(now - timedelta(hours=5)),
                warned,
            ),
        )
        db.execute(
            "UPDATE connections SET last_balance_usd = NULL, last_checked_at = NULL, account_uid = NULL, "
            "account_mode = NULL, position_mode = NULL, margin_mode = NULL, key_expires_at = ? WHERE id = ?",
            (_sql_time(now - timedelta(days=3, hours=2)), bare),
        )
        run_id = db.execute("SELECT id FROM verification_runs WHERE connection_id = ?", (warned,)).fetchone()[0]
        db.execute("UPDATE verification_runs SET status = 'connected_with_warnings' WHERE id = ?", (run_id,))
        evidence = {"days_left": 9, "ratio": 0.25, "big": 1e21, "ok": True, "none": None, "text": "[red]✓[/red]"}
        db.execute(
            "UPDATE check_results SET outcome = 'warn', message = '[bold]Key expires[/bold] soon', evidence = ?, "
            "fix = ? WHERE run_id = ? AND check_id = 'key.expiry'",
            (
                json.dumps({**evidence, "nested": {"list": [1, 2.5, "x", None]}}),
                json.dumps(["[b]Renew[/b] it."]),
                run_id,
            ),
        )
        owner = db.execute("SELECT owner_id FROM connections WHERE id = ?", (warned,)).fetchone()[0]
        db.execute(
            "INSERT INTO events (id, owner_id, connection_id, type, created_at, data) VALUES (?, ?, ?, ?, ?, ?)",
            (
                "e0000000-0000-4000-8000-000000000001",
                owner,
                warned,
                "connection.status_changed",
                _sql_time(now - timedelta(minutes=3)),
                json.dumps({"label": MARKUP_LABEL, "from": "connected", "to": "connected_with_warnings"}),
            ),
        )
    db.close()


def test_the_light_output_is_the_views_output(  # type: ignore[no-untyped-def]
    cli: Cli, fast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Byte for byte, list and show (table and --json) built from the rows without pydantic print what the
    connection service's pydantic views print, and what the Typer commands print."""
    bybit = cli.scenario("bybit", "healthy")
    warned = cli.connect("bybit", bybit["credentials"], "--label", MARKUP_LABEL).json()["connection_id"]
    bitget = cli.scenario("bitget", "healthy")
    bare = cli.connect("bitget", bitget["credentials"]).json()["connection_id"]
    _vary_the_stored_values(cli, warned, bare)
    reads = (["list"], ["list", "--json"], ["show", warned], ["show", bare[:8], "--json"], ["show", warned, "--json"])
    with light_environment(cli):
        for args in reads:
            light = same(cli, fast, *args)
            views = on_the_views(fast, monkeypatch, *args)
            assert (light.code, light.stdout, light.stderr) == (views.code, views.stdout, views.stderr), args
        table = fast("list").stdout
        assert "warnings" in table and "1,234,567.89" in table and "expired" in table and MARKUP_LABEL in table
        shown = fast("show", warned, "--json").json()
        assert shown["balance_usd"] == "1234567.8912" and shown["status"] == "connected_with_warnings"
        expiry = next(c for c in shown["last_report"]["checks"] if c["id"] == "key.expiry")
        assert expiry["title"] == "Key expiry" and expiry["evidence"]["big"] == 1e21


BAD_LIGHT_SETTINGS = [
    ("TRADEDOCK_DATABASE_URL", "mysql://user:secret@db/td", "TRADEDOCK_DATABASE_URL"),
    ("TRADEDOCK_DATABASE_URL", "postgresql+psycopg://user:secret@db:99999/td", "TRADEDOCK_DATABASE_URL"),
    ("TRADEDOCK_HOME", "{home}/tradedock.db", "TRADEDOCK_HOME"),
    ("TRADEDOCK_MASTER_KEY", "not a key", "TRADEDOCK_MASTER_KEY"),
    ("TRADEDOCK_MASTER_KEY_FILE", "{home}/missing.key", "TRADEDOCK_MASTER_KEY_FILE"),
]


@pytest.mark.parametrize(("variable", "value", "named"), BAD_LIGHT_SETTINGS)
def test_a_bad_light_setting_is_the_same_error_on_both_paths(  # type: ignore[no-untyped-def]
    cli: Cli, fast, variable: str, value: str, named: str
) -> None:
    """Each setting list and show read without pydantic: a bad value fails as on the Typer path (same message,
    fix and exit code), naming the variable and never repeating a password."""
    assert cli.run("list").code == 0  # first run: key and database made
    with light_environment(cli):
        cli.env[variable] = value.replace("{home}", str(cli.home))
        for args in (["list"], ["show", "abcd", "--json"]):
            bad = same(cli, fast, *args)
            assert bad.code in (1, 2) and named in bad.stderr + bad.stdout, (args, bad)
            assert "secret" not in bad.stderr + bad.stdout
