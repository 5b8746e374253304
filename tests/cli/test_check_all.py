"""`tradedock check --all`: every connection its own outcome, a summary line, the worst exit code; `db upgrade`."""

from __future__ import annotations

from tests.cli.conftest import Cli


def _connect(cli: Cli, scenario: str) -> str:
    preset = cli.scenario("bybit", scenario)
    result = cli.connect("bybit", preset["credentials"])
    assert result.code in (0, 3), result.stdout + result.stderr
    connection_id: str = result.json()["connection_id"]
    return connection_id


def test_check_all_prints_each_report_then_the_summary_and_exits_with_the_worst_code(cli: Cli) -> None:
    healthy = [_connect(cli, "healthy") for _ in range(2)]
    flagged = _connect(cli, "withdraw_enabled")

    people = cli.run("check", "--all")
    assert people.code == 3, people.stdout + people.stderr  # action required is the worst status
    assert people.stdout.strip().splitlines()[-1] == "3 checked: 2 connected, 1 action required"
    assert people.stdout.count("Verdict") == 3

    machine = cli.run("check", "--all", "--json")
    assert machine.code == 3
    batch = machine.json()
    assert batch["summary"] == "3 checked: 2 connected, 1 action required"
    assert batch["counts"] == {"connected": 2, "action required": 1}
    assert [r["connection_id"] for r in batch["results"]] == [*healthy, flagged]
    assert batch["not_checked"] == []


def test_check_all_with_nothing_to_check(cli: Cli) -> None:
    result = cli.run("check", "--all")
    assert result.code == 0
    assert "No connections to check." in result.stdout


def test_db_upgrade_applies_once_then_says_up_to_date(cli: Cli) -> None:
    first = cli.run("db", "upgrade", "--json")
    assert first.code == 0, first.stderr
    assert first.json() == {"upgraded": True, "up_to_date": True}
    again = cli.run("db", "upgrade")
    assert again.code == 0 and "already up to date" in again.stdout
