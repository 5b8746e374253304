"""The shape of an exchange's requirements and wording (`ExchangeProfile`), which each exchange fills in.

What belongs here: the `ExchangeProfile` type — required permissions per scope, the required position mode, the
futures balance minimum, the trading wallet per scope/contract/account mode, wallet and environment display
names, and the exchange's own menu names used in fix steps — and `BalanceMinimum`, plus `PERMISSIONS_BY_SCOPE`
(the usual least-privilege rule). What does not: any exchange's values (``exchanges/<x>/profile.py``, taken from
the help-center guides in shared/seeds) or logic. Verification's checks read a profile through
`ExchangeSpec.profile`; the operator `Policy` overrides some values. Verification may import this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from tradedock.domain import AccountMode, ContractType, Environment, ExchangeId, Permission, PositionMode, Scope

READ_ONLY = frozenset({Permission.READ})
_SPOT = frozenset({Permission.READ, Permission.SPOT_TRADE})
_FUTURES = frozenset({Permission.READ, Permission.FUTURES_TRADE})
_BOTH = frozenset({Permission.READ, Permission.SPOT_TRADE, Permission.FUTURES_TRADE})
#: The least-privilege rule every exchange uses today: read, plus trading on the markets of the scope.
PERMISSIONS_BY_SCOPE: Mapping[Scope, frozenset[Permission]] = MappingProxyType(
    {Scope.SPOT: _SPOT, Scope.FUTURES: _FUTURES, Scope.BOTH: _BOTH}
)


@dataclass(frozen=True)
class BalanceMinimum:
    """Minimum futures balance in USD: below ``fail_below`` fails; below ``warn_below`` warns."""

    fail_below: Decimal
    warn_below: Decimal | None = None


@dataclass(frozen=True)
class ExchangeProfile:
    exchange: ExchangeId
    name: str
    #: How each real environment is called in messages ("Bybit demo trading").
    environment_names: Mapping[Environment, str]
    required_permissions: Mapping[Scope, frozenset[Permission]]
    #: Permissions every key of this exchange has even when the key-info endpoint does not list them.
    implicit_permissions: frozenset[Permission]
    #: The exchange's own name for each permission, as on its API-key page.
    permission_names: Mapping[Permission, str]
    #: Position mode TradeDock needs; None = any mode, recorded for auto-sync.
    required_position_mode: PositionMode | None
    futures_minimum: BalanceMinimum | None
    #: Trading wallet lookup; keys tried from most to least specific:
    #: ``"<account_mode>:<market>:<contract>"``, ``"<account_mode>:<market>"``, ``"<market>:<contract>"``,
    #: ``"<market>"`` where market is ``spot`` or ``futures``.
    trading_wallets: Mapping[str, str]
    wallet_names: Mapping[str, str]
    supported_account_modes: frozenset[AccountMode | None]
    default_contract: ContractType
    # --- menu names used in fix steps ---
    api_page: str  # how to reach the API-key list
    edit_key: str  # how to change a key's settings
    new_key: str  # how to create a key
    transfer_page: str  # how to move funds between wallets
    secret_field: str  # the credential field that signs (secret / private_key)
    position_mode_steps: tuple[str, ...] = ()
    #: Appended to the "no IP whitelist" warning.
    unbound_ip_note: str = ""
    ip_field: str = "IP whitelist"
    #: Where the user finds the main account an API wallet acts for (Aster's main wallet), for fix steps.
    main_account_where: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    def environment_name(self, environment: Environment) -> str:
        return self.environment_names.get(environment, f"{self.name} {environment.value}")

    def wallet_name(self, wallet: str) -> str:
        return self.wallet_names.get(wallet, wallet)

    def permission_name(self, permission: Permission) -> str:
        return self.permission_names.get(permission, permission.value)

    def trading_wallet(self, *, futures: bool, contract: ContractType | None, mode: AccountMode | None) -> str:
        market = "futures" if futures else "spot"
        candidates = []
        if mode is not None:
            if contract is not None:
                candidates.append(f"{mode.value}:{market}:{contract.value}")
            candidates.append(f"{mode.value}:{market}")
        if contract is not None:
            candidates.append(f"{market}:{contract.value}")
        candidates.append(market)
        for key in candidates:
            if key in self.trading_wallets:
                return self.trading_wallets[key]
        raise KeyError(f"{self.name} profile has no trading wallet for {market}")
