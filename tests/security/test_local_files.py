"""The data directory, key files and database files: owner and mode checked with a clear refusal and fix;
files created 0600; nothing written through a symlink; the first run tells the user to back up the key
(issue 18 item 3, issue 9)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.security.conftest import InProcessCli
from tradedock.config import load_settings
from tradedock.db import make_engine
from tradedock.localfiles import UnsafeFileError, check_key_file, ensure_private_dir, write_private_file
from tradedock.vault.keys import generate_key_line

pytestmark = pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX owners and modes")
ROOT = os.geteuid() == 0


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _error(stdout: str) -> dict[str, str]:
    error: dict[str, str] = json.loads(stdout)["error"]
    return error


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_first_run_creates_private_files_and_says_to_back_up_the_key(tcli: InProcessCli) -> None:
    result = tcli.run("list", "--json")
    assert result.code == 0, result.stdout + result.stderr
    assert mode(tcli.home) == 0o700
    key_file = tcli.home / "master.key"
    assert mode(key_file) == 0o600
    assert "Back it up" in result.stderr and str(key_file) in result.stderr and "start over" in result.stderr
    assert json.loads(result.stdout) == []  # the note never pollutes --json output
    assert tcli.connect("bybit", tcli.healthy("bybit")).code == 0
    assert mode(tcli.home / "tradedock.db") == 0o600
    again = tcli.run("list")
    assert "Back it up" not in again.stderr  # said once, on the run that generated it


async def test_the_database_and_its_wal_and_shm_are_0600_while_open(tmp_path: Path) -> None:
    path = tmp_path / "data" / "tradedock.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
            await connection.execute(text("INSERT INTO t VALUES (1)"))
        async with engine.connect() as connection:  # held open: -wal and -shm exist now
            await connection.execute(text("SELECT x FROM t"))
            for name in ("tradedock.db", "tradedock.db-wal", "tradedock.db-shm"):
                assert mode(path.parent / name) == 0o600, name
    finally:
        await engine.dispose()


async def test_an_existing_world_readable_database_of_ours_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "tradedock.db"
    path.touch()
    os.chmod(path, 0o644)
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await engine.dispose()
    assert mode(path) == 0o600


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_existing_home_is_never_chmodded(tcli: InProcessCli) -> None:
    tcli.home.mkdir(mode=0o755)
    os.chmod(tcli.home, 0o755)
    assert tcli.run("list", "--json").code == 0
    assert mode(tcli.home) == 0o755  # e.g. TRADEDOCK_HOME=$HOME stays as it was


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_home_others_can_write_is_refused_with_the_fix(tcli: InProcessCli) -> None:
    tcli.home.mkdir()
    os.chmod(tcli.home, 0o777)
    result = tcli.run("list", "--json")
    assert result.code == 2
    error = _error(result.stdout)
    assert error["field"] == "TRADEDOCK_HOME" and "plant" in error["message"]
    assert f"chmod go-w {tcli.home}" in error["fix"]
    assert not (tcli.home / "master.key").exists()
    plain = tcli.run("list")
    assert plain.code == 2 and "Traceback" not in plain.stderr


@pytest.mark.skipif(not ROOT, reason="needs root to create a directory owned by another user")
def test_a_home_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "foreign"
    home.mkdir(mode=0o700)
    os.chown(home, 12345, 12345)
    with pytest.raises(UnsafeFileError, match="owned by another user") as caught:
        ensure_private_dir(home, "TRADEDOCK_HOME")
    assert caught.value.field == "TRADEDOCK_HOME"


@pytest.mark.skipif(not ROOT, reason="needs root to create a file owned by another user")
def test_a_key_file_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "planted.key"
    key.write_text(generate_key_line())
    os.chmod(key, 0o600)
    os.chown(key, 12345, 12345)
    with pytest.raises(UnsafeFileError, match="owned by another user"):
        check_key_file(key, "TRADEDOCK_MASTER_KEY_FILE")


def test_a_foreign_owned_home_is_refused_whoever_runs_the_test(tmp_path: Path) -> None:
    # Without root we cannot chown; a directory owned by root (not us) stands in for a foreign one.
    if ROOT:
        pytest.skip("running as root: covered by the chown test above")
    with pytest.raises(UnsafeFileError, match="owned by another user"):
        ensure_private_dir(Path("/"), "TRADEDOCK_HOME")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("file_mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_others_can_read_is_refused(tcli: InProcessCli, tmp_path: Path, file_mode: int) -> None:
    key = tmp_path / "keys" / "master.key"
    key.parent.mkdir(mode=0o700)
    key.write_text(generate_key_line() + "\n")
    os.chmod(key, file_mode)
    tcli.env["TRADEDOCK_MASTER_KEY_FILE"] = str(key)
    result = tcli.run("list", "--json")
    assert result.code == 2, result.stdout
    error = _error(result.stdout)
    assert error["field"] == "TRADEDOCK_MASTER_KEY_FILE"
    assert f"mode {file_mode:04o}" in error["message"] and error["fix"] == f"chmod 600 {key}"
    os.chmod(key, 0o400)
    assert tcli.run("list", "--json").code == 0


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_generated_key_file_loosened_later_is_refused(tcli: InProcessCli) -> None:
    assert tcli.run("list", "--json").code == 0
    os.chmod(tcli.home / "master.key", 0o644)
    result = tcli.run("list", "--json")
    assert result.code == 2 and _error(result.stdout)["field"] == "TRADEDOCK_HOME"


def test_a_key_file_in_a_directory_others_can_write_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    key = shared / "master.key"
    key.write_text(generate_key_line())
    os.chmod(key, 0o600)
    with pytest.raises(UnsafeFileError, match="could replace the key"):
        check_key_file(key, "TRADEDOCK_MASTER_KEY_FILE")
    os.chmod(shared, 0o1777)  # sticky, like /tmp: others cannot replace our file
    check_key_file(key, "TRADEDOCK_MASTER_KEY_FILE")


def test_state_files_are_replaced_not_written_through_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    home = tmp_path / "home"
    home.mkdir()
    target = home / "sandbox-urls.json"
    target.symlink_to(victim)
    write_private_file(target, '{"bybit": "http://127.0.0.1:1"}')
    assert victim.read_text() == "precious"
    assert not target.is_symlink() and mode(target) == 0o600
    assert json.loads(target.read_text()) == {"bybit": "http://127.0.0.1:1"}
    assert [p.name for p in home.iterdir()] == ["sandbox-urls.json"]  # no temp file left behind


def test_the_settings_home_helper_creates_0700(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "a" / "b")
    from tradedock.config import ensure_home

    ensure_home(settings)
    assert mode(tmp_path / "a" / "b") == 0o700
