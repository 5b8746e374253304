"""Whatever a user typed (labels, ids) and whatever came back (messages, key ids) is shown exactly, never parsed
as Rich markup: a label made of markup and brackets survives connect, list, show and check."""

from __future__ import annotations

import base64
import json
import os

from tests.cli.conftest import Cli

MARKUP_LABEL = "[/bold] [red]Main [prod][/red] \\[x] [link=http://e.x]y[/link]"


def test_a_markup_label_is_shown_exactly_everywhere(cli: Cli) -> None:
    preset = cli.scenario("bybit", "healthy")
    connected = cli.connect("bybit", preset["credentials"], "--label", MARKUP_LABEL)
    assert connected.code == 0, connected.stdout + connected.stderr
    connection_id = connected.json()["connection_id"]

    listed = cli.run("list")
    assert listed.code == 0, listed.stderr
    assert MARKUP_LABEL in listed.stdout

    shown = cli.run("show", connection_id[:8])
    assert shown.code == 0, shown.stderr
    assert f"label: {MARKUP_LABEL}" in shown.stdout

    checked = cli.run("check", connection_id)
    assert checked.code == 0, checked.stdout + checked.stderr
    assert "Verdict: Connected" in checked.stdout

    everything = cli.run("check", "--all")
    assert everything.code == 0, everything.stdout + everything.stderr
    assert MARKUP_LABEL in everything.stdout  # each report is titled with its connection's label

    assert cli.run("list", "--json").json()[0]["label"] == MARKUP_LABEL


def test_an_id_made_of_markup_is_reported_not_parsed(cli: Cli) -> None:
    result = cli.run("show", "[/x]abcd")
    assert result.code == 2
    assert "No connection" in result.stderr and "Traceback" not in result.stderr
    assert "Error" in result.stderr and "Fix:" in result.stderr


def test_a_vault_error_keeps_its_key_ids_in_the_terminal(cli: Cli) -> None:
    right = f"k2025:{base64.b64encode(os.urandom(32)).decode()}"
    cli.env["TRADEDOCK_MASTER_KEY"] = right
    preset = cli.scenario("bybit", "healthy")
    assert cli.connect("bybit", preset["credentials"]).code == 0
    cli.env["TRADEDOCK_MASTER_KEY"] = f"k2025:{base64.b64encode(os.urandom(32)).decode()}"  # same id, other bytes
    result = cli.run("list")
    assert result.code == 1
    assert "[k2025]" in result.stderr  # the bracketed key id list, exactly as the vault wrote it


def test_show_says_what_a_missing_value_means(cli: Cli) -> None:
    preset = cli.scenario("bitget", "healthy")
    connected = cli.connect("bitget", preset["credentials"])
    assert connected.code == 0, connected.stdout
    shown = cli.run("show", connected.json()["connection_id"])
    assert "key_expires_at: not reported by the exchange" in shown.stdout  # Bitget does not report expiry
    assert "None" not in shown.stdout
    assert "?" not in shown.stdout.split("Last verification")[-1].split("Verified in")[-1]
    listed = cli.run("list")
    assert "not reported" in listed.stdout and "no expiry" not in listed.stdout


def test_a_refused_replacement_reads_as_the_new_key_refused(cli: Cli) -> None:
    preset = cli.scenario("bitget", "healthy")
    connected = cli.connect("bitget", preset["credentials"])
    connection_id = connected.json()["connection_id"]
    wrong = cli.scenario("bitget", "wrong_passphrase")
    result = cli.run("replace", connection_id, "--credentials", "-", stdin=json.dumps(wrong["credentials"]))
    assert result.code == 4, result.stdout + result.stderr
    assert "Verdict on the new key: Invalid — not stored" in result.stdout
    assert "keeps its current key" in result.stdout
    assert "not connected" not in result.stdout
