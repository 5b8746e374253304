"""Per-exchange requirements and wording, as data: what a key needs, which wallet trades, where to click.

What belongs here: one `ExchangeProfile` per exchange — required permissions per scope, the required position
mode, the futures balance minimum, the trading wallet per scope/contract/account mode, wallet display names,
environment display names, and the exchange's own menu names used in fix steps (taken from the help-center
guides in shared/seeds: AstraBit, Bitsgap, UFOX). What does not: logic. Checks read these values; the operator
`Policy` overrides some of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from tradedock.domain import AccountMode, ContractType, Environment, ExchangeId, Permission, PositionMode, Scope

_READ = frozenset({Permission.READ})
_SPOT = frozenset({Permission.READ, Permission.SPOT_TRADE})
_FUTURES = frozenset({Permission.READ, Permission.FUTURES_TRADE})
_BOTH = frozenset({Permission.READ, Permission.SPOT_TRADE, Permission.FUTURES_TRADE})
_BY_SCOPE = MappingProxyType({Scope.SPOT: _SPOT, Scope.FUTURES: _FUTURES, Scope.BOTH: _BOTH})


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


BYBIT = ExchangeProfile(
    exchange=ExchangeId.BYBIT,
    name="Bybit",
    environment_names=MappingProxyType(
        {
            Environment.LIVE: "Bybit (live)",
            Environment.DEMO: "Bybit demo trading",
            Environment.TESTNET: "Bybit testnet",
            Environment.SANDBOX: "the Bybit sandbox",
        }
    ),
    required_permissions=_BY_SCOPE,
    # Any Bybit key can read: "Any permission can access this endpoint" (query-api)
    # https://bybit-exchange.github.io/docs/v5/user/apikey-info
    implicit_permissions=_READ,
    permission_names=MappingProxyType(
        {
            Permission.READ: "Read",
            Permission.SPOT_TRADE: "SPOT: Trade",
            Permission.FUTURES_TRADE: "Contract Trading (Derivatives): Orders and Positions",
            Permission.WITHDRAW: "Assets: Withdrawal",
            Permission.TRANSFER: "Assets: Account Transfer / Subaccount Transfer",
        }
    ),
    required_position_mode=PositionMode.ONE_WAY,  # AstraBit guide: "Hedge Mode is not supported"
    futures_minimum=BalanceMinimum(fail_below=Decimal(50), warn_below=Decimal(100)),  # "$50–$100"
    trading_wallets=MappingProxyType(
        {"futures": "UNIFIED", "spot": "UNIFIED", "classic:futures": "CONTRACT", "classic:spot": "SPOT"}
    ),
    wallet_names=MappingProxyType(
        {"UNIFIED": "Unified Trading", "FUND": "Funding", "CONTRACT": "Derivatives", "SPOT": "Spot"}
    ),
    supported_account_modes=frozenset({AccountMode.UNIFIED, AccountMode.CLASSIC, None}),
    default_contract=ContractType.USDT_M,
    api_page="On Bybit, click your Profile icon → API Management",
    edit_key="Click Edit next to this key",
    new_key="Click Create New Key → System-generated API key",
    transfer_page="On Bybit, open Assets → Transfer",
    secret_field="secret",
    position_mode_steps=(
        "Open Bybit's Derivatives trading screen",
        "Locate the Position Mode settings",
        "Select One-Way Mode (Bybit refuses the switch while that market has open positions or orders: "
        "close them first)",
    ),
    unbound_ip_note="Bybit deletes keys without a bound IP after 90 days.",
    ip_field="IP restriction (Only IPs with permissions granted are allowed to access the OpenAPI)",
)

BITGET = ExchangeProfile(
    exchange=ExchangeId.BITGET,
    name="Bitget",
    environment_names=MappingProxyType(
        {
            Environment.LIVE: "Bitget (live)",
            Environment.DEMO: "Bitget demo trading",
            Environment.SANDBOX: "the Bitget sandbox",
        }
    ),
    required_permissions=_BY_SCOPE,
    implicit_permissions=frozenset(),
    permission_names=MappingProxyType(
        {
            Permission.READ: "Read",
            Permission.SPOT_TRADE: "Spot trading",
            Permission.FUTURES_TRADE: "Futures trading (Orders and Futures-Holdings)",
            Permission.WITHDRAW: "Withdrawal",
            Permission.TRANSFER: "Transfer",
        }
    ),
    required_position_mode=None,  # AstraBit: "Position Mode: Auto sync from exchange"
    futures_minimum=BalanceMinimum(fail_below=Decimal(150)),  # AstraBit: "$150+ in futures wallet"
    trading_wallets=MappingProxyType(
        {
            "futures": "USDT-FUTURES",
            "futures:usdt_m": "USDT-FUTURES",
            "futures:usdc_m": "USDC-FUTURES",
            "futures:coin_m": "COIN-FUTURES",
            "spot": "spot",
            # A unified (UTA) account holds every market in one wallet (V3 /api/v3/account/assets).
            "unified:futures": "unified",
            "unified:spot": "unified",
        }
    ),
    wallet_names=MappingProxyType(
        {
            "spot": "Spot",
            "USDT-FUTURES": "USDT-M Futures",
            "USDC-FUTURES": "USDC-M Futures",
            "COIN-FUTURES": "Coin-M Futures",
            "funding": "Funding",
            "unified": "Unified account",
        }
    ),
    supported_account_modes=frozenset({AccountMode.UNIFIED, AccountMode.CLASSIC, None}),
    default_contract=ContractType.USDT_M,
    api_page="On Bitget, click your Profile icon → API Management",
    edit_key="Click Edit next to this key (Bitget lets you change permissions and the IP whitelist at any time)",
    new_key="Click Create API Key → System-generated API key, and set a passphrase you will keep",
    transfer_page="On Bitget, open Assets → Transfer",
    secret_field="secret",
)

ASTER = ExchangeProfile(
    exchange=ExchangeId.ASTER,
    name="Aster",
    environment_names=MappingProxyType(
        {
            Environment.LIVE: "Aster (live)",
            Environment.TESTNET: "Aster testnet",
            Environment.SANDBOX: "the Aster sandbox",
        }
    ),
    required_permissions=_BY_SCOPE,
    implicit_permissions=frozenset(),
    permission_names=MappingProxyType(
        {
            Permission.READ: "Read",
            Permission.SPOT_TRADE: "Spot trading",
            Permission.FUTURES_TRADE: "Perps trading",
            Permission.WITHDRAW: "Withdrawal",
            Permission.TRANSFER: "Transfer",
        }
    ),
    required_position_mode=None,
    futures_minimum=None,
    trading_wallets=MappingProxyType({"futures": "futures", "spot": "spot"}),
    wallet_names=MappingProxyType({"futures": "Perpetual (futures)", "spot": "Spot"}),
    supported_account_modes=frozenset({AccountMode.UNIFIED, AccountMode.CLASSIC, None}),
    default_contract=ContractType.USDT_M,
    api_page="On Aster, click More → API Management → Pro API tab",
    # Whether an API wallet's restrictions can be edited after authorisation is UNCONFIRMED (aster.md §8),
    # so the fix is always a new API wallet.
    edit_key="Authorize a new API wallet with the right settings (Authorize new API wallet) and connect that one",
    new_key="Click Authorize new API wallet",
    # The menu name of Aster's Spot ↔ Perpetual transfer is UNCONFIRMED (no seed names it).
    transfer_page="On Aster, open Transfer",
    secret_field="private_key",
    ip_field="IP Restrictions",
)

PROFILES: Mapping[ExchangeId, ExchangeProfile] = MappingProxyType(
    {ExchangeId.BYBIT: BYBIT, ExchangeId.BITGET: BITGET, ExchangeId.ASTER: ASTER}
)


def profile_for(exchange: ExchangeId) -> ExchangeProfile:
    try:
        return PROFILES[exchange]
    except KeyError:
        raise KeyError(f"no verification profile for {exchange!r}; add one in verification/profiles.py") from None
