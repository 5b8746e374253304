"""Bybit's requirements and wording for verification (`PROFILE`): permissions, wallets, menu names.

What belongs here: Bybit's values of `ExchangeProfile` (see ``exchanges/profile.py``), with the source of each
requirement beside it. What does not: logic, or credential fields and URLs (``spec.py``).
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

from tradedock.domain import AccountMode, ContractType, Environment, ExchangeId, Permission, PositionMode
from tradedock.exchanges.profile import PERMISSIONS_BY_SCOPE, READ_ONLY, BalanceMinimum, ExchangeProfile

PROFILE = ExchangeProfile(
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
    required_permissions=PERMISSIONS_BY_SCOPE,
    # Any Bybit key can read: "Any permission can access this endpoint" (query-api)
    # https://bybit-exchange.github.io/docs/v5/user/apikey-info
    implicit_permissions=READ_ONLY,
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
