"""The adapter contract every exchange implements, plus the exchange's static description (`ExchangeSpec`).

What belongs here: the `ExchangeAdapter` protocol (the few read-only calls verification needs), the
`TradingAdapter` protocol beside it (orders, positions, leverage, position and margin mode), the
`ExchangeSpec` (credential fields with their meaning and format, URLs per environment, capability flags, a
local credential inspector, the shapes other exchanges' paste detection needs, the verification profile, the
guide text and the error table), and the small value types those use. What does not: any concrete exchange,
HTTP code, or verification logic. `tradedock.verification` may import this module and ``exchanges.profile``
and nothing else from `tradedock.exchanges`.

This module and every ``exchanges/<x>/spec.py`` are cheap to import (no httpx, no eth-account): the registry
loads every spec up front and an exchange's adapter only when that exchange is used.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from tradedock.domain import (
    AccountInfo,
    Balance,
    ContractType,
    Credentials,
    Environment,
    ExchangeId,
    KeyInfo,
    MarginMode,
    PositionMode,
    PositionSettings,
    ServerTime,
)
from tradedock.exchanges.errors import ErrorTable
from tradedock.exchanges.guide import GuideText
from tradedock.exchanges.orders import InstrumentRules, OrderRequest, OrderState, PositionState
from tradedock.exchanges.profile import ExchangeProfile

if TYPE_CHECKING:  # only types: importing httpx costs ~0.2 s, and `tradedock --help` needs none of it
    import httpx

    from tradedock.clock import Clock


class _FullMatch:
    """`fits`: whether a value full-matches the class's ``pattern``, compiled once per instance."""

    pattern: str

    def fits(self, value: str) -> bool:
        return self._regex.fullmatch(value) is not None

    @functools.cached_property
    def _regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


@dataclass(frozen=True)
class CredentialField(_FullMatch):
    """One credential field as a user is asked for it."""

    name: str  # contract name: api_key, secret, passphrase, api_wallet, private_key, main_wallet
    label: str  # "API key"
    help: str  # "the API passphrase you set when creating this key — not your login password"
    secret: bool  # hidden input, sealed in the vault
    pattern: str  # full-match regex of a well-formed value (after trimming)
    shape: str  # human description of the format: "36 hex characters", "0x + 40 hex characters"


@dataclass(frozen=True)
class PasteShape(_FullMatch):
    """What one of this exchange's credential fields usually looks like, so that the registry can tell a user
    who pasted it under another exchange ("this looks like a Bitget API key").

    ``distinctive`` means no other exchange's credential has this shape (a prefix such as ``bg_`` or ``0x``):
    one such match is enough to refuse the paste; a non-distinctive match only warns unless two fields match.
    """

    field: str
    pattern: str  # full match, after trimming
    what: str  # "a Bitget API key (bg_…)"
    distinctive: bool = False


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
    trading: bool = False  # the adapter implements `TradingAdapter` (orders, positions, settings: "fix it for me")
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
    #: Requirements and wording for verification (permissions, wallets, balance minimum, menu names).
    profile: ExchangeProfile
    #: The key-setup guide, as data; ``services/guides.py`` fills in the IPs and the requirements.
    guide: GuideText
    #: The exchange's error codes → domain errors (every row is checked by tests/conformance).
    error_table: ErrorTable
    #: The credential field that identifies a key publicly (fingerprinted, shown masked). Never a secret.
    public_id_field: str
    #: What this exchange's credentials usually look like (for cross-exchange paste detection).
    paste_shapes: tuple[PasteShape, ...] = ()
    contract_types: tuple[ContractType, ...] = ()
    guide_url: str = ""

    def __post_init__(self) -> None:
        names = self.field_names
        if self.public_id_field not in names or self.field(self.public_id_field).secret:
            raise ValueError(f"{self.name}: public_id_field must name a non-secret credential field of {names}")
        if self.profile.exchange is not self.id or self.profile.name != self.name:
            raise ValueError(f"{self.name}: the profile is for {self.profile.name} ({self.profile.exchange.value})")
        unknown = {s.field for s in self.paste_shapes} - set(names)
        if unknown:
            raise ValueError(f"{self.name}: paste shapes name unknown fields {sorted(unknown)}")

    @property
    def field_names(self) -> tuple[str, ...]:
        """Credential field names in the order a user is asked for them."""
        return tuple(f.name for f in self.credential_fields)

    def field(self, name: str) -> CredentialField:
        for f in self.credential_fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def credentials(self, fields: Mapping[str, str]) -> Credentials:
        """Credentials for this exchange that know their public identifier field (`Credentials.public_id`)."""
        return Credentials(self.id, fields, self.public_id_field)


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


@runtime_checkable
class TradingAdapter(Protocol):
    """Trading calls beside the read calls; an adapter that trades implements both. Raises `tradedock.errors` only.

    Idempotency contract: `place_order` sends an order exactly once, keyed by its client order id (generated when
    missing). When the answer is lost (timeout, 5xx), it asks the exchange for that client id and returns what the
    exchange holds; it never re-sends. `submit_order` is the single raw send, used by `place_order`. Settings
    calls (`set_leverage`, `set_position_mode`, `set_margin_mode`) succeed when the setting is already as asked.
    Symbols are the exchange's own (``BTCUSDT``).
    """

    async def instrument_rules(self, symbol: str) -> InstrumentRules:
        """Public: tick, lot, minimum quantity and notional, maximum leverage (cached per adapter)."""
        ...

    async def mark_price(self, symbol: str) -> Decimal: ...

    async def place_order(self, order: OrderRequest) -> OrderState:
        """Apply the instrument rules, then send once; resolve a lost answer by the client order id."""
        ...

    async def submit_order(self, order: OrderRequest) -> OrderState:
        """Send an already prepared order once (no rules, no retry)."""
        ...

    async def get_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState | None:
        """The order with this id, open or closed; None when the exchange has no such order."""
        ...

    async def cancel_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState: ...

    async def open_orders(self, symbol: str | None = None) -> tuple[OrderState, ...]: ...

    async def positions(self, symbol: str | None = None) -> tuple[PositionState, ...]:
        """Open positions (size > 0)."""
        ...

    async def set_leverage(self, symbol: str, leverage: Decimal) -> None: ...

    async def set_position_mode(self, mode: PositionMode, contract: ContractType) -> None: ...

    async def set_margin_mode(self, mode: MarginMode, contract: ContractType) -> None: ...


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
    #: How long a request may wait for its turn under the exchange's rate budgets (and for a 429's retry-after)
    #: before it fails with `RateLimitedError` instead.
    rate_wait_s: float = 3.0
