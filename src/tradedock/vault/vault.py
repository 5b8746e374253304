"""The `Vault`: seal, open and re-wrap connection secrets; compute keyed fingerprints. Built by `open_vault`.

What belongs here: envelope encryption over a `KeyRing` (a fresh data key per `seal`, each field sealed under
it with AAD bound to owner/connection/exchange/field, the data key wrapped by the primary master key), plus the
fingerprint key (random, wrapped like a data key and stored by the caller in ``vault_meta``). What does not:
SQL (the repositories store what this returns), HTTP, or deciding when to rotate (services/vault_admin.py).

Error messages name key ids, connection ids and field names — public facts — and never a value.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tradedock.config_light import HomeSettings
from tradedock.errors import MasterKeyError, VaultError, VaultIntegrityError
from tradedock.vault.envelope import (
    AAD_VERSION,
    DEK_BYTES,
    SUPPORTED_AAD_VERSIONS,
    SealContext,
    SealedMaterial,
    SealedSecrets,
    WrappedKey,
    WrappedKeyMaterial,
    cipher,
    dek_aad,
    field_aad,
    meta_key_aad,
    new_data_key,
    open_blob,
    seal_blob,
)
from tradedock.vault.fingerprint import compute_fingerprint
from tradedock.vault.integrity import check_field_set, check_fingerprint, field_mismatch, wrap_mismatch
from tradedock.vault.keys import ENV_VARIABLE, FILE_VARIABLE, KeyRing, MasterKey, load_key_ring

logger = logging.getLogger(__name__)

#: The ``vault_meta`` row name under which the wrapped fingerprint key is stored.
FINGERPRINT_KEY_NAME = "fingerprint_key"


class Vault:
    """Envelope encryption over a master-key ring. Stateless apart from the loaded fingerprint key."""

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring
        self._fingerprint_key: bytes | None = None
        self._ciphers: dict[str, AESGCM] = {}  # per master key id, built on first use

    @property
    def created_key_file(self) -> Path | None:
        """The master key file this start generated (first run), else None."""
        return self._ring.created_file

    def __repr__(self) -> str:
        return f"Vault(primary_key_id={self.primary_key_id!r}, key_ids={list(self.key_ids)!r})"

    @property
    def primary_key_id(self) -> str:
        return self._ring.primary.key_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._ring.keys)

    # --- connection secrets ------------------------------------------------------------------------------

    def seal(self, fields: Mapping[str, str], context: SealContext) -> SealedSecrets:
        """Seal every field under a fresh data key; the data key is wrapped by the primary master key."""
        if not fields:
            raise VaultError("nothing to seal: no credential fields were given")
        dek = new_data_key()
        aead = cipher(dek)
        sealed: dict[str, bytes] = {}
        for name, value in fields.items():
            if not name or not isinstance(name, str):
                raise VaultError("cannot seal a field without a name")
            if not isinstance(value, str):
                raise VaultError(f"field {name!r} must be text to be sealed, got {type(value).__name__}")
            sealed[name] = seal_blob(aead, value.encode("utf-8"), field_aad(AAD_VERSION, context, name))
        primary = self._ring.primary
        wrapped = seal_blob(self._cipher(primary), dek, dek_aad(AAD_VERSION, context, primary.key_id))
        return SealedSecrets(kek_id=primary.key_id, wrapped_dek=wrapped, fields=sealed, aad_version=AAD_VERSION)

    def open(self, sealed: SealedMaterial, context: SealContext) -> dict[str, str]:
        """Every field's plaintext. Raises `MasterKeyError` (data key) or `VaultError` (a field).

        Services open a connection's secrets with `open_connection`, which checks the set as a whole.
        """
        aead = cipher(self._unwrap_dek(sealed, context))
        out: dict[str, str] = {}
        for name, blob in sealed.fields.items():
            plain = open_blob(aead, blob, field_aad(sealed.aad_version, context, name))
            if plain is None:
                raise field_mismatch(context.connection_id, name)
            out[name] = plain.decode("utf-8")
        return out

    def open_connection(
        self,
        sealed: SealedMaterial,
        context: SealContext,
        *,
        required: Collection[str],
        public_field: str,
        fingerprint: str,
    ) -> dict[str, str]:
        """Open a connection's sealed set, checked as a whole (see `tradedock.vault.integrity`).

        ``required`` are the exchange's credential fields, ``public_field`` the one fingerprinted, and
        ``fingerprint`` the value stored on the connection row. Any damage raises `VaultIntegrityError`; a
        master key id that is not configured still raises `MasterKeyError` (a deployment problem).
        """
        self._master_key(sealed.kek_id, f"the data key of connection {context.connection_id}")
        try:
            check_field_set(context.connection_id, list(sealed.fields), required)
            try:
                fields = self.open(sealed, context)
            except MasterKeyError:
                raise wrap_mismatch(context.connection_id, sealed.kek_id) from None
            actual = self.fingerprint(context.exchange, fields[public_field])
            check_fingerprint(context.connection_id, actual, fingerprint)
        except VaultIntegrityError as error:
            # The operator's record: connection id and the kind of damage, never a value.
            logger.warning("vault integrity error: connection %s: %s", error.connection_id, error.reason)
            raise
        return fields

    def verify(self, sealed: SealedMaterial, context: SealContext) -> None:
        """Check that the data key unwraps (the startup canary); fields stay sealed. Raises like `open`."""
        self._unwrap_dek(sealed, context)

    def rewrap(self, sealed: SealedMaterial, context: SealContext) -> SealedSecrets:
        """Re-wrap the data key under the primary master key; field ciphertexts are left untouched."""
        if sealed.kek_id == self.primary_key_id and sealed.aad_version == AAD_VERSION:
            return SealedSecrets.of(sealed)
        dek = self._unwrap_dek(sealed, context)
        primary = self._ring.primary
        # Field AADs carry the aad_version they were sealed with, so only the wrap may move to the new version
        # when the field layout is unchanged; today there is one version, so keep the record's own.
        version = sealed.aad_version
        wrapped = seal_blob(self._cipher(primary), dek, dek_aad(version, context, primary.key_id))
        return SealedSecrets(
            kek_id=primary.key_id, wrapped_dek=wrapped, fields=dict(sealed.fields), aad_version=version
        )

    def _master_key(self, kek_id: str, what: str) -> MasterKey:
        key = self._ring.keys.get(kek_id)
        if key is None:
            raise MasterKeyError(
                f"{what} is sealed under master key {kek_id!r}, which is not configured (configured: "
                f"{', '.join(self.key_ids)}); add that key to {ENV_VARIABLE} or {FILE_VARIABLE} "
                "(restore it from your backup)",
                fix=f"add master key {kek_id!r} back to {ENV_VARIABLE} or {FILE_VARIABLE}",
            )
        return key

    def _cipher(self, key: MasterKey) -> AESGCM:
        """The master key's cipher, built once per vault (data keys are wrapped and unwrapped by the thousand)."""
        aead = self._ciphers.get(key.key_id)
        if aead is None:
            aead = self._ciphers[key.key_id] = cipher(key.material)
        return aead

    def _unwrap_dek(self, sealed: SealedMaterial, context: SealContext) -> bytes:
        if sealed.aad_version not in SUPPORTED_AAD_VERSIONS:
            raise VaultError(
                f"connection {context.connection_id} uses sealing format {sealed.aad_version}, which this "
                "version of TradeDock does not know; upgrade TradeDock"
            )
        what = f"the data key of connection {context.connection_id}"
        key = self._master_key(sealed.kek_id, what)
        dek = open_blob(self._cipher(key), sealed.wrapped_dek, dek_aad(sealed.aad_version, context, key.key_id))
        if dek is None or len(dek) != DEK_BYTES:
            raise MasterKeyError(
                f"{what} does not unwrap with master key {key.key_id!r}: the configured key with that id is not "
                "the one it was sealed with, or the stored data was altered or moved to another row",
                fix=f"configure the original master key {key.key_id!r}",
            )
        return dek

    # --- fingerprints --------------------------------------------------------------------------------------

    @property
    def has_fingerprint_key(self) -> bool:
        return self._fingerprint_key is not None

    def new_fingerprint_key(self) -> WrappedKey:
        """Generate and load a fresh fingerprint key; store the returned wrapped key (``vault_meta``)."""
        key = new_data_key()
        wrapped = self.wrap_key(FINGERPRINT_KEY_NAME, key)
        self._fingerprint_key = key
        return wrapped

    def load_fingerprint_key(self, wrapped: WrappedKeyMaterial) -> None:
        """Unwrap and load the stored fingerprint key. Raises `MasterKeyError` if no configured key opens it."""
        self._fingerprint_key = self.unwrap_key(FINGERPRINT_KEY_NAME, wrapped)

    def fingerprint(self, exchange: str, public_id: str) -> str:
        """Keyed HMAC-SHA256 hex of the normalised public id; stable across master-key rotation."""
        if self._fingerprint_key is None:
            raise VaultError(
                "the fingerprint key is not loaded; run services.vault_admin.check_vault(session, vault) at "
                "startup before connecting keys"
            )
        return compute_fingerprint(self._fingerprint_key, exchange, public_id)

    # --- vault-internal keys -------------------------------------------------------------------------------

    def wrap_key(self, name: str, key: bytes) -> WrappedKey:
        primary = self._ring.primary
        return WrappedKey(
            primary.key_id, seal_blob(primary.material, key, meta_key_aad(AAD_VERSION, name, primary.key_id))
        )

    def unwrap_key(self, name: str, wrapped: WrappedKeyMaterial) -> bytes:
        what = f"the vault's {name.replace('_', ' ')}"
        if wrapped.aad_version not in SUPPORTED_AAD_VERSIONS:
            raise VaultError(f"{what} uses sealing format {wrapped.aad_version}, unknown to this TradeDock")
        key = self._master_key(wrapped.kek_id, what)
        plain = open_blob(key.material, wrapped.wrapped, meta_key_aad(wrapped.aad_version, name, key.key_id))
        if plain is None:
            raise MasterKeyError(
                f"{what} does not unwrap with master key {key.key_id!r}: the configured key with that id is not "
                "the one it was sealed with",
                fix=f"configure the original master key {key.key_id!r}",
            )
        return plain

    def rewrap_key(self, name: str, wrapped: WrappedKeyMaterial) -> WrappedKey:
        """Re-wrap a vault-internal key under the primary master key."""
        if wrapped.kek_id == self.primary_key_id:
            return WrappedKey(wrapped.kek_id, bytes(wrapped.wrapped), wrapped.aad_version)
        return self.wrap_key(name, self.unwrap_key(name, wrapped))


def open_vault(settings: HomeSettings) -> Vault:
    """The vault for these settings; generates ``$TRADEDOCK_HOME/master.key`` (0600) on first run (then
    ``created_key_file`` says so: tell the user to back it up)."""
    return Vault(load_key_ring(settings))
