"""`tradedock list` shows recent events (escaped: a label is never Rich markup); `tradedock worker --once`."""

from __future__ import annotations

import httpx

from tests.cli.conftest import Cli


def test_a_revoked_key_shows_as_a_recent_event_in_list(cli: Cli) -> None:
    preset = cli.scenario("bybit", "healthy")
    connected = cli.connect("bybit", preset["credentials"], "--label", "[red]main[/red]")
    assert connected.code == 0, connected.stdout + connected.stderr
    connection_id = connected.json()["connection_id"]

    quiet = cli.run("list")
    assert "Recent events" not in quiet.stdout  # nothing happened yet

    response = httpx.delete(f"{cli.urls['bybit']}/_sim/keys/{preset['key_id']}", timeout=10)
    response.raise_for_status()
    checked = cli.run("check", connection_id, "--json")
    assert checked.json()["status"] == "invalid"

    listed = cli.run("list")
    assert listed.code == 0
    assert "Recent events" in listed.stdout
    assert "connection.status_changed" in listed.stdout and "→ invalid" in listed.stdout
    assert "[red]main[/red]" in listed.stdout  # printed as typed, not interpreted
    assert isinstance(cli.run("list", "--json").json(), list)  # --json stays the list of connections

    once = cli.run("worker", "--once", "--json")
    assert once.code == 0, once.stderr
    assert once.json()["checked"] == 0  # just checked: the next re-check is an interval away
