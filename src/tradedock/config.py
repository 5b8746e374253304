"""Settings from the environment (prefix ``TRADEDOCK_``), built by `load_settings()`; no global instance.

What belongs here: every knob an operator can turn, with its default, meaning and validation, and `ensure_home()`
which creates the data directory with mode 0700. A malformed value raises `SettingError` naming the variable and
the fix (the CLI exits 2). What does not: reading key material (the vault parses ``master_key``), opening
databases, or anything built at import time.

`Settings` is a plain pydantic model; `load_settings` reads the ``TRADEDOCK_*`` variables itself (names matched
case-insensitively; every value is text that pydantic converts, and the structured ones — IP lists, JSON maps —
have their own parsers below). Not pydantic-settings: importing it (and the asyncio it pulls in) cost about 30 ms
of every command's start-up, for a prefix lookup (issue 9). What needs no pydantic — the setting names and the
environment lookup, the database URL check, `SettingError`, `ensure_home` — lives in `config_light`, which also
reads the four settings ``tradedock list``/``show`` need without this model.
"""

from __future__ import annotations

import ipaddress
import json
import os
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from tradedock.config_light import (
    ENV_PREFIX,
    LOG_LEVELS,
    SETTING_FIXES,
    SettingError,
    check_database_url,
    clean_database_url,
    default_home,
    ensure_home,
    environment_values,
    setting_error,
    sqlite_url,
)
from tradedock.jsonlimits import JsonLimitError, loads_limited

#: What ``TRADEDOCK_RATE_LIMIT_STORAGE`` may name (`services.attempt_windows`).
STORAGE_SCHEMES = ("memory", "redis", "rediss")


class PermissionPolicy(StrEnum):
    """What a forbidden permission (withdraw, transfer) does to a verification."""

    FAIL = "fail"
    WARN = "warn"


class Settings(BaseModel):
    """Every setting, validated. Build it with `load_settings()` (which reads the environment)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    #: Data directory: SQLite file, generated master key file. Created with mode 0700.
    home: Path = Field(default_factory=default_home)
    #: SQLAlchemy async URL. Default: SQLite file in ``home``. Production: ``postgresql+psycopg://…``.
    database_url: str | None = None
    #: Master key(s): ``<base64 32 bytes>`` or ``id1:<b64>,id2:<b64>`` (first is primary).
    master_key: SecretStr | None = None
    #: File holding master key(s) in the same format, one per line (first is primary).
    master_key_file: Path | None = None
    #: The platform's public egress IPs that users must whitelist on their keys.
    egress_ips: tuple[str, ...] = ()
    #: JSON map exchange → base URL of the simulated exchanges (environment ``sandbox``).
    sandbox_urls: dict[str, str] = Field(default_factory=dict)
    #: Allow sandbox URLs on hosts other than loopback (the sandbox gets real-looking credentials, and plain
    #: http would send them in clear). Off: only 127.0.0.0/8, ::1 and localhost.
    sandbox_allow_remote: bool = False

    # --- verification policy (operator) ---
    #: A key with withdrawal permission: ``fail`` (default) or ``warn``.
    withdraw_policy: PermissionPolicy = PermissionPolicy.FAIL
    #: A key with transfer permission: ``fail`` (default) or ``warn``.
    transfer_policy: PermissionPolicy = PermissionPolicy.FAIL
    #: Per-exchange minimum futures balance in USD, JSON, e.g. ``{"bitget": 150, "bybit": 50}``;
    #: missing exchanges use the built-in profile.
    balance_minimums: dict[str, Decimal] = Field(default_factory=dict)
    #: Warn when a key expires within this many days.
    expiry_warn_days: int = Field(14, ge=0, le=3650)
    #: Warn when the measured clock offset exceeds this many milliseconds.
    clock_warn_ms: int = Field(2000, ge=0)

    # --- HTTP ---
    http_timeout_s: float = Field(10.0, gt=0, le=600)
    http_connect_timeout_s: float = Field(5.0, gt=0, le=600)
    #: How long a request waits for its turn under the exchange's rate limits (this server's share of them) before
    #: it is held back unsent (a check then says so and the monitor defers the re-check).
    http_rate_wait_s: float = Field(3.0, ge=0, le=60)

    # --- HTTP API (`tradedock serve`) ---
    #: Whether anyone may create an account through the API (``POST /api/v1/auth/signup``). Off by default:
    #: the operator creates users with `tradedock user create`.
    open_signup: bool = False
    #: Mark the session cookie ``Secure`` (set when TradeDock is served over TLS, e.g. behind a proxy).
    secure_cookies: bool = False
    #: Where sign-in attempts and strategy signals are counted (`services.attempt_windows`): ``memory://`` (this
    #: process) or ``redis://[:password@]host:6379/0`` (every ``serve`` process together). Never shown (a password).
    rate_limit_storage: str = Field("memory://", repr=False)

    # --- monitor and webhooks (`tradedock serve` in-process, `tradedock worker`) ---
    #: Seconds between re-checks of one connection (jittered by ``monitor_jitter``).
    monitor_interval_s: float = Field(3600.0, ge=1, le=7 * 86400)
    #: Fraction of the interval added or taken at random (0.1 = ±10 %), so checks do not bunch up.
    monitor_jitter: float = Field(0.1, ge=0, le=0.5)
    #: First retry after a failed check (unreachable, not loadable); doubles per failure up to the interval.
    monitor_backoff_s: float = Field(60.0, ge=0.1, le=86400)
    #: How long a worker holds a connection it is checking; a dead worker's lease expires after this.
    monitor_lease_s: float = Field(300.0, ge=1, le=86400)
    #: Connections one worker claims at a time (one lease statement), loads in one query, checks at once and
    #: records in one transaction; on PostgreSQL also the most connections in one queued re-check job.
    monitor_batch: int = Field(128, ge=1, le=1000)
    #: Re-checks in a row that must find an exchange unreachable before a healthy connection is marked
    #: ``unreachable`` (the retry comes one backoff later): 2 keeps a blip out of the statuses and webhooks.
    monitor_unreachable_after: int = Field(2, ge=1, le=10)
    #: Days of history kept: verification runs (each connection's latest is always kept) and the monitor's own
    #: audit entries (one per re-check) older than this are deleted by the monitor. 0 keeps everything.
    history_days: int = Field(90, ge=0, le=36500)
    #: Seconds a monitor waits when nothing is due.
    monitor_poll_s: float = Field(5.0, gt=0, le=3600)
    #: Run the monitor inside `tradedock serve` (turn off when `tradedock worker` processes do the work).
    monitor_in_serve: bool = True
    #: Seconds a worker holds a bot while executing its orders (a killed worker's bots wait this long).
    bot_lease_s: float = Field(60.0, ge=1, le=3600)
    #: Seconds between reconciliations of a running bot with the exchange (positions, key, stop conditions).
    bot_reconcile_s: float = Field(60.0, ge=1, le=86400)
    #: Webhook delivery: request timeout, attempts per event, first retry delay (doubles, capped at an hour)
    #: and failed attempts in a row after which an endpoint is disabled.
    webhook_timeout_s: float = Field(10.0, gt=0, le=120)
    webhook_max_attempts: int = Field(8, ge=1, le=100)
    webhook_backoff_s: float = Field(30.0, ge=0.1, le=86400)
    webhook_disable_after: int = Field(20, ge=1, le=10000)
    #: Allow webhook URLs on internal addresses (loopback, private, link-local, …: anything not globally routable).
    #: Off (the default), such URLs are refused when a webhook is created and at every delivery (host names are
    #: resolved first), so a webhook cannot reach the platform's own network. On for local development and tests.
    webhook_allow_private: bool = False

    log_level: str = "WARNING"

    @field_validator("egress_ips", mode="before")
    @classmethod
    def _split_ips(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = loads_limited(text)
                except JsonLimitError as exc:
                    raise ValueError(f"the value {exc.message}") from None
                except json.JSONDecodeError as exc:
                    raise ValueError(f"not a JSON list: {exc.msg}") from None
                if not isinstance(value, list):
                    raise ValueError("expected a JSON list of IP addresses")
            else:
                value = [part.strip() for part in text.split(",") if part.strip()]
        if isinstance(value, (list, tuple)):
            for item in value:
                try:
                    ipaddress.ip_address(str(item).strip())
                except ValueError:
                    raise ValueError(f"{str(item)[:60]!r} is not an IP address") from None
            return tuple(str(item).strip() for item in value)
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        return clean_database_url(value)

    @field_validator("rate_limit_storage")
    @classmethod
    def _check_rate_limit_storage(cls, value: str) -> str:
        text = value.strip()
        scheme = text.split("://", 1)[0].lower() if "://" in text else ""
        if scheme not in STORAGE_SCHEMES:  # the value is not echoed: a Redis URL may carry a password
            raise ValueError("use memory:// (this process) or redis://host:6379/0 (shared by every serve process)")
        return text

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"unknown log level {value[:20]!r}")
        return level

    @field_validator("sandbox_urls", "balance_minimums", mode="before")
    @classmethod
    def _parse_json_map(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return {}
            try:
                parsed = loads_limited(text)
            except JsonLimitError as exc:
                raise ValueError(f"the value {exc.message}") from None
            except json.JSONDecodeError as exc:
                raise ValueError(f'expected a JSON object such as {{"bybit": ...}}: {exc.msg}') from None
            if not isinstance(parsed, dict):
                raise ValueError('expected a JSON object such as {"bybit": ...}')
            return parsed
        return value

    @field_validator("sandbox_urls")
    @classmethod
    def _check_sandbox_urls(cls, value: dict[str, str]) -> dict[str, str]:
        for name, url in value.items():
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"the URL for {name[:20]!r} is not an http(s) URL")
        return value

    @field_validator("balance_minimums")
    @classmethod
    def _check_minimums(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for name, amount in value.items():
            if amount < 0 or not amount.is_finite():
                raise ValueError(f"the minimum for {name[:20]!r} must be a number of USD, 0 or more")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return sqlite_url(self.home)

    @property
    def default_master_key_file(self) -> Path:
        return self.home / "master.key"

    @property
    def sandbox_urls_file(self) -> Path:
        """Where `tradedock sandbox` records the simulators' URLs for other commands to find."""
        return self.home / "sandbox-urls.json"

    def effective_sandbox_urls(self) -> dict[str, str]:
        """``TRADEDOCK_SANDBOX_URLS`` if set, else the URLs a still-running `tradedock sandbox` recorded."""
        if self.sandbox_urls:
            return dict(self.sandbox_urls)
        urls, pid = read_sandbox_record(self.sandbox_urls_file)
        if pid is not None and not process_alive(pid):
            return {}
        return urls

    def stale_sandbox_pid(self) -> int | None:
        """The process id of a `tradedock sandbox` that recorded URLs and is no longer running, if any."""
        if self.sandbox_urls:
            return None
        _, pid = read_sandbox_record(self.sandbox_urls_file)
        return pid if pid is not None and not process_alive(pid) else None


def read_sandbox_record(path: Path) -> tuple[dict[str, str], int | None]:
    """The URLs (and the recording process id) in a sandbox URL file: ``{"pid": N, "urls": {...}}`` (or a bare
    ``{exchange: url}`` map, as ``tradedock-sim serve --urls-file`` writes)."""
    try:
        data = loads_limited(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, None
    if not isinstance(data, dict):
        return {}, None
    pid = data.get("pid")
    urls = data.get("urls") if "urls" in data else data
    if not isinstance(urls, dict):
        return {}, None
    return {str(k): str(v) for k, v in urls.items()}, pid if isinstance(pid, int) and pid > 0 else None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; keyword overrides win (tests, CLI options).

    Raises `SettingError` naming the first bad variable (never a pydantic traceback, never the value itself:
    it may be a secret).
    """
    try:
        return Settings(**{**environment_values(), **overrides})
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        reason = str(first["msg"]).removeprefix("Value error, ")
        raise setting_error(name, reason) from None


__all__ = [
    "ENV_PREFIX",
    "LOG_LEVELS",
    "SETTING_FIXES",
    "PermissionPolicy",
    "SettingError",
    "Settings",
    "check_database_url",
    "ensure_home",
    "environment_values",
    "load_settings",
    "process_alive",
    "read_sandbox_record",
]
