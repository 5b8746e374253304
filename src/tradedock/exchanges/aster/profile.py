"""Aster's requirements and wording for verification (`PROFILE`): permissions, wallets, menu names.

What belongs here: Aster's values of `ExchangeProfile` (see ``exchanges/profile.py``), with the source of each
requirement beside it. What does not: logic, or credential fields and URLs (``spec.py``).
"""

from __future__ import annotations

from types import MappingProxyType

from tradedock.domain import AccountMode, ContractType, Environment, ExchangeId, Permission
from tradedock.exchanges.profile import PERMISSIONS_BY_SCOPE, ExchangeProfile

PROFILE = ExchangeProfile(
    exchange=ExchangeId.ASTER,
    name="Aster",
    environment_names=MappingProxyType(
        {
            Environment.LIVE: "Aster (live)",
            Environment.TESTNET: "Aster testnet",
            Environment.SANDBOX: "the Aster sandbox",
        }
    ),
    required_permissions=PERMISSIONS_BY_SCOPE,
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
    main_account_where="on Aster click your email in the top-right corner and copy the Main Wallet (Main Account) "
    "address",
)
