"""The adapter contract every exchange implements, plus the exchange's static description (`ExchangeSpec`).

What belongs here: the `ExchangeAdapter` protocol (the few read-only calls verification needs), the
`ExchangeSpec` (credential fields with their meaning and format, URLs per environment, capability flags,
a local credential inspector), and the small value types those use. What does not: any concrete exchange,
HTTP code, or verification logic. `tradedock.verification` may import this module and nothing else from
`tradedock.exchanges`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from tradedock.clock import Clock
from tradedock.domain import (
    AccountInfo,
    Balance,
    ContractType,
    Credentials,
    Environment,
    ExchangeId,
    KeyInfo,
    PositionSettings,
    ServerTime,
)


@dataclass(frozen=True)
class CredentialField:
    """One credential field as a user is asked for it."""

    name: str  # contract name: api_key, secret, passphrase, api_wallet, private_key, main_wallet
    label: str  # "API key"
    help: str  # "the API passphrase you set when creating this key — not your login password"
    secret: bool  # hidden input, sealed in the vault
    pattern: str  # full-match regex of a well-formed value (after trimming)
    shape: str  # human description of the format: "36 hex characters", "0x + 40 hex characters"


class FindingSeverity(enum.StrEnum):
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class CredentialFinding:
    """A problem found in the credentials before any network call."""

    field: str
    problem: str  # machine code: bad_format, swapped, main_wallet_key, other_api_wallet, address_typo, …
    message: str  # for a trader
    fix: str
    severity: FindingSeverity = FindingSeverity.FAIL


@dataclass(frozen=True)
class Capabilities:
    """What the exchange can report; a check whose capability is False is ``skip`` with ``reason``."""

    key_info: bool = True  # permissions readable from a key-info endpoint
    ip_whitelist: bool = True  # bound IPs readable
    key_expiry: bool = True  # expiry readable
    account_mode: bool = True  # unified vs classic is a thing here
    position_mode: bool = True
    margin_mode: bool = True
    spot: bool = True
    futures: bool = True
    notes: Mapping[str, str] = field(default_factory=dict)  # capability name → why it is missing


@dataclass(frozen=True)
class ExchangeSpec:
    """Static description of one exchange."""

    id: ExchangeId
    name: str  # "Bybit"
    credential_fields: tuple[CredentialField, ...]
    #: Official base URL per real environment (live/demo/testnet). Missing environment = not offered.
    base_urls: Mapping[Environment, str]
    #: Path suffix that selects an environment on the simulated exchange, appended to the sandbox root
    #: (e.g. Bybit ``{live: "", demo: "/demo", testnet: "/testnet"}``). Bitget demo is a header, so "".
    sandbox_paths: Mapping[Environment, str]
    capabilities: Capabilities
    #: Local format checks beyond the field patterns (swapped fields, Aster key ↔ address derivation).
    inspect_credentials: Callable[[Credentials], tuple[CredentialFinding, ...]]
    contract_types: tuple[ContractType, ...] = ()
    guide_url: str = ""

    def field(self, name: str) -> CredentialField:
        for f in self.credential_fields:
            if f.name == name:
                return f
        raise KeyError(name)


class ExchangeAdapter(Protocol):
    """Read-only calls verification and balances need. Every method raises only `tradedock.errors` errors.

    Construction (see `AdapterFactory`) fixes credentials, environment flavour and base URL. Signed calls use
    ``clock.now_ms() + time_offset_ms``; verification sets ``time_offset_ms`` once it has measured it.
    """

    spec: ExchangeSpec
    time_offset_ms: int

    async def server_time(self) -> ServerTime:
        """Public, unsigned: the exchange's clock. Also the reachability preflight."""
        ...

    async def key_info(self) -> KeyInfo:
        """Signed: what the key can do (permissions, IPs, expiry, uid, master/sub, unified flag)."""
        ...

    async def account_info(self) -> AccountInfo:
        """Signed: account mode (unified/classic), main vs sub, account-wide margin mode."""
        ...

    async def balances(self) -> tuple[Balance, ...]:
        """Signed: every wallet type with a non-zero or relevant balance, USD value when known."""
        ...

    async def position_settings(self, contract: ContractType) -> PositionSettings:
        """Signed: position mode (one-way/hedge) and margin mode for the given futures market."""
        ...

    async def aclose(self) -> None:
        """Release the HTTP client if the adapter owns it."""
        ...


class AdapterFactory(Protocol):
    """Builds an adapter. ``flavor`` is the real environment spoken (live/demo/testnet); ``base_url`` overrides
    the official URL (the sandbox); ``transport`` is the test seam (``httpx.ASGITransport``)."""

    def __call__(
        self,
        credentials: Credentials,
        *,
        flavor: Environment,
        base_url: str | None = None,
        http: HttpOptions | None = None,
    ) -> ExchangeAdapter: ...


@dataclass(frozen=True)
class HttpOptions:
    """How an adapter talks HTTP. ``transport`` lets tests run against an in-process simulator."""

    timeout_s: float = 10.0
    connect_timeout_s: float = 5.0
    transport: httpx.AsyncBaseTransport | None = None
    clock: Clock | None = None  # None = SystemClock
    #: Extra headers on every request (e.g. X-Forwarded-For in sandbox IP scenarios). Never secrets.
    extra_headers: Mapping[str, str] = field(default_factory=dict)
