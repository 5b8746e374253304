"""Explaining why TradeDock could not start: a database that cannot be reached or opened becomes a clear error.

What belongs here: recognising failures to open the database (PostgreSQL down or refusing, wrong credentials,
an SQLite file or data directory that cannot be created) by walking an exception's cause chain, and naming the
setting to fix — without importing the drivers and without repeating a password. What does not: opening
anything (context.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tradedock.config_light import HomeSettings
from tradedock.errors import UserFixableError

#: Driver exceptions that mean "could not open/reach the database" (matched by class name and module).
_UNAVAILABLE = ("OperationalError", "InterfaceError", "ConnectionTimeout", "ConnectionFailure")


class DatabaseUnavailableError(UserFixableError):
    """The database named by the settings cannot be reached or opened."""


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _first_line(exc: BaseException, secret: str | None) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    text = text.removeprefix("(psycopg.OperationalError) ").removeprefix("(sqlite3.OperationalError) ")
    if secret:
        text = text.replace(secret, "***")
    return text[:300]


def database_error(exc: BaseException, settings: HomeSettings) -> DatabaseUnavailableError | None:
    """A clear error if ``exc`` means the configured database could not be reached or opened, else ``None``."""
    for item in _chain(exc):
        kind = type(item)
        driver = kind.__module__.split(".")[0]
        if driver in ("sqlalchemy", "psycopg", "sqlite3", "aiosqlite") and kind.__name__ in _UNAVAILABLE:
            return _explain(settings, _first_line(item, urlsplit(settings.database_url or "").password))
        if isinstance(item, ConnectionError) and settings.database_url:
            return _explain(settings, item.strerror or type(item).__name__)
        if isinstance(item, OSError) and not isinstance(item, ConnectionError):
            return DatabaseUnavailableError(
                f"cannot use the data directory {settings.home}: {item.strerror or type(item).__name__}"
                + (f" ({item.filename})" if item.filename else ""),
                fix="Point TRADEDOCK_HOME at a directory you can write to (it is created if missing).",
            )
    return None


def _explain(settings: HomeSettings, reason: str) -> DatabaseUnavailableError:
    if settings.database_url:
        parts = urlsplit(settings.database_url)
        where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
        return DatabaseUnavailableError(
            f"cannot reach the PostgreSQL database at {where}: {reason}",
            fix="Start PostgreSQL or correct TRADEDOCK_DATABASE_URL (host, port, user, password, database).",
        )
    return DatabaseUnavailableError(
        f"cannot open the SQLite database in {settings.home}: {reason}",
        fix="Point TRADEDOCK_HOME at a directory you can write to.",
    )
