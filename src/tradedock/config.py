"""Settings from the environment (prefix ``TRADEDOCK_``), built by `load_settings()`; no global instance.

What belongs here: every knob an operator can turn, with its default and meaning, and `ensure_home()` which
creates the data directory with mode 0700. What does not: reading key material (the vault parses
``master_key``), opening databases, or anything built at import time.
"""

from __future__ import annotations

import json
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class PermissionPolicy(StrEnum):
    """What a forbidden permission (withdraw, transfer) does to a verification."""

    FAIL = "fail"
    WARN = "warn"


def default_home() -> Path:
    return Path(platformdirs.user_data_dir("tradedock", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRADEDOCK_", extra="ignore", frozen=True)

    #: Data directory: SQLite file, generated master key file. Created with mode 0700.
    home: Path = Field(default_factory=default_home)
    #: SQLAlchemy async URL. Default: SQLite file in ``home``. Production: ``postgresql+psycopg://…``.
    database_url: str | None = None
    #: Master key(s): ``<base64 32 bytes>`` or ``id1:<b64>,id2:<b64>`` (first is primary).
    master_key: SecretStr | None = None
    #: File holding master key(s) in the same format, one per line (first is primary).
    master_key_file: Path | None = None
    #: The platform's public egress IPs that users must whitelist on their keys.
    egress_ips: Annotated[tuple[str, ...], NoDecode] = ()
    #: JSON map exchange → base URL of the simulated exchanges (environment ``sandbox``).
    sandbox_urls: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)

    # --- verification policy (operator) ---
    #: A key with withdrawal permission: ``fail`` (default) or ``warn``.
    withdraw_policy: PermissionPolicy = PermissionPolicy.FAIL
    #: A key with transfer permission: ``fail`` (default) or ``warn``.
    transfer_policy: PermissionPolicy = PermissionPolicy.FAIL
    #: Per-exchange minimum futures balance in USD, JSON, e.g. ``{"bitget": 150, "bybit": 50}``;
    #: missing exchanges use the built-in profile.
    balance_minimums: Annotated[dict[str, Decimal], NoDecode] = Field(default_factory=dict)
    #: Warn when a key expires within this many days.
    expiry_warn_days: int = 14
    #: Warn when the measured clock offset exceeds this many milliseconds.
    clock_warn_ms: int = 2000

    # --- HTTP ---
    http_timeout_s: float = 10.0
    http_connect_timeout_s: float = 5.0

    # --- HTTP API (`tradedock serve`) ---
    #: Whether anyone may create an account through the API (``POST /api/v1/auth/signup``). Off by default:
    #: the operator creates users with `tradedock user create`.
    open_signup: bool = False
    #: Mark the session cookie ``Secure`` (set when TradeDock is served over TLS, e.g. behind a proxy).
    secure_cookies: bool = False

    log_level: str = "WARNING"

    @field_validator("egress_ips", mode="before")
    @classmethod
    def _split_ips(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return tuple(json.loads(text))
            return tuple(part.strip() for part in text.split(",") if part.strip())
        return value

    @field_validator("sandbox_urls", "balance_minimums", mode="before")
    @classmethod
    def _parse_json_map(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return {}
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f'expected a JSON object such as {{"bybit": ...}}: {exc.msg}') from None
            if not isinstance(parsed, dict):
                raise ValueError('expected a JSON object such as {"bybit": ...}')
            return parsed
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.home / 'tradedock.db'}"

    @property
    def default_master_key_file(self) -> Path:
        return self.home / "master.key"

    @property
    def sandbox_urls_file(self) -> Path:
        """Where `tradedock sandbox` records the simulators' URLs for other commands to find."""
        return self.home / "sandbox-urls.json"

    def effective_sandbox_urls(self) -> dict[str, str]:
        """``TRADEDOCK_SANDBOX_URLS`` if set, else the URLs a running `tradedock sandbox` recorded."""
        if self.sandbox_urls:
            return dict(self.sandbox_urls)
        try:
            data = json.loads(self.sandbox_urls_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; keyword overrides win (tests, CLI options)."""
    return Settings(**overrides)


def ensure_home(settings: Settings) -> Path:
    """Create the data directory (mode 0700) if missing, else check it is ours and not writable by others
    (never chmod an existing directory: TRADEDOCK_HOME=$HOME must not lock the home directory)."""
    from tradedock.localfiles import ensure_private_dir

    return ensure_private_dir(settings.home, "TRADEDOCK_HOME")
