"""In-memory state of one simulated exchange: accounts, API keys, clock, client-IP override, faults, network.

Belongs here: the data every simulator shares and the small helpers to look it up. Does not belong here:
HTTP (see `control.py`, `middleware.py`), exchange-specific wire formats (see each exchange's folder).
One `SimState` exists per ASGI app (per exchange, per port); nothing is shared between exchanges.
"""

from __future__ import annotations

import random
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradedock_sim.core.network import NetworkModel
from tradedock_sim.core.ratelimit import SlidingWindowLimiter

ENVIRONMENTS = ("live", "demo", "testnet")
REQUEST_LOG_SIZE = 1000
ACCOUNT_MODES = ("unified", "classic")
POSITION_MODES = ("one_way", "hedge")


class ControlInputError(ValueError):
    """Bad input to the control API (or a scenario); `field` names the offending field (dotted path)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class Account:
    """One exchange account (a UID). `extra` holds exchange-specific settings validated by the plugin."""

    uid: str
    account_mode: str = "unified"
    position_mode: str = "one_way"
    margin_mode: str = ""
    balances: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    open_positions: bool = False
    open_orders: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def wallet(self, name: str) -> dict[str, Decimal]:
        """Balances of one wallet (empty dict when the wallet holds nothing)."""
        return self.balances.get(name, {})


@dataclass
class ApiKey:
    """One API key. `key_id` is what the exchange sees on the wire (Bybit/Bitget api key, Aster API wallet).

    `credentials` uses DESIGN's field names and holds the secret material: never log or return it except
    from the control API call that created the key.
    """

    key_id: str
    uid: str
    credentials: dict[str, str] = field(repr=False)
    permissions: Any = None
    ips: list[str] = field(default_factory=list)
    expires_at: int | None = None
    environment: str = "live"
    label: str = ""
    created_at: int = 0
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ip_bound(self) -> bool:
        """True when the key is restricted to specific IPs (no IPs or "*" means unrestricted)."""
        return bool(self.ips) and "*" not in self.ips

    def expired(self, now_ms: int) -> bool:
        return self.expires_at is not None and now_ms >= self.expires_at


@dataclass
class FaultConfig:
    """Injected exchange faults. `paths` are path prefixes (after the environment prefix is removed)."""

    latency_ms: int = 0
    error_rate: float = 0.0
    error: str | None = None
    paths: list[str] = field(default_factory=list)
    matched_requests: int = 0

    def applies_to(self, path: str) -> bool:
        return not self.paths or any(path.startswith(prefix) for prefix in self.paths)

    def next_request_fails(self) -> bool:
        """Deterministic error pattern: with rate r the n-th matching request fails when floor(n*r) grows.

        r=1 fails every request, r=0.5 every 2nd, r=0.25 every 4th, so tests are reproducible without seeds.
        """
        if self.error is None or self.error_rate <= 0:
            return False
        self.matched_requests += 1
        n = self.matched_requests
        return int(n * self.error_rate) > int((n - 1) * self.error_rate)


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class LoggedRequest:
    """One exchange request as received (control calls are not logged). `query` is the raw query string."""

    method: str
    path: str
    query: str
    environment: str


@dataclass
class SimState:
    """Everything one simulated exchange remembers. Reset by `POST /_sim/reset`."""

    exchange: str
    seed: int | None = None
    accounts: dict[str, Account] = field(default_factory=dict)
    keys: dict[str, ApiKey] = field(default_factory=dict)
    client_ip: str | None = None
    clock_offset_ms: int = 0
    faults: FaultConfig = field(default_factory=FaultConfig)
    network: NetworkModel = field(default_factory=NetworkModel)
    limiter: SlidingWindowLimiter = field(default_factory=SlidingWindowLimiter)
    generation: int = 0
    rng: random.Random = field(init=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict)
    requests: deque[LoggedRequest] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))
    #: Exchange requests served since start (`GET /_sim/requests`); not zeroed by `reset`.
    requests_served: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed) if self.seed is not None else secrets.SystemRandom()

    def now_ms(self) -> int:
        """The exchange's clock: wall clock plus the offset set by `POST /_sim/clock`."""
        return wall_clock_ms() + self.clock_offset_ms

    def reset(self) -> None:
        """Forget accounts, keys, config, clock offset, faults, the network model and rate-limit counters."""
        self.accounts.clear()
        self.keys.clear()
        self.client_ip = None
        self.clock_offset_ms = 0
        self.faults = FaultConfig()
        self.network = NetworkModel()
        self.limiter = SlidingWindowLimiter()
        self.extra.clear()
        self.requests.clear()
        self.generation += 1  # wakes requests stuck in an injected timeout
        self.rng = random.Random(self.seed) if self.seed is not None else secrets.SystemRandom()

    def live_key(self, key_id: str) -> ApiKey | None:
        """The key with this wire id unless it is unknown or deleted (environment/expiry are the caller's rule)."""
        key = self.keys.get(key_id)
        if key is None or key.deleted:
            return None
        return key

    def account_of(self, key: ApiKey) -> Account:
        return self.accounts[key.uid]

    def random_string(self, length: int, alphabet: str) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(length))
