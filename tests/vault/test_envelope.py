"""Sealing and opening: round trips, and every tampering or misplacement fails (security.md §6 target 3)."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradedock.errors import MasterKeyError, VaultError
from tradedock.vault import SealContext, SealedSecrets, Vault, parse_key_spec
from tradedock.vault.envelope import NONCE_BYTES, dek_aad, encode_aad, field_aad

CTX = SealContext(owner_id="owner-a", connection_id="conn-1", exchange="bitget")
FIELDS = {"api_key": "bg_0123456789abcdef", "secret": "S" * 40 + "xyz", "passphrase": "pass phrase ✓"}


def make_vault(spec: str | None = None) -> Vault:
    return Vault(parse_key_spec(spec or f"k1:{base64.b64encode(os.urandom(32)).decode()}"))


KEY_B64 = base64.b64encode(os.urandom(32)).decode()
VAULT = make_vault(f"k1:{KEY_B64}")
SEALED = VAULT.seal(FIELDS, CTX)


def flip(blob: bytes, bit: int) -> bytes:
    index = bit % (len(blob) * 8)
    data = bytearray(blob)
    data[index // 8] ^= 1 << (index % 8)
    return bytes(data)


class TestRoundTrip:
    def test_open_returns_what_was_sealed(self) -> None:
        assert VAULT.open(SEALED, CTX) == FIELDS

    @settings(max_examples=100, deadline=None)
    @given(st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=200), min_size=1, max_size=5))
    def test_any_fields_round_trip(self, fields: dict[str, str]) -> None:
        assert VAULT.open(VAULT.seal(fields, CTX), CTX) == fields

    def test_fresh_dek_and_nonces_every_seal(self) -> None:
        again = VAULT.seal(FIELDS, CTX)
        assert again.wrapped_dek != SEALED.wrapped_dek
        assert {blob[:NONCE_BYTES] for blob in again.fields.values()}.isdisjoint(
            blob[:NONCE_BYTES] for blob in SEALED.fields.values()
        )

    def test_layout_is_nonce_ct_tag_and_aad_is_as_specified(self) -> None:
        # Decrypt by hand with the documented layout and AAD, independent of Vault.open.
        key = base64.b64decode(KEY_B64)
        wrapped = SEALED.wrapped_dek
        dek = AESGCM(key).decrypt(wrapped[:12], wrapped[12:], dek_aad(1, CTX, "k1"))
        blob = SEALED.fields["secret"]
        assert len(blob) == 12 + len(FIELDS["secret"]) + 16
        plain = AESGCM(dek).decrypt(blob[:12], blob[12:], field_aad(1, CTX, "secret"))
        assert plain.decode() == FIELDS["secret"]
        assert field_aad(1, CTX, "secret") == encode_aad("conn-secret", 1, "owner-a", "conn-1", "bitget", "secret")

    def test_aad_encoding_is_unambiguous(self) -> None:
        assert encode_aad("ab", "c") != encode_aad("a", "bc")
        assert encode_aad("a", "") != encode_aad("a")

    def test_repr_shows_no_bytes(self) -> None:
        text = repr(SEALED)
        assert "k1" in text and "sealed=***" in text
        for blob in (SEALED.wrapped_dek, *SEALED.fields.values()):
            assert blob.hex()[:16] not in text and repr(blob)[:12] not in text

    def test_empty_and_non_text_refused(self) -> None:
        with pytest.raises(VaultError):
            VAULT.seal({}, CTX)
        with pytest.raises(VaultError, match="must be text"):
            VAULT.seal({"secret": b"bytes"}, CTX)  # type: ignore[dict-item]


_PARTS = st.sampled_from(["wrapped_dek", "api_key", "secret", "passphrase"])


class TestTampering:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(part=_PARTS, bit=st.integers(min_value=0, max_value=10_000))
    def test_any_single_bit_flip_fails(self, part: str, bit: int) -> None:
        if part == "wrapped_dek":
            tampered = replace(SEALED, wrapped_dek=flip(SEALED.wrapped_dek, bit))
            expected: type[Exception] = MasterKeyError
        else:
            fields = dict(SEALED.fields)
            fields[part] = flip(fields[part], bit)
            tampered = replace(SEALED, fields=fields)
            expected = VaultError
        with pytest.raises(expected) as caught:
            VAULT.open(tampered, CTX)
        for value in FIELDS.values():
            assert value not in str(caught.value)

    @settings(max_examples=200, deadline=None)
    @given(
        owner=st.sampled_from(["owner-a", "owner-b"]),
        connection=st.sampled_from(["conn-1", "conn-2"]),
        exchange=st.sampled_from(["bitget", "bybit"]),
    )
    def test_wrong_context_fails_unless_identical(self, owner: str, connection: str, exchange: str) -> None:
        other = SealContext(owner, connection, exchange)
        if other == CTX:
            assert VAULT.open(SEALED, other) == FIELDS
            return
        with pytest.raises(VaultError):
            VAULT.open(SEALED, other)

    @settings(max_examples=100, deadline=None)
    @given(source=st.sampled_from(sorted(FIELDS)), target=st.sampled_from(sorted(FIELDS)))
    def test_ciphertext_moved_to_another_field_fails(self, source: str, target: str) -> None:
        if source == target:
            return
        fields = dict(SEALED.fields)
        fields[target] = SEALED.fields[source]
        with pytest.raises(VaultError, match=f"field {target} "):
            VAULT.open(replace(SEALED, fields=fields), CTX)

    def test_ciphertext_moved_to_another_row_fails_even_with_its_dek(self) -> None:
        # Another connection of the same owner: copy one field blob across, and also copy the whole record.
        other_ctx = SealContext("owner-a", "conn-2", "bitget")
        other = VAULT.seal({"api_key": "x" * 20, "secret": "y" * 30, "passphrase": "z" * 10}, other_ctx)
        fields = dict(other.fields)
        fields["secret"] = SEALED.fields["secret"]
        with pytest.raises(VaultError):
            VAULT.open(replace(other, fields=fields), other_ctx)
        with pytest.raises(MasterKeyError):
            VAULT.open(SEALED, other_ctx)

    def test_truncated_blobs_fail(self) -> None:
        with pytest.raises(MasterKeyError):
            VAULT.open(replace(SEALED, wrapped_dek=SEALED.wrapped_dek[:20]), CTX)
        fields = dict(SEALED.fields)
        fields["secret"] = b""
        with pytest.raises(VaultError):
            VAULT.open(replace(SEALED, fields=fields), CTX)

    def test_kek_id_relabelled_fails(self) -> None:
        # Same key material under another id: the wrap AAD names the id, so it must not open.
        relabelled = make_vault(f"k2:{KEY_B64},k1:{KEY_B64}")
        with pytest.raises(MasterKeyError, match="does not unwrap"):
            relabelled.open(replace(SEALED, kek_id="k2"), CTX)

    def test_unsupported_aad_version(self) -> None:
        with pytest.raises(VaultError, match="format 9"):
            VAULT.open(replace(SEALED, aad_version=9), CTX)


class TestMasterKeys:
    def test_wrong_key_same_id_fails_with_master_key_error(self) -> None:
        with pytest.raises(MasterKeyError, match="'k1'"):
            make_vault().open(SEALED, CTX)

    def test_unknown_key_id_names_it_and_the_fix(self) -> None:
        stranger = make_vault(f"k9:{base64.b64encode(os.urandom(32)).decode()}")
        with pytest.raises(MasterKeyError, match=r"'k1'.*not configured") as caught:
            stranger.open(SEALED, CTX)
        assert "TRADEDOCK_MASTER_KEY" in str(caught.value)

    def test_rewrap_moves_to_primary_keeps_fields(self) -> None:
        ring = make_vault(f"k2:{base64.b64encode(os.urandom(32)).decode()},k1:{KEY_B64}")
        moved = ring.rewrap(SEALED, CTX)
        assert moved.kek_id == "k2"
        assert moved.fields == SEALED.fields
        assert moved.wrapped_dek != SEALED.wrapped_dek
        assert ring.open(moved, CTX) == FIELDS
        assert ring.rewrap(moved, CTX) == moved  # idempotent
        with pytest.raises(MasterKeyError):
            VAULT.open(moved, CTX)  # the old ring alone no longer opens it

    def test_sealed_secrets_of_copies_any_record(self) -> None:
        @dataclass(frozen=True)
        class Record:
            kek_id: str = SEALED.kek_id
            wrapped_dek: bytes = SEALED.wrapped_dek
            fields: Mapping[str, bytes] = field(default_factory=lambda: dict(SEALED.fields))
            aad_version: int = 1

        copy = SealedSecrets.of(Record())
        assert copy == SEALED
        assert VAULT.open(Record(), CTX) == FIELDS
