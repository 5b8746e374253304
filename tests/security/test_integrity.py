"""Tampering with a connection's sealed rows is an integrity error — exit 6 and a message saying so — never
`invalid`, never a traceback, and the stored status is left alone (issue 18 items 1, 2 and 5)."""

from __future__ import annotations

import json
from typing import Any

from tests.security.conftest import InProcessCli

EXIT_INTEGRITY = 6


def _connect(tcli: InProcessCli, exchange: str) -> str:
    result = tcli.connect(exchange, tcli.healthy(exchange))
    assert result.code == 0, result.stdout + result.stderr
    connection_id: str = result.json()["connection_id"]
    return connection_id


def _status(tcli: InProcessCli, connection_id: str) -> str:
    rows = tcli.raw.execute("SELECT status FROM connections WHERE id = ?", (connection_id,))
    return str(rows[0][0])


def _assert_integrity_error(tcli: InProcessCli, connection_id: str, reason: str) -> dict[str, Any]:
    before = _status(tcli, connection_id)
    for command in (("check", connection_id), ("balances", connection_id)):
        result = tcli.run(*command, "--json")
        assert result.code == EXIT_INTEGRITY, result.stdout + result.stderr
        error: dict[str, Any] = result.json()["error"]
        assert error["type"] == "VaultIntegrityError"
        assert error["reason"] == reason
        assert error["connection_id"] == connection_id
        assert error["message"].startswith("Integrity error")
        assert "tradedock replace" in error["fix"]
        plain = tcli.run(*command)
        assert plain.code == EXIT_INTEGRITY
        assert "Integrity error" in plain.stderr and "Traceback" not in plain.stderr + plain.stdout
    assert _status(tcli, connection_id) == before  # never turned into `invalid`
    assert any(reason in line and connection_id in line for line in tcli.log)  # the operator's record
    # Everything that does not open the secrets still works.
    assert tcli.run("list", "--json").code == 0
    assert tcli.run("show", connection_id, "--json").code == 0
    return error


def test_a_deleted_field_row_is_an_integrity_error(tcli: InProcessCli) -> None:
    connection_id = _connect(tcli, "bitget")
    tcli.raw.execute(
        "DELETE FROM connection_secret_fields WHERE connection_id = ? AND field = 'passphrase'", (connection_id,)
    )
    error = _assert_integrity_error(tcli, connection_id, "field_missing")
    assert "passphrase" in error["message"]


def test_sealed_rows_rolled_back_after_replace_are_an_integrity_error(tcli: InProcessCli) -> None:
    connection_id = _connect(tcli, "bybit")
    saved_secret = tcli.raw.execute(
        "SELECT kek_id, wrapped_dek, aad_version FROM connection_secrets WHERE connection_id = ?", (connection_id,)
    )[0]
    saved_fields = tcli.raw.execute(
        "SELECT field, ciphertext FROM connection_secret_fields WHERE connection_id = ?", (connection_id,)
    )
    uid = tcli.raw.execute("SELECT account_uid FROM connections WHERE id = ?", (connection_id,))[0][0]
    new_key = tcli.sim(
        "bybit",
        "/_sim/keys",
        {"uid": uid, "permissions": {"ContractTrade": ["Order", "Position"]}, "ips": ["127.0.0.1"]},
    )
    replaced = tcli.run(
        "replace", connection_id, "--credentials", "-", "--json",
        stdin=json.dumps({k: new_key[k] for k in ("api_key", "secret")}),
    )  # fmt: skip
    assert replaced.code == 0, replaced.stdout + replaced.stderr
    # Write the old sealed rows back (what a restore of an old backup of just these tables would do).
    tcli.raw.execute(
        "UPDATE connection_secrets SET kek_id = ?, wrapped_dek = ?, aad_version = ? WHERE connection_id = ?",
        (*saved_secret, connection_id),
    )
    tcli.raw.execute("DELETE FROM connection_secret_fields WHERE connection_id = ?", (connection_id,))
    for name, blob in saved_fields:
        tcli.raw.execute(
            "INSERT INTO connection_secret_fields (connection_id, field, ciphertext) VALUES (?, ?, ?)",
            (connection_id, name, blob),
        )
    _assert_integrity_error(tcli, connection_id, "key_version_mismatch")


def test_a_field_swapped_between_two_connections_is_an_integrity_error(tcli: InProcessCli) -> None:
    first, second = _connect(tcli, "bybit"), _connect(tcli, "bybit")
    blob = tcli.raw.execute(
        "SELECT ciphertext FROM connection_secret_fields WHERE connection_id = ? AND field = 'secret'", (first,)
    )[0][0]
    tcli.raw.execute(
        "UPDATE connection_secret_fields SET ciphertext = ? WHERE connection_id = ? AND field = 'secret'",
        (blob, second),
    )
    error = _assert_integrity_error(tcli, second, "field_altered")
    assert "field secret" in error["message"]
    assert tcli.run("check", first, "--json").code == 0  # the other connection is untouched


def test_a_text_value_in_a_ciphertext_column_is_an_integrity_error(tcli: InProcessCli) -> None:
    connection_id = _connect(tcli, "bybit")
    other = _connect(tcli, "bybit")
    if tcli.raw.backend == "sqlite":  # SQLite keeps the type written: a TEXT value in a BLOB column
        tcli.raw.execute(
            "UPDATE connection_secret_fields SET ciphertext = 'not a ciphertext at all, just text' "
            "WHERE connection_id = ? AND field = 'api_key'",
            (connection_id,),
        )
    else:  # bytea holds bytes only: the closest is text converted to bytes
        tcli.raw.execute(
            "UPDATE connection_secret_fields SET ciphertext = convert_to('not a ciphertext at all', 'UTF8') "
            "WHERE connection_id = ? AND field = 'api_key'",
            (connection_id,),
        )
    _assert_integrity_error(tcli, connection_id, "field_altered")
    assert tcli.run("check", other, "--json").code == 0


def test_an_unexpected_extra_field_is_described_without_its_name(tcli: InProcessCli) -> None:
    connection_id = _connect(tcli, "bybit")
    blob = tcli.raw.execute(
        "SELECT ciphertext FROM connection_secret_fields WHERE connection_id = ? AND field = 'secret'",
        (connection_id,),
    )[0][0]
    planted = "PLANTEDNAME" * 3
    tcli.raw.execute(
        "INSERT INTO connection_secret_fields (connection_id, field, ciphertext) VALUES (?, ?, ?)",
        (connection_id, planted, blob),
    )
    error = _assert_integrity_error(tcli, connection_id, "field_unexpected")
    assert planted not in error["message"] and "33 characters" in error["message"]


def test_text_in_the_wrapped_data_key_column_is_that_connections_integrity_error(tcli: InProcessCli) -> None:
    connection_id, other = _connect(tcli, "bybit"), _connect(tcli, "bybit")
    if tcli.raw.backend == "sqlite":
        sql = "UPDATE connection_secrets SET wrapped_dek = 'text, not a wrapped key' WHERE connection_id = ?"
    else:
        sql = (
            "UPDATE connection_secrets SET wrapped_dek = convert_to('text, not a key', 'UTF8') WHERE connection_id = ?"
        )
    tcli.raw.execute(sql, (connection_id,))
    _assert_integrity_error(tcli, connection_id, "data_key_altered")
    assert tcli.run("check", other, "--json").code == 0  # start-up and the other connections are unaffected


def test_check_all_reports_the_damaged_connection_and_checks_the_rest(tcli: InProcessCli) -> None:
    damaged, healthy = _connect(tcli, "bitget"), _connect(tcli, "bybit")
    tcli.raw.execute("DELETE FROM connection_secret_fields WHERE connection_id = ? AND field = 'secret'", (damaged,))
    result = tcli.run("check", "--all", "--json")
    assert result.code == EXIT_INTEGRITY, result.stdout + result.stderr
    text = result.stdout
    assert "VaultIntegrityError" in text and damaged in text and healthy in text
    assert _status(tcli, healthy) == "connected"


def test_a_deleted_wrapped_data_key_row_is_an_integrity_error(tcli: InProcessCli) -> None:
    connection_id, other = _connect(tcli, "bybit"), _connect(tcli, "bybit")
    tcli.raw.execute("DELETE FROM connection_secret_fields WHERE connection_id = ?", (connection_id,))
    tcli.raw.execute("DELETE FROM connection_secrets WHERE connection_id = ?", (connection_id,))
    error = _assert_integrity_error(tcli, connection_id, "secrets_missing")
    assert "deleted" in error["message"]
    assert tcli.run("check", other, "--json").code == 0
