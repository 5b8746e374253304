"""Bitget's requirements and wording for verification (`PROFILE`): permissions, wallets, menu names.

What belongs here: Bitget's values of `ExchangeProfile` (see ``exchanges/profile.py``), with the source of each
requirement beside it. What does not: logic, or credential fields and URLs (``spec.py``).
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

from tradedock.domain import AccountMode, ContractType, Environment, ExchangeId, Permission
from tradedock.exchanges.profile import PERMISSIONS_BY_SCOPE, BalanceMinimum, ExchangeProfile

PROFILE = ExchangeProfile(
    exchange=ExchangeId.BITGET,
    name="Bitget",
    environment_names=MappingProxyType(
        {
            Environment.LIVE: "Bitget (live)",
            Environment.DEMO: "Bitget demo trading",
            Environment.SANDBOX: "the Bitget sandbox",
        }
    ),
    required_permissions=PERMISSIONS_BY_SCOPE,
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
