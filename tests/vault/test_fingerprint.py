"""Fingerprints: keyed, normalised for whitespace only (EVM addresses also for case), stable, per deployment."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import pytest

from tradedock.errors import VaultError
from tradedock.vault import Vault, normalize_public_id, parse_key_spec


def make_vault() -> Vault:
    return Vault(parse_key_spec(f"k1:{base64.b64encode(os.urandom(32)).decode()}"))


@pytest.fixture
def vault() -> Vault:
    v = make_vault()
    v.new_fingerprint_key()
    return v


def test_not_available_before_the_key_is_loaded() -> None:
    with pytest.raises(VaultError, match="check_vault"):
        make_vault().fingerprint("bybit", "ABCDEF123456")


def test_whitespace_is_ignored_case_is_not(vault: Vault) -> None:
    base = vault.fingerprint("bybit", "AbCdEf123456")
    assert vault.fingerprint("bybit", "  AbCdEf123456\n") == base
    assert vault.fingerprint("bybit", "AbCd Ef12\t3456\u200b") == base
    assert vault.fingerprint("bybit", "abcdef123456") != base
    assert len(base) == 64 and int(base, 16) >= 0


def test_evm_addresses_ignore_case(vault: Vault) -> None:
    address = "0x52908400098527886E0F7030069857D2E4169EE7"
    assert vault.fingerprint("aster", address) == vault.fingerprint("aster", address.lower())
    assert normalize_public_id(" " + address) == address.lower()


def test_exchange_is_part_of_the_input(vault: Vault) -> None:
    assert vault.fingerprint("bybit", "KEY123456") != vault.fingerprint("bitget", "KEY123456")


def test_keyed_not_a_plain_hash(vault: Vault) -> None:
    public = "KEY123456"
    fp = vault.fingerprint("bybit", public)
    assert fp != hashlib.sha256(public.encode()).hexdigest()
    assert fp != hmac.new(b"", public.encode(), hashlib.sha256).hexdigest()
    assert public not in fp


def test_differs_across_deployments(vault: Vault) -> None:
    other = make_vault()
    other.new_fingerprint_key()
    assert vault.fingerprint("bybit", "KEY123456") != other.fingerprint("bybit", "KEY123456")


def test_stable_across_master_key_rotation() -> None:
    old_b64 = base64.b64encode(os.urandom(32)).decode()
    old = Vault(parse_key_spec(f"old:{old_b64}"))
    stored = old.new_fingerprint_key()
    before = old.fingerprint("bitget", "bg_abc")

    new_b64 = base64.b64encode(os.urandom(32)).decode()
    rotated = Vault(parse_key_spec(f"new:{new_b64},old:{old_b64}"))
    rewrapped = rotated.rewrap_key("fingerprint_key", stored)
    assert rewrapped.kek_id == "new"
    rotated.load_fingerprint_key(stored)
    assert rotated.fingerprint("bitget", "bg_abc") == before

    new_only = Vault(parse_key_spec(f"new:{new_b64}"))  # old key removed after rotation
    new_only.load_fingerprint_key(rewrapped)
    assert new_only.fingerprint("bitget", "bg_abc") == before
