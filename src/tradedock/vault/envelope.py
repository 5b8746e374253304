"""The envelope format: sealed records, their binding context, and the AES-256-GCM primitives with AAD.

What belongs here: the data shapes stored for a connection (`SealedSecrets`), the context every ciphertext is
bound to (`SealContext`), wrapped vault-internal keys (`WrappedKey`), the canonical associated-data encoding
and the raw seal/open of one blob. What does not: key rings (`keys.py`), the `Vault` façade (`vault.py`), SQL.

Layout of every blob: ``nonce (12 bytes) || ciphertext || tag (16 bytes)`` (``cryptography`` AESGCM output is
``ciphertext || tag``). Associated data (security.md §2.6) is a canonical length-prefixed encoding: a 4-byte
big-endian count of parts, then per part a 4-byte big-endian length and its UTF-8 bytes (integers as decimal
text). So ``("a", "bc")`` and ``("ab", "c")`` never collide, and a ciphertext copied to another owner,
connection, exchange or field no longer authenticates.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
TAG_BYTES = 16
DEK_BYTES = 32
#: The AAD layout version written today; `open` accepts every version in `SUPPORTED_AAD_VERSIONS`.
AAD_VERSION = 1
SUPPORTED_AAD_VERSIONS = frozenset({1})

FIELD_PURPOSE = "conn-secret"
DEK_PURPOSE = "dek"
META_KEY_PURPOSE = "vault-meta-key"


class SealedMaterial(Protocol):
    """Anything shaped like `SealedSecrets` (the database layer returns its own record with these attributes)."""

    @property
    def kek_id(self) -> str: ...

    @property
    def wrapped_dek(self) -> bytes: ...

    @property
    def fields(self) -> Mapping[str, bytes]: ...

    @property
    def aad_version(self) -> int: ...


class WrappedKeyMaterial(Protocol):
    """Anything shaped like `WrappedKey` (e.g. a ``vault_meta`` row)."""

    @property
    def kek_id(self) -> str: ...

    @property
    def wrapped(self) -> bytes: ...

    @property
    def aad_version(self) -> int: ...


@dataclass(frozen=True)
class SealContext:
    """What a connection's ciphertexts are bound to. All public facts; none of them is secret."""

    owner_id: str
    connection_id: str
    exchange: str


@dataclass(frozen=True, repr=False)
class SealedSecrets:
    """One connection's sealed fields and its wrapped data key. Safe to store; ``repr`` shows no bytes."""

    kek_id: str
    wrapped_dek: bytes
    fields: Mapping[str, bytes] = field(default_factory=dict)
    aad_version: int = AAD_VERSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", MappingProxyType({k: bytes(v) for k, v in self.fields.items()}))
        object.__setattr__(self, "wrapped_dek", bytes(self.wrapped_dek))

    def __repr__(self) -> str:
        return (
            f"SealedSecrets(kek_id={self.kek_id!r}, aad_version={self.aad_version}, "
            f"fields={sorted(self.fields)!r}, sealed=***)"
        )

    __str__ = __repr__

    @classmethod
    def of(cls, material: SealedMaterial) -> SealedSecrets:
        """Copy any `SealedMaterial` (e.g. a database record) into a `SealedSecrets`."""
        if isinstance(material, SealedSecrets):
            return material
        return cls(material.kek_id, material.wrapped_dek, dict(material.fields), material.aad_version)


@dataclass(frozen=True, repr=False)
class WrappedKey:
    """A vault-internal key (the fingerprint key) wrapped by a master key; stored in ``vault_meta``."""

    kek_id: str
    wrapped: bytes
    aad_version: int = AAD_VERSION

    def __repr__(self) -> str:
        return f"WrappedKey(kek_id={self.kek_id!r}, aad_version={self.aad_version}, wrapped=***)"

    __str__ = __repr__


def encode_aad(*parts: str | int) -> bytes:
    """Canonical, unambiguous encoding of the associated-data tuple."""
    out = bytearray(struct.pack(">I", len(parts)))
    for part in parts:
        data = str(part).encode("utf-8")
        out += len(data).to_bytes(4, "big")
        out += data
    return bytes(out)


def field_aad(aad_version: int, context: SealContext, field_name: str) -> bytes:
    return encode_aad(FIELD_PURPOSE, aad_version, context.owner_id, context.connection_id, context.exchange, field_name)


def dek_aad(aad_version: int, context: SealContext, kek_id: str) -> bytes:
    return encode_aad(DEK_PURPOSE, aad_version, context.owner_id, context.connection_id, kek_id)


def meta_key_aad(aad_version: int, name: str, kek_id: str) -> bytes:
    return encode_aad(META_KEY_PURPOSE, aad_version, name, kek_id)


def cipher(key: bytes | AESGCM) -> AESGCM:
    """The AES-256-GCM cipher of a key; callers sealing or opening several blobs under one key build it once."""
    return key if isinstance(key, AESGCM) else AESGCM(key)


def seal_blob(key: bytes | AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM with a fresh random nonce: ``nonce || ciphertext || tag``."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + cipher(key).encrypt(nonce, plaintext, aad)


def open_blob(key: bytes | AESGCM, blob: object, aad: bytes) -> bytes | None:
    """The plaintext, or ``None`` when the blob is malformed (not bytes, too short) or does not authenticate."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        return None
    blob = bytes(blob)
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        return None
    try:
        return cipher(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        return None


def new_data_key() -> bytes:
    return os.urandom(DEK_BYTES)
