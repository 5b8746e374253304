"""The few settings that opening the data directory, the database and the vault needs — read without pydantic.

Why a module of their own: ``tradedock list`` and ``show`` must start in well under 0.3 s (issue 9), and importing
pydantic and building `config.Settings` was about half of their start. They need only ``TRADEDOCK_HOME``,
``TRADEDOCK_DATABASE_URL``, ``TRADEDOCK_MASTER_KEY`` and ``TRADEDOCK_MASTER_KEY_FILE``: `load_light_settings`
reads those with exactly `config.load_settings`'s rules and error messages (a test compares the two on good and
bad values), and gives up (``None``) when the environment sets any other setting, whose value only the full
model validates — so a bad ``TRADEDOCK_LOG_LEVEL`` fails ``list`` as it fails every command.

What belongs here: `LightSettings`, the `HomeSettings` protocol both it and `config.Settings` satisfy (what the
vault, `ensure_home` and the database diagnosis read), and what `config` and this module share without pydantic:
the setting names, the environment lookup, the database URL check, `SettingError`. What does not: any other
setting (config.py).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from tradedock.errors import InvalidInputError

ENV_PREFIX = "TRADEDOCK_"

#: Every setting's name, as `config.Settings` declares them (a test keeps the two equal).
SETTING_NAMES = frozenset(
    {
        "home",
        "database_url",
        "master_key",
        "master_key_file",
        "egress_ips",
        "sandbox_urls",
        "sandbox_allow_remote",
        "withdraw_policy",
        "transfer_policy",
        "balance_minimums",
        "expiry_warn_days",
        "clock_warn_ms",
        "http_timeout_s",
        "http_connect_timeout_s",
        "http_rate_wait_s",
        "open_signup",
        "secure_cookies",
        "rate_limit_storage",
        "monitor_interval_s",
        "monitor_jitter",
        "monitor_backoff_s",
        "monitor_lease_s",
        "monitor_batch",
        "monitor_poll_s",
        "monitor_unreachable_after",
        "monitor_in_serve",
        "history_days",
        "bot_lease_s",
        "bot_reconcile_s",
        "webhook_timeout_s",
        "webhook_max_attempts",
        "webhook_backoff_s",
        "webhook_disable_after",
        "webhook_allow_private",
        "log_level",
    }
)
#: The settings `LightSettings` holds.
LIGHT_NAMES = frozenset({"home", "database_url", "master_key", "master_key_file"})


class SecretText(Protocol):
    """A secret value (pydantic's ``SecretStr`` or `Secret`): shown masked, read with ``get_secret_value``."""

    def get_secret_value(self) -> str: ...


class HomeSettings(Protocol):
    """What opening the data directory, the database and the vault reads from the settings."""

    @property
    def home(self) -> Path: ...
    @property
    def database_url(self) -> str | None: ...
    @property
    def master_key(self) -> SecretText | None: ...
    @property
    def master_key_file(self) -> Path | None: ...
    @property
    def resolved_database_url(self) -> str: ...
    @property
    def default_master_key_file(self) -> Path: ...


class Secret:
    """A secret string that never shows itself in a repr or a traceback (as pydantic's ``SecretStr``)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__


def sqlite_url(home: Path) -> str:
    """The default database: SQLite in the data directory."""
    return f"sqlite+aiosqlite:///{home / 'tradedock.db'}"


@dataclass(frozen=True)
class LightSettings:
    """The settings of `LIGHT_NAMES`, as `config.Settings` holds them (build with `load_light_settings`)."""

    home: Path
    database_url: str | None = None
    master_key: Secret | None = None
    master_key_file: Path | None = None

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or sqlite_url(self.home)

    @property
    def default_master_key_file(self) -> Path:
        return self.home / "master.key"


def default_home() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("tradedock", appauthor=False))


def environment_values() -> dict[str, str]:
    """The ``TRADEDOCK_<SETTING>`` variables that name a setting, by setting name (``TRADEDOCK_HOME`` →
    ``home``); variable names are matched case-insensitively, other variables are ignored."""
    found: dict[str, str] = {}
    for variable, value in os.environ.items():
        upper = variable.upper()
        if upper.startswith(ENV_PREFIX) and (name := upper.removeprefix(ENV_PREFIX).lower()) in SETTING_NAMES:
            found[name] = value
    return found


def load_light_settings() -> LightSettings | None:
    """`LightSettings` from the environment, with `config.load_settings`'s rules and errors (`SettingError`), or
    ``None`` when the environment sets a setting outside `LIGHT_NAMES` (then use `config.load_settings`, which
    validates it)."""
    values = environment_values()
    if not values.keys() <= LIGHT_NAMES:
        return None
    database_url = values.get("database_url")
    if database_url is not None:
        try:
            database_url = clean_database_url(database_url)
        except ValueError as exc:
            raise setting_error("database_url", str(exc)) from None
    home, key, key_file = values.get("home"), values.get("master_key"), values.get("master_key_file")
    return LightSettings(
        home=default_home() if home is None else Path(home),
        database_url=database_url,
        master_key=None if key is None else Secret(key),
        master_key_file=None if key_file is None else Path(key_file),
    )


_SQLITE = re.compile(r"^sqlite\+aiosqlite:///")
_POSTGRES = re.compile(r"^postgresql\+psycopg://")


def clean_database_url(value: str | None) -> str | None:
    """``TRADEDOCK_DATABASE_URL`` as the settings hold it: ``None`` when blank, else `check_database_url`."""
    if value is None or not value.strip():
        return None
    return check_database_url(value.strip())


def check_database_url(url: str) -> str:
    """The URL if it names a backend and driver TradeDock speaks with a parseable host/port; else ValueError.

    Checked without importing SQLAlchemy; the message never repeats a password.
    """
    if _SQLITE.match(url):
        return url
    if url.startswith("sqlite"):
        raise ValueError("SQLite URLs must use the aiosqlite driver: sqlite+aiosqlite:///path/to/tradedock.db")
    if _POSTGRES.match(url):
        try:
            parts = urlsplit(url)
            _ = parts.port  # raises on a non-numeric or out-of-range port
        except ValueError:
            raise ValueError("the PostgreSQL URL has a malformed host or port") from None
        if not parts.hostname and "host=" not in parts.query:
            raise ValueError("the PostgreSQL URL names no host")
        if not parts.path.strip("/"):
            raise ValueError("the PostgreSQL URL names no database")
        return url
    if url.startswith("postgres"):
        raise ValueError("PostgreSQL URLs must use psycopg 3: postgresql+psycopg://user:password@host:5432/db")
    raise ValueError("not a database URL TradeDock supports")


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

#: How to fix each setting (the error names the variable; this says what a good value looks like).
SETTING_FIXES = {
    "home": "Set TRADEDOCK_HOME to a directory path.",
    "database_url": "Set TRADEDOCK_DATABASE_URL to sqlite+aiosqlite:///path/to/tradedock.db or "
    "postgresql+psycopg://user:password@host:5432/db, or unset it for SQLite in TRADEDOCK_HOME.",
    "master_key_file": "Set TRADEDOCK_MASTER_KEY_FILE to the path of the master key file.",
    "egress_ips": "Set TRADEDOCK_EGRESS_IPS to comma-separated IP addresses, e.g. 203.0.113.7,203.0.113.8.",
    "sandbox_urls": 'Set TRADEDOCK_SANDBOX_URLS to a JSON object, e.g. {"bybit": "http://127.0.0.1:18400"}, '
    "or unset it to use the URLs `tradedock sandbox` records.",
    "withdraw_policy": "Set TRADEDOCK_WITHDRAW_POLICY to fail or warn.",
    "transfer_policy": "Set TRADEDOCK_TRANSFER_POLICY to fail or warn.",
    "balance_minimums": 'Set TRADEDOCK_BALANCE_MINIMUMS to a JSON object of USD amounts, e.g. {"bitget": 150}.',
    "expiry_warn_days": "Set TRADEDOCK_EXPIRY_WARN_DAYS to a whole number of days (0-3650), e.g. 14, or unset it.",
    "clock_warn_ms": "Set TRADEDOCK_CLOCK_WARN_MS to a whole number of milliseconds, e.g. 2000, or unset it.",
    "http_timeout_s": "Set TRADEDOCK_HTTP_TIMEOUT_S to a number of seconds above 0 (at most 600), e.g. 10.",
    "http_connect_timeout_s": "Set TRADEDOCK_HTTP_CONNECT_TIMEOUT_S to a number of seconds above 0, e.g. 5.",
    "http_rate_wait_s": "Set TRADEDOCK_HTTP_RATE_WAIT_S to a number of seconds from 0 to 60, e.g. 3.",
    "log_level": f"Set TRADEDOCK_LOG_LEVEL to one of {', '.join(LOG_LEVELS)}.",
    "rate_limit_storage": "Set TRADEDOCK_RATE_LIMIT_STORAGE to memory:// or redis://host:6379/0, or unset it.",
}


class SettingError(InvalidInputError):
    """A malformed ``TRADEDOCK_*`` variable; ``field`` is the variable's name."""


def setting_error(name: str, reason: str) -> SettingError:
    variable = ENV_PREFIX + name.upper()
    fix = SETTING_FIXES.get(name, f"Fix or unset {variable}.")
    return SettingError(variable, f"{variable} is not valid: {reason}", fix=fix)


def ensure_home(settings: HomeSettings) -> Path:
    """Create the data directory (mode 0700) if missing, else check it is ours and not writable by others
    (never chmod an existing directory: TRADEDOCK_HOME=$HOME must not lock the home directory)."""
    from tradedock.localfiles import ensure_private_dir

    return ensure_private_dir(settings.home, "TRADEDOCK_HOME")
