"""Files and directories on the local disk that hold or guard secrets: who owns them and who may touch them.

What belongs here: checking and creating TradeDock's private data directory (``TRADEDOCK_HOME``), key files
(the master key), the SQLite database with its ``-wal``/``-shm`` files, and small state files written by
replacing them atomically (never through a symlink). What does not: parsing keys (tradedock.vault.keys) or
settings (tradedock.config).

Why: anyone who can write to TRADEDOCK_HOME can plant their own ``master.key`` — TradeDock would then seal every
new secret under a key they hold. So an existing directory must be owned by the user running TradeDock and not
writable by group or others, and a key file must be owned by that user (or root, e.g. an orchestrator's secret
mount) and readable by nobody else. TradeDock never changes the mode of a directory it did not create (pointing
TRADEDOCK_HOME at ``$HOME`` must not lock the home directory); it refuses with the command that fixes it.
Platforms without POSIX owners and modes (Windows) skip the checks.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from tradedock.errors import InvalidInputError

_POSIX = hasattr(os, "geteuid")


class UnsafeFileError(InvalidInputError):
    """A directory or file that holds secrets is owned or accessible by someone else; ``field`` is the setting."""


def _euid() -> int:
    return os.geteuid() if _POSIX else -1


def _mode(st: os.stat_result) -> str:
    return f"{stat.S_IMODE(st.st_mode):04o}"


def check_private_dir(path: Path, setting: str) -> None:
    """An existing data directory must be ours and not writable by group or others."""
    try:
        st = path.stat()
    except OSError as exc:
        raise UnsafeFileError(
            setting, f"{path} cannot be read ({type(exc).__name__})", fix=f"Check {setting}."
        ) from None
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeFileError(setting, f"{path} is not a directory", fix=f"Point {setting} at a directory.")
    if not _POSIX:
        return
    if st.st_uid != _euid():
        raise UnsafeFileError(
            setting,
            f"{path} is owned by another user (uid {st.st_uid}); they could plant their own master key in it",
            fix=f"Point {setting} at a directory you own (or unset it), or as root: chown {_euid()} {path}",
        )
    if st.st_mode & 0o022:
        raise UnsafeFileError(
            setting,
            f"{path} can be written by {_who(st.st_mode, 0o020, 0o002)} (mode {_mode(st)}); they could plant their "
            "own master key in it",
            fix=f"chmod go-w {path}   (or point {setting} at a private directory)",
        )


def ensure_private_dir(path: Path, setting: str) -> Path:
    """Create the directory with mode 0700 (parents as needed), or check an existing one; never chmod it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        check_private_dir(path, setting)
    else:
        os.chmod(path, 0o700)  # mkdir's mode is masked by the umask
    return path


def check_key_file(path: Path, setting: str) -> None:
    """A key file must be ours (or root's) and neither readable nor writable by anyone else.

    A root-owned file may be group-readable (an orchestrator's secret mount with ``fsGroup``), never more.
    The directory holding it must not let others replace it.
    """
    if not _POSIX:
        return
    st = path.stat()
    owner_ok = st.st_uid in (_euid(), 0)
    if not owner_ok:
        raise UnsafeFileError(
            setting,
            f"the master key file {path} is owned by another user (uid {st.st_uid}); they could have planted it",
            fix=f"Use a key file you own: chown {_euid()} {path} (as root), or restore your own key file",
        )
    allowed = 0o040 if st.st_uid == 0 and st.st_uid != _euid() else 0
    if stat.S_IMODE(st.st_mode) & 0o077 & ~allowed:
        raise UnsafeFileError(
            setting,
            f"the master key file {path} has mode {_mode(st)}: other users can "
            f"{'write' if st.st_mode & 0o022 else 'read'} it",
            fix=f"chmod 600 {path}",
        )
    parent = path.resolve().parent
    pst = parent.stat()
    if pst.st_uid not in (_euid(), 0) or (pst.st_mode & 0o022 and not pst.st_mode & stat.S_ISVTX):
        raise UnsafeFileError(
            setting,
            f"the directory {parent} holding the master key file can be written by other users (owner uid "
            f"{pst.st_uid}, mode {_mode(pst)}); they could replace the key",
            fix=f"Keep the key file in a directory only you can write (chmod go-w {parent}), or move it",
        )


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists; tighten our own existing file (and its SQLite
    ``-wal``/``-shm`` companions, which SQLite creates with the database file's mode) to 0600."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    if not _POSIX:
        return
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            st = candidate.stat()
        except FileNotFoundError:
            continue
        if st.st_uid == _euid() and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(candidate, 0o600)


def write_private_file(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text`` in a new 0600 file; a symlink at ``path`` is replaced, not
    followed (so nobody can redirect the write to a file of their choosing)."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp: 0600, O_EXCL
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _who(mode: int, group_bit: int, other_bit: int) -> str:
    parts = [name for name, bit in (("its group", group_bit), ("other users", other_bit)) if mode & bit]
    return " and ".join(parts) or "others"
