"""Master keys (key-encryption keys, KEKs): parsing, validation, the key ring and the generated key file.

What belongs here: turning ``TRADEDOCK_MASTER_KEY`` / ``TRADEDOCK_MASTER_KEY_FILE`` (or the key file generated
on first run at ``$TRADEDOCK_HOME/master.key``) into a `KeyRing` of 32-byte keys, each named by a key id, the
first one primary. What does not: encrypting anything (see `envelope.py`), or the database.

Format, for the variable and the file alike (see docs/operations-vault.md)::

    <base64 of 32 random bytes>                     one key; its id is derived from the key ("k-1a2b3c4d")
    id1:<base64 32 bytes>,id2:<base64 32 bytes>     several keys (variable: comma-separated; file: one per line)

The first key is the primary (it wraps new data keys); every key unwraps data keys that name its id.
Error messages name the variable or file and the fix, never the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from tradedock.config_light import HomeSettings, ensure_home
from tradedock.errors import MasterKeyError
from tradedock.localfiles import check_key_file

KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
#: A random 32-byte key has ~31 distinct byte values; fewer than this means a placeholder such as all zeros.
_MIN_DISTINCT_BYTES = 12
ENV_VARIABLE = "TRADEDOCK_MASTER_KEY"
FILE_VARIABLE = "TRADEDOCK_MASTER_KEY_FILE"
GENERATE_HINT = 'generate a key with: python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"'


@dataclass(frozen=True, repr=False)
class MasterKey:
    """One key-encryption key. ``repr`` shows the id only."""

    key_id: str
    material: bytes = field(compare=False)

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id!r}, material=***)"

    __str__ = __repr__


@dataclass(frozen=True, repr=False)
class KeyRing:
    """Master keys by id; ``primary`` wraps, all unwrap. Built by `parse_key_spec` or `load_key_ring`."""

    primary: MasterKey
    keys: Mapping[str, MasterKey]
    source: str
    #: Set when this start generated the key file (first run): the user must be told to back it up.
    created_file: Path | None = None

    def __repr__(self) -> str:
        return f"KeyRing(primary={self.primary.key_id!r}, key_ids={list(self.keys)!r}, source={self.source!r})"

    __str__ = __repr__


def derive_key_id(material: bytes) -> str:
    """A short, stable id for a key given without one: a truncated hash, useless for guessing a 256-bit key."""
    return "k-" + hashlib.sha256(b"tradedock-kek-id\x00" + material).hexdigest()[:8]


def generate_key_line() -> str:
    """A fresh ``<id>:<base64>`` line for a key file or the variable."""
    material = os.urandom(KEY_BYTES)
    return f"{derive_key_id(material)}:{base64.b64encode(material).decode()}"


def _decode_material(text: str, where: str) -> bytes:
    cleaned = text.strip()
    if not cleaned:
        raise MasterKeyError(f"{where}: the key is empty; {GENERATE_HINT}", fix=GENERATE_HINT)
    # Accept standard and URL-safe base64 alike; anything else (spaces inside, stray characters) is an error.
    standard = cleaned.replace("-", "+").replace("_", "/")
    try:
        decoded = base64.b64decode(standard.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise MasterKeyError(f"{where}: the key is not valid base64; {GENERATE_HINT}", fix=GENERATE_HINT) from None
    if len(decoded) != KEY_BYTES:
        raise MasterKeyError(
            f"{where}: the key decodes to {len(decoded)} bytes but must be exactly {KEY_BYTES} random bytes; "
            f"{GENERATE_HINT}",
            fix=GENERATE_HINT,
        )
    if len(set(decoded)) < _MIN_DISTINCT_BYTES:
        raise MasterKeyError(
            f"{where}: the key looks like a placeholder (too few distinct bytes), not random key material; "
            f"{GENERATE_HINT}",
            fix=GENERATE_HINT,
        )
    return decoded


def parse_key_entries(entries: Iterable[str], source: str) -> KeyRing:
    """Build a ring from ``[id:]base64`` entries; ``source`` names the variable or file in error messages."""
    keys: dict[str, MasterKey] = {}
    order: list[str] = []
    for position, raw in enumerate(entries, start=1):
        entry = raw.strip()
        where = f"{source}, entry {position}"
        key_id: str | None = None
        material_text = entry
        if ":" in entry:
            key_id, material_text = (part.strip() for part in entry.split(":", 1))
            if not _KEY_ID.match(key_id):
                raise MasterKeyError(
                    f"{where}: key id {key_id[:32]!r} is not valid; use 1-32 letters, digits, '.', '_' or '-' "
                    "before the colon, e.g. 'k2026:<base64 key>'",
                    fix="name each key like 'k2026:<base64 key>'",
                )
        material = _decode_material(material_text, where)
        key_id = key_id or derive_key_id(material)
        if key_id in keys:
            raise MasterKeyError(
                f"{where}: key id {key_id!r} appears twice; give every key its own id",
                fix="give every key its own id",
            )
        keys[key_id] = MasterKey(key_id, material)
        order.append(key_id)
    if not order:
        raise MasterKeyError(f"{source}: no master key found; {GENERATE_HINT}", fix=GENERATE_HINT)
    return KeyRing(primary=keys[order[0]], keys=MappingProxyType(keys), source=source)


def parse_key_spec(spec: str, source: str = ENV_VARIABLE) -> KeyRing:
    """Parse the variable's value: one key, or comma-separated ``id:key`` entries (first primary)."""
    return parse_key_entries([part for part in spec.split(",") if part.strip()], source)


def _file_entries(text: str) -> list[str]:
    entries: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            entries.extend(part for part in stripped.split(",") if part.strip())
    return entries


def read_key_file(path: Path, source: str, setting: str = FILE_VARIABLE) -> KeyRing:
    """Read a key file (one ``[id:]base64`` per line, ``#`` comments allowed) that only we can read or write.

    ``setting`` names what the operator changes to fix an unsafe file (the variable, or TRADEDOCK_HOME).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MasterKeyError(
            f"{source}: the master key file {path} does not exist; point {FILE_VARIABLE} at the file holding "
            "your master key (restore it from your backup)",
            fix=f"point {FILE_VARIABLE} at an existing key file",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MasterKeyError(
            f"{source}: the master key file {path} cannot be read ({type(exc).__name__}); check its permissions",
            fix="make the key file readable by the TradeDock user only (chmod 600)",
        ) from None
    check_key_file(path, setting)
    return parse_key_entries(_file_entries(text), f"{source} ({path})")


def _create_default_key_file(path: Path) -> bool:
    """Write a fresh key file with mode 0600; if another process won the race, keep its file (False).

    The file is written completely under a temporary name, then published with ``os.link`` (atomic, fails if
    the name exists): a process starting at the same moment never reads a half-written key file."""
    line = generate_key_line()
    content = (
        "# TradeDock master key (key-encryption key). Back this file up apart from the database:\n"
        "# without it no stored exchange key can be opened. First line is the primary key.\n"
        f"{line}\n"
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.write(fd, content.encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        temporary.unlink(missing_ok=True)
    return True


def load_key_ring(settings: HomeSettings) -> KeyRing:
    """The configured ring: the variable, else the key file, else the generated default key file."""
    if settings.master_key is not None and settings.master_key_file is not None:
        raise MasterKeyError(
            f"both {ENV_VARIABLE} and {FILE_VARIABLE} are set; set only one (put every key in it, primary first)",
            fix=f"unset {ENV_VARIABLE} or {FILE_VARIABLE}",
        )
    if settings.master_key is not None:
        return parse_key_spec(settings.master_key.get_secret_value(), ENV_VARIABLE)
    if settings.master_key_file is not None:
        return read_key_file(settings.master_key_file, FILE_VARIABLE)
    path = settings.default_master_key_file
    ensure_home(settings)
    created = not path.exists() and _create_default_key_file(path)
    ring = read_key_file(
        path, f"generated key file (set {FILE_VARIABLE} or {ENV_VARIABLE} to use your own)", "TRADEDOCK_HOME"
    )
    return replace(ring, created_file=path) if created else ring
