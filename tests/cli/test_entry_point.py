"""The real console entry point: what it imports to start, how it behaves when its reader goes away, what
``--verbose`` logs, and that an unexpected error never prints local variables."""

from __future__ import annotations

import subprocess
import sys

from tests.cli.conftest import Cli
from tradedock.cli.main import app

HEAVY = (
    "sqlalchemy",
    "alembic",
    "aiosqlite",
    "psycopg",
    "uvicorn",
    "starlette",
    "tradedock_sim",
    "eth_account",
    "httpx",
    "pydantic_settings",
    "tradedock.services",
    "tradedock.exchanges",
)

PROBE = """
import sys
from typer.testing import CliRunner
from tradedock.cli.main import app
for args in (["--help"], ["version"], ["connect", "--help"], ["vault", "rotate", "--help"]):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY_ROOTS} or m.startswith({HEAVY_PREFIXES}))))
"""


def test_help_and_version_load_no_database_network_or_simulator_code() -> None:
    roots = {name for name in HEAVY if "." not in name}
    prefixes = tuple(name for name in HEAVY if "." in name)
    code = PROBE.replace("{HEAVY_ROOTS}", repr(roots)).replace("{HEAVY_PREFIXES}", repr(prefixes))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"loaded for --help/version: {proc.stdout}"


READ_PROBE = """
import sys
from typer.testing import CliRunner
from tradedock.cli.main import app
for args in (["list"], ["list", "--json"], ["show", sys.argv[1]], ["show", sys.argv[1], "--json"]):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
    assert "Main [prod]" in result.output, (args, result.output)
print(" ".join(sorted(m for m in sys.modules if m in {FORBIDDEN} or m.split(".")[0] in {FORBIDDEN}
                      or m.startswith(("tradedock.services.connections", "tradedock.services.context",
                                       "tradedock.verification.engine", "tradedock.exchanges.http"))
                      or m.endswith(".adapter"))))
"""


def test_list_and_show_read_without_the_orm_migrations_or_http(cli: Cli) -> None:
    """The light read path (issue 9): on a prepared database, list and show (plain and --json) load no
    SQLAlchemy, Alembic, async driver, HTTP client, pydantic-settings, asyncio, connection service, verification
    engine or adapter (the checks' titles for show's stored report are fine)."""
    preset = cli.scenario("bybit", "healthy")
    connection_id = cli.connect("bybit", preset["credentials"], "--label", "Main [prod]").json()["connection_id"]
    forbidden = {"sqlalchemy", "alembic", "aiosqlite", "psycopg", "httpx", "pydantic_settings", "uvicorn", "starlette"}
    forbidden |= {"tradedock_sim", "eth_account", "asyncio"}
    code = READ_PROBE.replace("{FORBIDDEN}", repr(forbidden))
    proc = subprocess.run(
        [sys.executable, "-c", code, connection_id], capture_output=True, text=True, timeout=60, env=cli.env
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"loaded for list/show: {proc.stdout}"


def test_tracebacks_never_show_local_variables() -> None:
    assert app.pretty_exceptions_show_locals is False


def _first_line_then_hang_up(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ARGS reading one line of its output and closing the pipe, as `| head -1` does."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    return subprocess.CompletedProcess(args, proc.wait(timeout=60), "", stderr)


def test_output_piped_into_head_ends_quietly(cli: Cli) -> None:
    sim = _first_line_then_hang_up([sys.executable, "-m", "tradedock_sim.cli", "scenarios", "bybit"], cli.env)
    assert "Traceback" not in sim.stderr and "BrokenPipe" not in sim.stderr, sim.stderr
    guide = _first_line_then_hang_up([sys.executable, "-m", "tradedock", "guide", "bybit"], cli.env)
    assert "Traceback" not in guide.stderr and "BrokenPipe" not in guide.stderr, guide.stderr


def test_verbose_logs_each_exchange_call_without_secrets(cli: Cli) -> None:
    import json

    preset = cli.scenario("bybit", "healthy")
    result = cli.run_process(
        "--verbose",
        "connect",
        "bybit",
        "--environment",
        "sandbox",
        "--credentials",
        "-",
        "--json",
        stdin=json.dumps(preset["credentials"]),
    )
    assert result.code == 0, result.stderr
    assert "tradedock.http" in result.stderr and "GET /v5/" in result.stderr
    for secret in preset["credentials"].values():
        assert secret not in result.stderr
    quiet = cli.run_process("list")
    assert "tradedock.http" not in quiet.stderr
