"""`tradedock vault rotate` and the startup canary, through the real command."""

from __future__ import annotations

import base64
import os

from tests.cli.conftest import Cli


def _key(name: str) -> str:
    return f"{name}:{base64.b64encode(os.urandom(32)).decode()}"


def _connect_healthy(cli: Cli) -> str:
    preset = cli.scenario("bybit", "healthy")
    result = cli.connect("bybit", preset["credentials"])
    assert result.code == 0, result.stdout + result.stderr
    connection_id: str = result.json()["connection_id"]
    return connection_id


def test_rotation_moves_every_row_and_the_old_key_can_then_go(cli: Cli) -> None:
    old, new = _key("k2025"), _key("k2026")
    cli.env["TRADEDOCK_MASTER_KEY"] = old
    ids = [_connect_healthy(cli) for _ in range(3)]

    cli.env["TRADEDOCK_MASTER_KEY"] = f"{new},{old}"
    rotated = cli.run("vault", "rotate", "--json")
    assert rotated.code == 0, rotated.stderr
    assert rotated.json() == {"primary_key_id": "k2026", "moved": 3, "remaining_on_old_keys": 0}

    cli.env["TRADEDOCK_MASTER_KEY"] = new  # old key retired
    for connection_id in ids:
        checked = cli.run("check", connection_id, "--json")
        assert checked.code == 0, checked.stdout + checked.stderr


def test_a_wrong_master_key_fails_loudly_at_start_naming_the_count(cli: Cli) -> None:
    cli.env["TRADEDOCK_MASTER_KEY"] = _key("k2025")
    _connect_healthy(cli)
    _connect_healthy(cli)
    cli.env["TRADEDOCK_MASTER_KEY"] = _key("k2025")  # same id, different bytes
    result = cli.run("list", "--json")
    assert result.code == 1
    error = result.json()["error"]
    assert error["type"] == "MasterKeyError"
    assert "2" in error["message"]
    assert "TRADEDOCK_MASTER_KEY" in error["fix"]
    plain = cli.run("list")
    assert plain.code == 1
    assert "Traceback" not in plain.stderr and "MasterKeyError" not in plain.stderr
