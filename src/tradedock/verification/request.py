"""What a verification is asked to do: the request, the operator's policy, and the adapter provider type.

What belongs here: the inputs of `verify()` that are not exchange facts — which key, for which environment,
scope and contract (`VerificationRequest`), the operator's rules (`Policy`, built from `Settings`), and the
`AdapterProvider` callable type. What does not: exchange requirements (`ExchangeSpec.profile`), the checks, or the
engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from tradedock.config import PermissionPolicy, Settings
from tradedock.domain import ContractType, Credentials, Environment, ExchangeId, MarginMode, PositionMode, Scope
from tradedock.exchanges.base import ExchangeAdapter
from tradedock.exchanges.profile import BalanceMinimum, ExchangeProfile

#: Given a flavour (live/demo/testnet) returns an adapter for THIS request's credentials. The caller builds it
#: (sandbox URLs, transport) and owns it: the engine never closes an adapter it was given.
AdapterProvider = Callable[[Environment], ExchangeAdapter]


@dataclass(frozen=True)
class VerificationRequest:
    """One key to verify. ``credentials`` are already trimmed; ``trimmed_fields`` names the fields that were.
    ``position_mode`` / ``margin_mode``: the trader's choice for the connection (None = auto sync: any mode the
    exchange profile allows is recorded); a chosen mode the account is not in fails its check."""

    exchange: ExchangeId
    environment: Environment
    scope: Scope
    contract: ContractType | None
    credentials: Credentials
    trimmed_fields: tuple[str, ...] = ()
    position_mode: PositionMode | None = None
    margin_mode: MarginMode | None = None

    def __post_init__(self) -> None:
        if self.credentials.exchange is not self.exchange:
            raise ValueError(
                f"credentials are for {self.credentials.exchange.value}, the request is for {self.exchange.value}"
            )


@dataclass(frozen=True)
class Policy:
    """The operator's verification rules (settings ``TRADEDOCK_*``).

    ``balance_minimums`` maps an exchange id (``"bitget"``) to a minimum futures balance in USD that replaces the
    built-in profile's thresholds for that exchange (fail below it, no warning band).
    """

    egress_ips: tuple[str, ...] = ()
    withdraw: PermissionPolicy = PermissionPolicy.FAIL
    transfer: PermissionPolicy = PermissionPolicy.FAIL
    balance_minimums: Mapping[str, Decimal] = field(default_factory=dict)
    expiry_warn_days: int = 14
    clock_warn_ms: int = 2000
    #: A server-time answer slower than this is no measurement: its midpoint may be seconds off, and an offset
    #: taken from it would make the exchange refuse our signed requests (then blamed on the trader's clock).
    clock_max_round_trip_ms: int = 3000

    def __post_init__(self) -> None:
        object.__setattr__(self, "egress_ips", tuple(ip.strip() for ip in self.egress_ips if ip.strip()))
        minimums = {str(name).lower(): Decimal(value) for name, value in self.balance_minimums.items()}
        object.__setattr__(self, "balance_minimums", MappingProxyType(minimums))
        if self.expiry_warn_days < 0:
            raise ValueError("expiry_warn_days must be 0 or more (TRADEDOCK_EXPIRY_WARN_DAYS)")
        if self.clock_warn_ms < 0:
            raise ValueError("clock_warn_ms must be 0 or more (TRADEDOCK_CLOCK_WARN_MS)")
        if self.clock_max_round_trip_ms <= 0:
            raise ValueError("clock_max_round_trip_ms must be more than 0")

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            egress_ips=tuple(settings.egress_ips),
            withdraw=settings.withdraw_policy,
            transfer=settings.transfer_policy,
            balance_minimums=dict(settings.balance_minimums),
            expiry_warn_days=settings.expiry_warn_days,
            clock_warn_ms=settings.clock_warn_ms,
        )

    def minimum_override(self, exchange: ExchangeId) -> Decimal | None:
        return self.balance_minimums.get(exchange.value)

    def futures_minimum(self, profile: ExchangeProfile) -> BalanceMinimum | None:
        """The futures balance minimum in force for ``profile``'s exchange: the operator's override (fail below
        it, no warning band) or the profile's own. The balance check and the setup guide both use this."""
        override = self.minimum_override(profile.exchange)
        return BalanceMinimum(fail_below=override) if override is not None else profile.futures_minimum
