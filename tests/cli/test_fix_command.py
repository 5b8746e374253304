"""The real `tradedock fix` against the simulators: a Bybit hedge-mode connection becomes a connected one-way
connection, with confirmation asked, refused, or given by --yes."""

from __future__ import annotations

import ccxt
import pytest

from tests.cli.conftest import Cli


def _position_idx(cli: Cli, credentials: dict[str, str]) -> str:
    """The account's position mode as an independent client (ccxt) reads it: positionIdx 0 one-way, 1 and 2 hedge."""
    exchange = ccxt.bybit({"apiKey": credentials["api_key"], "secret": credentials["secret"]})
    exchange.urls["api"] = dict.fromkeys(exchange.urls["api"], cli.urls["bybit"])
    answer = exchange.private_get_v5_position_list({"category": "linear", "symbol": "BTCUSDT"})
    return ",".join(str(row["positionIdx"]) for row in answer["result"]["list"])


@pytest.mark.slow  # several real `tradedock` processes; the refusal paths are covered in tests/services
def test_fix_turns_hedge_mode_into_a_connected_one_way_connection(cli: Cli) -> None:
    preset = cli.scenario("bybit", "hedge_mode")
    connected = cli.connect("bybit", preset["credentials"])
    assert connected.code == 3, connected.stdout + connected.stderr
    report = connected.json()
    assert [f["id"] for f in report["fixes"]] == ["position_mode.one_way"]
    connection_id = report["connection_id"]
    assert _position_idx(cli, preset["credentials"]) == "1,2"

    declined = cli.run("fix", connection_id[:8], stdin="n\n")
    assert declined.code == 0, declined.stdout + declined.stderr
    assert "one-way" in declined.stdout and "Nothing was changed" in declined.stdout
    assert _position_idx(cli, preset["credentials"]) == "1,2"

    needs_yes = cli.run("fix", connection_id, "--json")
    assert needs_yes.code == 2 and needs_yes.json()["error"]["field"] == "yes"

    fixed = cli.run("fix", connection_id, "--yes", "--json")
    assert fixed.code == 0, fixed.stdout + fixed.stderr
    answer = fixed.json()
    assert (answer["status"], answer["applied"]["id"], answer["fixes"]) == ("connected", "position_mode.one_way", [])
    assert _position_idx(cli, preset["credentials"]) == "0"
    listed = cli.run("list", "--json").json()
    assert [(row["id"], row["status"]) for row in listed] == [(connection_id, "connected")]

    again = cli.run("fix", connection_id, "--yes", "--json")
    assert (again.code, again.json()["fixes"], again.json()["applied"]) == (0, [], None)
