"""Bybit API-key permission vocabulary, as `GET /v5/user/query-api` reports it.

Source: https://bybit-exchange.github.io/docs/v5/user/apikey-info (permissions table). Belongs here: the
allowed groups/values and validation of control-API payloads. Does not belong here: enforcement on
endpoints (see `auth.py`).
"""

from __future__ import annotations

from typing import Any

from tradedock_sim.core import ControlInputError

# Group -> allowed values (https://bybit-exchange.github.io/docs/v5/user/apikey-info).
PERMISSION_VALUES: dict[str, tuple[str, ...]] = {
    "ContractTrade": ("Order", "Position"),
    "Spot": ("SpotTrade",),
    "Wallet": ("AccountTransfer", "SubMemberTransfer", "SubMemberTransferList", "Withdraw"),
    "Options": ("OptionsTrade",),
    "Derivatives": ("DerivativesTrade",),
    "Exchange": ("ExchangeHistory",),
    "Earn": ("Earn",),
    "FiatP2P": ("FiatP2POrder", "Advertising"),
    "FiatBitPay": ("FaitPayOrder",),  # sic: Bybit's spelling
    "FiatConvertBroker": ("FiatConvertBrokerOrder",),
    "BitCard": ("BitCard",),
    "ByXPost": ("ByXPost",),
    "Affiliate": ("Affiliate",),
    "BlockTrade": ("BlockTrade",),
    "NFT": (),  # deprecated, always []
    "CopyTrading": (),  # deprecated, always []
    "FiatGlobalPay": (),  # in the current example as []; values UNCONFIRMED
}

MASTER_ONLY_WALLET = ("Withdraw", "SubMemberTransfer")

# What a trading key for USDT perpetuals looks like (the least privilege the seeds ask for).
FUTURES_TRADING: dict[str, list[str]] = {"ContractTrade": ["Order", "Position"], "Derivatives": ["DerivativesTrade"]}


def validate_permissions(raw: object) -> dict[str, list[str]]:
    """Check a permissions object in Bybit's vocabulary; return it with every group present (missing -> [])."""
    if not isinstance(raw, dict):
        raise ControlInputError(
            "permissions",
            'must be an object in Bybit\'s vocabulary, e.g. {"ContractTrade": ["Order", "Position"]}',
        )
    result: dict[str, list[str]] = {group: [] for group in PERMISSION_VALUES}
    # "Derivatives" is granted to every key by default now (apikey-info changelog).
    result["Derivatives"] = ["DerivativesTrade"]
    for group, values in raw.items():
        if group not in PERMISSION_VALUES:
            raise ControlInputError(
                f"permissions.{group}", f"unknown Bybit permission group; known: {', '.join(PERMISSION_VALUES)}"
            )
        if not isinstance(values, list):
            raise ControlInputError(f"permissions.{group}", "must be a list of strings")
        for index, value in enumerate(values):
            if value not in PERMISSION_VALUES[group]:
                allowed = ", ".join(PERMISSION_VALUES[group]) or "nothing (deprecated group, always [])"
                raise ControlInputError(f"permissions.{group}[{index}]", f"unknown value {value!r}; allowed: {allowed}")
        result[group] = list(dict.fromkeys(values))
    return result


def has(permissions: Any, group: str, value: str | None = None) -> bool:
    """True when the group is granted (any value) or, with `value`, that exact value is granted."""
    granted = permissions.get(group, []) if isinstance(permissions, dict) else []
    return bool(granted) if value is None else value in granted
