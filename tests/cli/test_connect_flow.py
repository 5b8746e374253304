"""The real `tradedock` command against the simulators: connect, list, check, replace, remove, exit codes."""

from __future__ import annotations

import json

from tests.cli.conftest import Cli


def _connect(cli: Cli, exchange: str, credentials: dict[str, str], *extra: str) -> tuple[int, dict]:
    result = cli.connect(exchange, credentials, *extra)
    assert result.stdout, result.stderr
    return result.code, result.json()


def test_connect_healthy_bybit_key_then_list_and_check(cli: Cli) -> None:
    preset = cli.scenario("bybit", "healthy")
    code, report = _connect(cli, "bybit", preset["credentials"], "--label", "main")
    assert code == 0, report
    assert report["status"] in ("connected", "connected_with_warnings")
    assert report["stored"] is True
    connection_id = report["connection_id"]
    assert connection_id
    assert {c["id"] for c in report["checks"]} >= {"auth.signature", "permissions.forbidden", "balance.minimum"}

    listed = cli.run("list", "--json")
    assert listed.code == 0
    rows = listed.json()
    assert [r["id"] for r in rows] == [connection_id]
    assert rows[0]["label"] == "main"
    assert rows[0]["masked_key"].endswith(preset["credentials"]["api_key"][-4:])
    assert preset["credentials"]["secret"] not in listed.stdout

    checked = cli.run("check", connection_id, "--json")
    assert checked.code == 0, checked.stdout + checked.stderr
    assert checked.json()["status"] == report["status"]


def test_same_key_twice_is_refused_without_saying_whose(cli: Cli) -> None:
    preset = cli.scenario("bybit", "healthy")
    code, _ = _connect(cli, "bybit", preset["credentials"])
    assert code == 0
    code, again = _connect(cli, "bybit", preset["credentials"])
    assert code == 2
    assert again["error"]["type"] == "AlreadyConnectedError"
    assert "already connected" in again["error"]["message"]


def test_exit_codes_follow_the_status(cli: Cli) -> None:
    wrong = cli.scenario("bitget", "wrong_passphrase")
    code, report = _connect(cli, "bitget", wrong["credentials"])
    assert (code, report["status"], report["stored"]) == (4, "invalid", False)
    auth = next(c for c in report["checks"] if c["id"] == "auth.signature")
    assert auth["outcome"] == "fail" and "passphrase" in auth["message"].lower()

    hedge = cli.scenario("bybit", "hedge_mode")
    code, report = _connect(cli, "bybit", hedge["credentials"])
    assert (code, report["status"], report["stored"]) == (3, "action_required", True)


def test_missing_field_is_an_input_error_naming_the_field(cli: Cli) -> None:
    result = cli.run(
        "connect",
        "bitget",
        "--environment",
        "sandbox",
        "--credentials",
        "-",
        "--json",
        stdin=json.dumps({"api_key": "bg_0123456789abcdef0123456789abcdef", "secret": "x" * 64}),
    )
    assert result.code == 2
    error = result.json()["error"]
    assert error["field"] == "passphrase"
    assert "passphrase" in error["fix"].lower() or "passphrase" in error["message"].lower()


def test_unreachable_exchange_stores_nothing_and_exits_5(cli: Cli) -> None:
    preset = cli.scenario("bybit", "healthy")
    cli.sim("bybit", "/_sim/faults", {"error": "http_503_html"})
    code, report = _connect(cli, "bybit", preset["credentials"])
    assert (code, report["status"], report["stored"]) == (5, "unreachable", False)
    assert all(c["outcome"] != "fail" or c["id"] == "exchange.reachable" for c in report["checks"])


def test_replace_with_another_accounts_key_keeps_the_old_key(cli: Cli) -> None:
    first = cli.scenario("bybit", "healthy")
    code, report = _connect(cli, "bybit", first["credentials"])
    assert code == 0
    connection_id = report["connection_id"]
    other = cli.scenario("bybit", "healthy")  # a new account, so another uid

    result = cli.run("replace", connection_id, "--credentials", "-", "--json", stdin=json.dumps(other["credentials"]))
    assert result.code == 2
    assert result.json()["error"]["type"] == "AccountChangedError"

    shown = cli.run("show", connection_id, "--json").json()
    assert shown["masked_key"].endswith(first["credentials"]["api_key"][-4:])
    checked = cli.run("check", connection_id, "--json")
    assert checked.code == 0, checked.stdout


def test_replace_with_a_new_key_of_the_same_account(cli: Cli) -> None:
    first = cli.scenario("bybit", "healthy")
    code, report = _connect(cli, "bybit", first["credentials"])
    assert code == 0
    connection_id = report["connection_id"]
    new_key = cli.new_key(
        "bybit",
        {"uid": first["uid"], "permissions": {"ContractTrade": ["Order", "Position"]}, "ips": ["127.0.0.1"]},
    )
    result = cli.run("replace", connection_id, "--credentials", "-", "--json", stdin=json.dumps(new_key))
    assert result.code == 0, result.stdout + result.stderr
    shown = cli.run("show", connection_id, "--json").json()
    assert shown["masked_key"].endswith(new_key["api_key"][-4:])


def test_remove_destroys_the_connection(cli: Cli) -> None:
    preset = cli.scenario("bybit", "healthy")
    _, report = _connect(cli, "bybit", preset["credentials"])
    connection_id = report["connection_id"]
    removed = cli.run("remove", connection_id, "--json", "--yes")
    assert removed.code == 0
    assert removed.json()["secrets_destroyed"] is True
    gone = cli.run("show", connection_id, "--json")
    assert gone.code == 2
    assert gone.json()["error"]["type"] == "NotFoundError"


def test_balances_show_wallets_and_usd_total(cli: Cli) -> None:
    preset = cli.scenario("bybit", "healthy")
    _, report = _connect(cli, "bybit", preset["credentials"])
    result = cli.run("balances", report["connection_id"], "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["balances"]
    assert float(data["total_usd"]) > 0


def test_guide_names_the_passphrase_trap_and_the_platform_ips(cli: Cli) -> None:
    result = cli.run("guide", "bitget")
    assert result.code == 0
    assert "passphrase" in result.stdout.lower()
    assert "127.0.0.1" in result.stdout
    data = cli.run("guide", "bybit", "--json").json()
    assert any("One-Way" in step for s in data["sections"] for step in s["steps"])
