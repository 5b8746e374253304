"""Domain vocabulary shared by every layer: enums and frozen dataclasses, nothing else.

What belongs here: the names of exchanges, environments, scopes, permissions and account modes; the
`Credentials` value (with a redacting ``repr``/``str``); the read-only facts an exchange reports about a key
and an account (`KeyInfo`, `AccountInfo`, `Balance`, `ServerTime`); the trading vocabulary (`OrderSide`,
`OrderType`, `TimeInForce`, `PositionLeg`, `OrderStatus`) and what an exchange reports about orders and
positions (`OrderState`, `PositionState`); market data every exchange reports alike (`CandleInterval`,
`Candle`). What does not: anything that talks to a
network, a database or a vault, and any exchange-specific parsing. This module imports nothing internal.

It also holds the one JSON conversion (`to_jsonable`) every layer uses, so a Decimal or a datetime is written
the same way in a report, in the database and in ``--json`` output.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any


class ExchangeId(enum.StrEnum):
    BYBIT = "bybit"
    BITGET = "bitget"
    ASTER = "aster"


class Environment(enum.StrEnum):
    """Where a key lives. ``sandbox`` is TradeDock's simulated exchanges (URLs from settings)."""

    LIVE = "live"
    DEMO = "demo"
    TESTNET = "testnet"
    SANDBOX = "sandbox"


class Scope(enum.StrEnum):
    """What the platform will trade with the key."""

    SPOT = "spot"
    FUTURES = "futures"
    BOTH = "both"

    @property
    def needs_spot(self) -> bool:
        return self in (Scope.SPOT, Scope.BOTH)

    @property
    def needs_futures(self) -> bool:
        return self in (Scope.FUTURES, Scope.BOTH)


class ContractType(enum.StrEnum):
    """Which futures market a futures scope trades (Bitget product types; Bybit linear/inverse)."""

    USDT_M = "usdt_m"
    USDC_M = "usdc_m"
    COIN_M = "coin_m"


class Permission(enum.StrEnum):
    """Normalized permissions. Anything else is kept as ``other:<native name>`` in `KeyInfo.other_permissions`."""

    READ = "read"
    SPOT_TRADE = "spot_trade"
    FUTURES_TRADE = "futures_trade"
    WITHDRAW = "withdraw"
    TRANSFER = "transfer"


class AccountMode(enum.StrEnum):
    UNIFIED = "unified"
    CLASSIC = "classic"


class PositionMode(enum.StrEnum):
    ONE_WAY = "one_way"
    HEDGE = "hedge"


class MarginMode(enum.StrEnum):
    CROSS = "cross"
    ISOLATED = "isolated"
    PORTFOLIO = "portfolio"
    MULTI_ASSET = "multi_asset"


class ConnectionStatus(enum.StrEnum):
    """The five statuses of a connection (DESIGN.md contract)."""

    CONNECTED = "connected"
    CONNECTED_WITH_WARNINGS = "connected_with_warnings"
    ACTION_REQUIRED = "action_required"
    INVALID = "invalid"
    UNREACHABLE = "unreachable"


def mask(value: str, visible: int = 4) -> str:
    """Show only the last ``visible`` characters of a public identifier: ``…a1b2``."""
    if len(value) <= visible:
        return "…" + "*" * len(value)
    return "…" + value[-visible:]


@dataclass(frozen=True, repr=False)
class Credentials:
    """The credential fields of one key, exactly as given. ``repr``/``str`` never show a value.

    ``public_field`` names the field that identifies the key publicly (fingerprinted, shown masked; never a
    secret). Which field that is, is the exchange's fact: build credentials with `ExchangeSpec.credentials()`.
    """

    exchange: ExchangeId
    fields: Mapping[str, str]
    public_field: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    def __repr__(self) -> str:
        names = ", ".join(f"{name}=***" for name in self.fields)
        return f"Credentials({self.exchange.value}: {names})"

    __str__ = __repr__

    def __getitem__(self, name: str) -> str:
        return self.fields[name]

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    @property
    def public_id(self) -> str:
        """The value of ``public_field`` (the API key, or Aster's API wallet address)."""
        if not self.public_field:
            raise ValueError("these credentials were built without public_field; use ExchangeSpec.credentials()")
        return self.fields.get(self.public_field, "")

    def trimmed(self) -> tuple[Credentials, tuple[str, ...]]:
        """Strip pasted whitespace (spaces, tabs, newlines, zero-width) from every field.

        Returns the cleaned credentials and the names of the fields that changed, so callers can say so.
        """
        cleaned: dict[str, str] = {}
        changed: list[str] = []
        for name, value in self.fields.items():
            new = (
                value
                if _PLAIN.fullmatch(value)
                else "".join(ch for ch in value if not ch.isspace() and ch not in _INVISIBLE)
            )
            cleaned[name] = new
            if new != value:
                changed.append(name)
        return Credentials(self.exchange, cleaned, self.public_field), tuple(changed)


_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")
#: Printable ASCII without spaces: nothing to trim (the common case, checked in C).
_PLAIN = re.compile(r"[\x21-\x7e]*")


@dataclass(frozen=True)
class ServerTime:
    """One server-time sample: the exchange's clock and our clock at the midpoint of the round trip."""

    server_ms: int
    local_ms: int
    round_trip_ms: int

    @property
    def offset_ms(self) -> int:
        """How far the exchange is ahead of us (negative: our clock is ahead of the exchange)."""
        return self.server_ms - self.local_ms


@dataclass(frozen=True)
class Unreadable:
    """What an exchange would not show a key about itself, in a trader's words, and how to make it readable.

    Example (Bitget, a key without Spot read): what = "Bitget did not let this key read its own permission
    list", fix = "add Spot read-only, or confirm in API Management" (ends a sentence), remedy = a fix step."""

    what: str
    fix: str
    remedy: str


@dataclass(frozen=True)
class KeyInfo:
    """What the exchange says about the key itself.

    When the exchange would not show the key its own permission list, the adapter derives what it can from
    what the key was able to do (`unreadable` says so): `permissions` then holds only what was proven,
    `unconfirmed` the permissions whose presence is unknown, and `ips_known` is False when the IP whitelist
    could not be read either."""

    uid: str
    permissions: frozenset[Permission]
    other_permissions: tuple[str, ...] = ()
    native_permissions: Mapping[str, object] = field(default_factory=dict)
    read_only: bool = False
    ips: tuple[str, ...] = ()
    expires_at: datetime | None = None
    is_master: bool | None = None
    parent_uid: str | None = None
    account_mode: AccountMode | None = None
    label: str | None = None
    created_at: datetime | None = None
    unconfirmed: frozenset[Permission] = frozenset()
    ips_known: bool = True
    unreadable: Unreadable | None = None

    @property
    def ip_bound(self) -> bool:
        return any(ip not in ("", "*") for ip in self.ips)


@dataclass(frozen=True)
class AccountInfo:
    """Account-level facts: unified vs classic, main vs sub-account, account-wide margin mode."""

    uid: str
    account_mode: AccountMode | None = None
    is_subaccount: bool | None = None
    margin_mode: MarginMode | None = None
    native: Mapping[str, object] = field(default_factory=dict)


#: The owner name the CLI acts as (single-operator installs).
LOCAL_OWNER = "local"

#: Coins valued 1:1 in USD when the exchange gives no USD value — the one list (adapters leave ``usd_value``
#: empty unless the exchange itself reports a USD value; `Balance.usd_estimate` applies this rule).
USD_STABLECOINS = frozenset({"USDT", "USDC", "USD", "USD1", "FDUSD", "BUSD", "USDE", "DAI", "TUSD", "PYUSD", "USDD"})


@dataclass(frozen=True)
class Balance:
    """One coin in one wallet, wallet named as the exchange names it (Bybit ``UNIFIED``, Bitget ``spot``…)."""

    wallet: str
    coin: str
    total: Decimal
    available: Decimal
    usd_value: Decimal | None = None

    @property
    def usd_estimate(self) -> Decimal | None:
        """The exchange's USD value, else the total for a USD stablecoin, else None (unpriced)."""
        if self.usd_value is not None:
            return self.usd_value
        if self.coin.upper() in USD_STABLECOINS:
            return self.total
        return None


def total_usd(balances: Iterable[Balance]) -> Decimal:
    """Sum of the priced balances in USD (unpriced coins count as 0)."""
    return sum((b.usd_estimate or Decimal(0) for b in balances), Decimal(0))


@dataclass(frozen=True)
class PositionSettings:
    """Position and margin mode for one futures market."""

    position_mode: PositionMode | None
    margin_mode: MarginMode | None = None
    native: Mapping[str, object] = field(default_factory=dict)


# --- trading vocabulary (issue 14): what an order asks and what an exchange reports about orders and positions.
# Defined once here so services, views and shells speak it; ``exchanges/orders.py`` adds the request side.


class OrderSide(enum.StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(enum.StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class TimeInForce(enum.StrEnum):
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    POST_ONLY = "post_only"


class PositionLeg(enum.StrEnum):
    """``net`` in one-way mode; ``long``/``short`` pick the hedge-mode leg an order opens or closes."""

    NET = "net"
    LONG = "long"
    SHORT = "short"


class OrderStatus(enum.StrEnum):
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


@dataclass(frozen=True)
class OrderState:
    """An order as the exchange reports it."""

    order_id: str
    client_order_id: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    status: OrderStatus
    qty: Decimal
    filled_qty: Decimal
    price: Decimal | None = None
    average_price: Decimal | None = None
    reduce_only: bool = False
    #: Trading fee paid so far in the quote coin (positive = paid); None when the exchange's answer has none.
    fee: Decimal | None = None


@dataclass(frozen=True)
class PositionState:
    symbol: str
    leg: PositionLeg
    size: Decimal  # never negative
    long: bool
    entry_price: Decimal
    leverage: Decimal | None = None
    unrealised_pnl: Decimal | None = None
    mark_price: Decimal | None = None


class CandleInterval(enum.StrEnum):
    """The candle lengths TradeDock reads: those Bybit (linear), Bitget (V2 mix) and Aster (futures) all offer."""

    M1 = "1m"
    M3 = "3m"
    M5 = "5m"
    M15 = "15m"
    M30 = "30m"
    H1 = "1h"
    H4 = "4h"
    H6 = "6h"
    H12 = "12h"
    D1 = "1d"

    @property
    def ms(self) -> int:
        """The candle's length in milliseconds (every interval here has a fixed length)."""
        return _INTERVAL_MS[self]


_INTERVAL_MS = MappingProxyType(
    {
        CandleInterval.M1: 60_000,
        CandleInterval.M3: 180_000,
        CandleInterval.M5: 300_000,
        CandleInterval.M15: 900_000,
        CandleInterval.M30: 1_800_000,
        CandleInterval.H1: 3_600_000,
        CandleInterval.H4: 14_400_000,
        CandleInterval.H6: 21_600_000,
        CandleInterval.H12: 43_200_000,
        CandleInterval.D1: 86_400_000,
    }
)


@dataclass(frozen=True)
class Candle:
    """One candle of an exchange's trade prices (``open_time_ms`` identifies it; UTC, aligned to its interval).

    The newest candle an exchange returns is usually still open: its ``close`` is the last price so far. Use
    `closed_at` with the time you trust to tell."""

    open_time_ms: int
    interval: CandleInterval
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    @property
    def close_time_ms(self) -> int:
        """The first millisecond after this candle (when it closes)."""
        return self.open_time_ms + self.interval.ms

    def closed_at(self, now_ms: int) -> bool:
        return self.close_time_ms <= now_ms


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain positional text (``100``, never ``1E+2``): how money is written everywhere."""
    return format(value, "f")


#: Values `to_jsonable` returns as they are, by exact type (subclasses such as str enums take the full path).
_JSON_SCALARS = frozenset({type(None), bool, int, float, str})


def to_jsonable(value: Any) -> Any:
    """The one JSON conversion: Decimal → plain text, datetime/date → ISO 8601, enums → value, sets → sorted
    lists, tuples → lists, dataclasses → dicts, mappings recursively; `Credentials` → its redacted repr (a
    secret is never serialised, even by accident); anything else → ``str``."""
    # Exact built-in types first (most of evidence and facts; a batch record converts thousands of values):
    # plain dicts and lists skip the ABC checks below, with the same result.
    kind = type(value)
    if kind in _JSON_SCALARS:
        return value
    if kind is dict:
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if kind is list:
        return [to_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Credentials):
        return repr(value)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)
