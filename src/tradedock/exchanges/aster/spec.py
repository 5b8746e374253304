"""Aster's static description: credential fields, URLs per environment, capabilities, local inspector.

What belongs here: `SPEC` (with the paste shapes other exchanges use to recognise an Aster wallet). What does
not: the checks themselves (``wallets.py``) or any network call. Cheap to import: no eth-account here.
"""

from __future__ import annotations

from types import MappingProxyType

from tradedock.domain import ContractType, Environment, ExchangeId
from tradedock.exchanges.aster import endpoints
from tradedock.exchanges.aster.errors import ERROR_TABLE
from tradedock.exchanges.aster.guide import GUIDE
from tradedock.exchanges.aster.profile import PROFILE
from tradedock.exchanges.aster.wallets import (
    ADDRESS_PATTERN,
    ADDRESS_SHAPE,
    API_WALLET_HOWTO,
    PRIVATE_KEY_PATTERN,
    PRIVATE_KEY_SHAPE,
    inspect_credentials,
)
from tradedock.exchanges.base import Capabilities, CredentialField, ExchangeSpec, PasteShape

SPEC = ExchangeSpec(
    id=ExchangeId.ASTER,
    name="Aster",
    credential_fields=(
        CredentialField(
            name="api_wallet",
            label="API wallet address",
            help=f"the address of the API wallet you authorized on Aster ({API_WALLET_HOWTO}) — not your login wallet",
            secret=False,
            pattern=ADDRESS_PATTERN,
            shape=ADDRESS_SHAPE,
        ),
        CredentialField(
            name="private_key",
            label="API wallet private key",
            help="the private key of that API wallet, shown once when you created it — never your main wallet's key",
            secret=True,
            pattern=PRIVATE_KEY_PATTERN,
            shape=PRIVATE_KEY_SHAPE,
        ),
        CredentialField(
            name="main_wallet",
            label="Main wallet address",
            help="the wallet address you log in to Aster with (the account the API wallet trades for)",
            secret=False,
            pattern=ADDRESS_PATTERN,
            shape=ADDRESS_SHAPE,
        ),
    ),
    # The futures host; spot uses endpoints.SPOT_BASE_URLS for the same environment.
    base_urls=endpoints.FUTURES_BASE_URLS,
    sandbox_paths=endpoints.SANDBOX_PATHS,
    capabilities=Capabilities(
        trading=True,  # V3 USDT perpetuals: exchanges/aster/trading.py
        key_info=True,  # GET /fapi/v3/agent lists canRead/canSpotTrade/canPerpTrade/canWithdraw
        ip_whitelist=True,  # ... and ipWhitelist
        key_expiry=True,  # ... and expired (ms)
        account_mode=False,
        position_mode=True,  # GET /fapi/v3/positionSide/dual
        margin_mode=True,  # GET /fapi/v3/multiAssetsMargin
        spot=True,
        futures=True,
        notes=MappingProxyType({"account_mode": "Aster has no unified/classic account distinction."}),
    ),
    inspect_credentials=inspect_credentials,
    profile=PROFILE,
    guide=GUIDE,
    error_table=ERROR_TABLE,
    public_id_field="api_wallet",
    paste_shapes=(
        PasteShape("api_wallet", ADDRESS_PATTERN, "a wallet address (0x…, as Aster uses)", distinctive=True),
        PasteShape("main_wallet", ADDRESS_PATTERN, "a wallet address (0x…, as Aster uses)", distinctive=True),
        PasteShape("private_key", r"0x[0-9a-fA-F]{64}", "a wallet private key (0x…, as Aster uses)", distinctive=True),
        PasteShape("private_key", r"[0-9a-fA-F]{64}", "a wallet private key (64 hex characters)"),
    ),
    contract_types=(ContractType.USDT_M,),
    guide_url=endpoints.GUIDE_URL,
)

#: Real environments Aster offers (``demo`` does not exist on Aster).
FLAVORS = (Environment.LIVE, Environment.TESTNET)
