"""`Vault.open_connection` checks a connection's sealed set as a whole: every damage is a `VaultIntegrityError`
with a reason, never wrong plaintext, a `KeyError` or a verdict on the exchange key."""

from __future__ import annotations

import base64
import os
from dataclasses import replace

import pytest

from tradedock.errors import MasterKeyError, VaultIntegrityError
from tradedock.vault import SealContext, Vault, parse_key_spec

CTX = SealContext("owner-a", "conn-1", "bitget")
REQUIRED = ("api_key", "secret", "passphrase")
FIELDS = {"api_key": "bg_" + "a1" * 16, "secret": "s3" * 32, "passphrase": "Passphrase123"}


def make_vault() -> Vault:
    vault = Vault(parse_key_spec(f"k1:{base64.b64encode(os.urandom(32)).decode()}"))
    vault.new_fingerprint_key()
    return vault


VAULT = make_vault()
SEALED = VAULT.seal(FIELDS, CTX)
FINGERPRINT = VAULT.fingerprint("bitget", FIELDS["api_key"])


def open_(sealed: object = SEALED, fingerprint: str = FINGERPRINT, vault: Vault = VAULT) -> dict[str, str]:
    return vault.open_connection(
        sealed,  # type: ignore[arg-type]
        CTX,
        required=REQUIRED,
        public_field="api_key",
        fingerprint=fingerprint,
    )


def test_an_intact_set_opens() -> None:
    assert open_() == FIELDS


@pytest.mark.parametrize("missing", REQUIRED)
def test_a_missing_field_is_named(missing: str) -> None:
    fields = {k: v for k, v in SEALED.fields.items() if k != missing}
    with pytest.raises(VaultIntegrityError, match=f"lack the field\\(s\\) {missing}") as caught:
        open_(replace(SEALED, fields=fields))
    assert caught.value.reason == "field_missing" and caught.value.connection_id == "conn-1"


def test_an_extra_field_is_described_by_its_length_only() -> None:
    fields = {**SEALED.fields, "sk_live_0123456789": SEALED.fields["secret"]}
    with pytest.raises(VaultIntegrityError, match="18 characters") as caught:
        open_(replace(SEALED, fields=fields))
    assert "sk_live" not in caught.value.message


def test_the_sealed_set_of_another_key_version_is_refused() -> None:
    older = VAULT.seal({**FIELDS, "api_key": "bg_" + "b2" * 16}, CTX)  # same connection, earlier key
    with pytest.raises(VaultIntegrityError) as caught:
        open_(older)
    assert caught.value.reason == "key_version_mismatch"


def test_a_wrapped_data_key_from_another_connection_is_an_integrity_error() -> None:
    other = VAULT.seal(FIELDS, SealContext("owner-a", "conn-2", "bitget"))
    with pytest.raises(VaultIntegrityError) as caught:
        open_(replace(SEALED, wrapped_dek=other.wrapped_dek))
    assert caught.value.reason == "data_key_altered"


def test_text_in_place_of_a_blob_is_an_integrity_error() -> None:
    fields = {**SEALED.fields}
    sealed = replace(SEALED, fields=fields)
    object.__setattr__(sealed, "fields", {**fields, "secret": "plain text"})
    with pytest.raises(VaultIntegrityError) as caught:
        open_(sealed)
    assert caught.value.reason == "field_altered"


def test_an_unconfigured_master_key_is_still_a_deployment_error() -> None:
    with pytest.raises(MasterKeyError, match="not configured"):
        open_(replace(SEALED, kek_id="k-gone"))


def test_no_message_holds_a_value() -> None:
    damaged = [
        replace(SEALED, fields={k: v for k, v in SEALED.fields.items() if k != "secret"}),
        VAULT.seal({**FIELDS, "api_key": "bg_" + "c3" * 16}, CTX),
        replace(SEALED, fields={**SEALED.fields, "secret": SEALED.fields["passphrase"]}),
    ]
    for sealed in damaged:
        with pytest.raises(VaultIntegrityError) as caught:
            open_(sealed)
        text = f"{caught.value.message} {caught.value.fix} {caught.value.evidence()}"
        assert not any(value in text for value in FIELDS.values())
