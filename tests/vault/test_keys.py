"""Master keys: parsing the variable and file, refusing bad keys without echoing them, the generated key file."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from tradedock.config import load_settings
from tradedock.errors import MasterKeyError
from tradedock.vault import SealContext, open_vault, parse_key_spec
from tradedock.vault.keys import derive_key_id, load_key_ring, read_key_file


def b64key(seed: int | None = None) -> str:
    material = os.urandom(32) if seed is None else bytes((seed * 7 + i * 13) % 256 for i in range(32))
    return base64.b64encode(material).decode()


class TestParseKeySpec:
    def test_single_key_gets_an_id_derived_from_it(self) -> None:
        key = b64key()
        ring = parse_key_spec(key)
        material = base64.b64decode(key)
        assert ring.primary.key_id == derive_key_id(material)
        assert ring.primary.material == material
        assert list(ring.keys) == [ring.primary.key_id]

    def test_several_keys_first_is_primary(self) -> None:
        ring = parse_key_spec(f"new:{b64key()}, old:{b64key()}")
        assert ring.primary.key_id == "new"
        assert list(ring.keys) == ["new", "old"]

    def test_urlsafe_base64_accepted(self) -> None:
        material = bytes(range(200, 232))  # contains bytes that encode to '-' and '_' in URL-safe base64
        ring = parse_key_spec(base64.urlsafe_b64encode(material).decode())
        assert ring.primary.material == material

    @pytest.mark.parametrize(
        ("spec", "reason"),
        [
            ("", "no master key"),
            ("changeme", "base64"),
            (base64.b64encode(os.urandom(16)).decode(), "16 bytes"),
            (base64.b64encode(os.urandom(48)).decode(), "48 bytes"),
            (base64.b64encode(bytes(32)).decode(), "placeholder"),
            (base64.b64encode(b"A" * 32).decode(), "placeholder"),
            ("bad id:" + base64.b64encode(os.urandom(32)).decode(), "key id"),
        ],
        ids=["empty", "not-base64", "16-bytes", "48-bytes", "zeros", "repeated-byte", "bad-key-id"],  # xdist: stable
    )
    def test_bad_keys_are_refused_with_the_variable_named(self, spec: str, reason: str) -> None:
        with pytest.raises(MasterKeyError) as caught:
            parse_key_spec(spec)
        message = str(caught.value)
        assert "TRADEDOCK_MASTER_KEY" in message
        assert reason in message
        if spec:
            assert spec.split(":")[-1] not in message  # never echo key material

    def test_duplicate_ids_refused(self) -> None:
        with pytest.raises(MasterKeyError, match="appears twice"):
            parse_key_spec(f"a:{b64key()},a:{b64key()}")

    def test_repr_hides_material(self) -> None:
        key = b64key()
        ring = parse_key_spec(f"k1:{key}")
        assert key not in repr(ring) and key not in repr(ring.primary)
        assert base64.b64decode(key).hex() not in repr(ring.primary)


class TestKeySources:
    def test_variable_wins_and_vault_uses_it(self, tradedock_home: Path) -> None:
        key = b64key()
        vault = open_vault(load_settings(master_key=SecretStr(f"prod:{key}")))
        assert vault.primary_key_id == "prod"
        assert not (tradedock_home / "master.key").exists()

    def test_key_file_one_per_line_with_comments(self, tmp_path: Path) -> None:
        path = tmp_path / "keys"
        path.write_text(f"# rotated 2026-11\nk2:{b64key()}\n\nk1:{b64key()}\n")
        path.chmod(0o600)
        ring = read_key_file(path, "TRADEDOCK_MASTER_KEY_FILE")
        assert list(ring.keys) == ["k2", "k1"]
        assert ring.primary.key_id == "k2"

    def test_missing_explicit_file_is_an_error_not_a_new_key(self, tradedock_home: Path, tmp_path: Path) -> None:
        missing = tmp_path / "nope.key"
        with pytest.raises(MasterKeyError, match="TRADEDOCK_MASTER_KEY_FILE") as caught:
            load_key_ring(load_settings(master_key_file=missing))
        assert str(missing) in str(caught.value)
        assert not missing.exists()

    def test_both_sources_refused(self, tradedock_home: Path, tmp_path: Path) -> None:
        path = tmp_path / "k"
        path.write_text(b64key())
        with pytest.raises(MasterKeyError, match="set only one"):
            load_key_ring(load_settings(master_key=SecretStr(b64key()), master_key_file=path))

    def test_malformed_file_names_file_and_line(self, tmp_path: Path, tradedock_home: Path) -> None:
        path = tmp_path / "keys"
        path.write_text(f"k1:{b64key()}\nk2:not-a-key\n")
        path.chmod(0o600)
        with pytest.raises(MasterKeyError) as caught:
            load_key_ring(load_settings(master_key_file=path))
        assert "entry 2" in str(caught.value) and str(path) in str(caught.value)


class TestGeneratedKeyFile:
    def test_first_run_creates_home_0700_and_key_file_0600(self, tradedock_home: Path) -> None:
        assert not tradedock_home.exists()
        settings = load_settings()
        vault = open_vault(settings)
        key_file = settings.default_master_key_file
        assert key_file == tradedock_home / "master.key"
        assert stat.S_IMODE(os.stat(tradedock_home).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        lines = [line for line in key_file.read_text().splitlines() if not line.startswith("#")]
        assert len(lines) == 1
        key_id, material = lines[0].split(":", 1)
        assert vault.primary_key_id == key_id
        assert key_id == derive_key_id(base64.b64decode(material))

    def test_second_run_reuses_the_same_key(self, tradedock_home: Path) -> None:
        first = open_vault(load_settings())
        sealed = first.seal({"secret": "s3cr3t-value"}, _ctx())
        second = open_vault(load_settings())
        assert second.primary_key_id == first.primary_key_id
        assert second.open(sealed, _ctx()) == {"secret": "s3cr3t-value"}

    def test_different_homes_get_different_keys(self, tmp_path: Path, tradedock_home: Path) -> None:
        a = open_vault(load_settings(home=tmp_path / "a"))
        b = open_vault(load_settings(home=tmp_path / "b"))
        assert a.primary_key_id != b.primary_key_id

    def test_empty_generated_file_is_refused(self, tradedock_home: Path) -> None:
        settings = load_settings()
        tradedock_home.mkdir(mode=0o700)
        settings.default_master_key_file.write_text("# nothing here\n")
        settings.default_master_key_file.chmod(0o600)
        with pytest.raises(MasterKeyError, match="no master key"):
            open_vault(settings)


def _ctx() -> SealContext:
    return SealContext(owner_id="u1", connection_id="c1", exchange="bybit")
