"""A malformed setting or an unreachable database: exit 2 with a message naming the variable and the fix, never
a traceback; and a command's options are checked before any secret is asked for."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Cli

BAD_SETTINGS = [
    ("TRADEDOCK_EXPIRY_WARN_DAYS", "abc", "whole number of days"),
    ("TRADEDOCK_EXPIRY_WARN_DAYS", "-3", "whole number of days"),
    ("TRADEDOCK_DATABASE_URL", "postgresql://postgres@127.0.0.1/test", "postgresql+psycopg://"),
    ("TRADEDOCK_DATABASE_URL", "sqlite:///tmp/x.db", "sqlite+aiosqlite:///"),
    ("TRADEDOCK_DATABASE_URL", "postgresql+psycopg://u:pw@127.0.0.1:notaport/db", "postgresql+psycopg://"),
    ("TRADEDOCK_DATABASE_URL", "not a url", "sqlite+aiosqlite:///"),
    ("TRADEDOCK_EGRESS_IPS", "not-an-ip, 999.1.1.1", "comma-separated IP addresses"),
    ("TRADEDOCK_EGRESS_IPS", "203.0.113.7, 999.1.1.1", "comma-separated IP addresses"),
    ("TRADEDOCK_HTTP_TIMEOUT_S", "-1", "above 0"),
    ("TRADEDOCK_HTTP_TIMEOUT_S", "soon", "above 0"),
    ("TRADEDOCK_HTTP_CONNECT_TIMEOUT_S", "0", "above 0"),
    ("TRADEDOCK_CLOCK_WARN_MS", "-5", "milliseconds"),
    ("TRADEDOCK_SANDBOX_URLS", "bybit=http://x", "JSON object"),
    ("TRADEDOCK_SANDBOX_URLS", '{"bybit": "ftp://x"}', "JSON object"),
    ("TRADEDOCK_BALANCE_MINIMUMS", '{"bybit": -1}', "USD amounts"),
    ("TRADEDOCK_WITHDRAW_POLICY", "maybe", "fail or warn"),
    ("TRADEDOCK_LOG_LEVEL", "loud", "WARNING"),
]


@pytest.mark.parametrize(("variable", "value", "fix_hint"), BAD_SETTINGS)
def test_a_bad_setting_exits_2_naming_the_variable_and_the_fix(
    cli: Cli, variable: str, value: str, fix_hint: str
) -> None:
    cli.env[variable] = value
    plain = cli.run("list")
    assert plain.code == 2, plain.stdout + plain.stderr
    assert f"Error ({variable}):" in plain.stderr
    assert "Fix:" in plain.stderr and fix_hint in plain.stderr
    assert "Traceback" not in plain.stderr
    as_json = cli.run("list", "--json")
    assert as_json.code == 2
    error = as_json.json()["error"]
    assert error["field"] == variable and variable in error["fix"]


def test_a_bad_setting_is_reported_before_any_secret_is_asked_for(cli: Cli) -> None:
    cli.env["TRADEDOCK_HTTP_TIMEOUT_S"] = "-1"
    result = cli.run("connect", "bybit", "--environment", "sandbox")  # no terminal: would refuse to prompt
    assert result.code == 2
    assert "TRADEDOCK_HTTP_TIMEOUT_S" in result.stderr and "credentials" not in result.stderr


def test_the_password_in_a_bad_database_url_is_never_shown(cli: Cli) -> None:
    cli.env["TRADEDOCK_DATABASE_URL"] = "postgresql+psycopg://user:hunter2secret@127.0.0.1:notaport/db"
    result = cli.run("list")
    assert result.code == 2
    assert "hunter2secret" not in result.stdout + result.stderr


@pytest.mark.postgres
def test_an_unreachable_postgresql_exits_2_naming_the_setting(cli: Cli) -> None:
    # port 1 on loopback: nothing listens there, the connection is refused at once
    cli.env["TRADEDOCK_DATABASE_URL"] = "postgresql+psycopg://postgres:s3cretpw@127.0.0.1:1/test"
    result = cli.run("list")
    assert result.code == 2, result.stdout + result.stderr
    assert "cannot reach the PostgreSQL database at 127.0.0.1:1" in result.stderr
    assert "TRADEDOCK_DATABASE_URL" in result.stderr and "Traceback" not in result.stderr
    assert "s3cretpw" not in result.stderr
    error = cli.run("list", "--json").json()["error"]
    assert error["type"] == "DatabaseUnavailableError" and "TRADEDOCK_DATABASE_URL" in error["fix"]


def test_a_home_that_cannot_be_created_exits_2_naming_it(cli: Cli) -> None:
    blocker = cli.home.parent / "a-file"
    blocker.write_text("not a directory")
    cli.env["TRADEDOCK_HOME"] = str(blocker / "home")
    result = cli.run("list")
    assert result.code == 2, result.stdout + result.stderr
    assert "TRADEDOCK_HOME" in result.stderr and "Traceback" not in result.stderr


def test_an_environment_the_exchange_lacks_is_refused_before_the_key_is_asked_for(cli: Cli) -> None:
    # Aster has no demo: the error comes first, the (valid) credentials on stdin are never read
    result = cli.run("connect", "aster", "--environment", "demo", "--credentials", "-", "--json", stdin="{}")
    assert result.code == 2
    assert result.json()["error"]["field"] == "environment"
    bad_label = cli.run("connect", "bybit", "--environment", "sandbox", "--label", "x" * 80)
    assert bad_label.code == 2 and "label" in bad_label.stderr and "terminal" not in bad_label.stderr
    contract = cli.run("connect", "bybit", "--environment", "sandbox", "--scope", "spot", "--contract", "usdt_m")
    assert contract.code == 2 and "contract" in contract.stderr


def test_a_stale_sandbox_url_file_is_explained(cli: Cli) -> None:
    del cli.env["TRADEDOCK_SANDBOX_URLS"]
    cli.home.mkdir(mode=0o700)
    dead = _dead_pid()
    (cli.home / "sandbox-urls.json").write_text(json.dumps({"pid": dead, "urls": cli.urls}))
    result = cli.run("connect", "bybit", "--environment", "sandbox")
    assert result.code == 2
    assert "no longer running" in result.stderr and f"process {dead}" in result.stderr
    assert "tradedock sandbox" in result.stderr


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_empty_credentials_input_says_it_is_empty(cli: Cli) -> None:
    result = cli.run("connect", "bybit", "--environment", "sandbox", "--credentials", "-", stdin="")
    assert result.code == 2
    assert "standard input is empty" in result.stderr and "line 1" not in result.stderr


def test_remove_checks_the_id_first_and_needs_yes_without_a_terminal(cli: Cli) -> None:
    missing = cli.run("remove", "deadbeef", "--yes")
    assert missing.code == 2 and "No connection" in missing.stderr
    preset = cli.scenario("bybit", "healthy")
    connection_id = cli.connect("bybit", preset["credentials"]).json()["connection_id"]
    refused = cli.run("remove", connection_id, "--json")
    assert refused.code == 2 and refused.json()["error"]["field"] == "yes"
    assert [row["id"] for row in cli.run("list", "--json").json()] == [connection_id]


def test_a_missing_field_fix_reads_as_one_sentence(cli: Cli) -> None:
    result = cli.run(
        "connect",
        "bybit",
        "--environment",
        "sandbox",
        "--credentials",
        "-",
        "--json",
        stdin=json.dumps({"api_key": "A" * 18}),
    )
    assert result.code == 2
    error = result.json()["error"]
    assert error["field"] == "secret"
    assert ".." not in error["fix"] and ".." not in error["message"]
