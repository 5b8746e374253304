"""Bitget payloads → domain values: pure functions over the ``data`` member of a successful envelope.

What belongs here: reading Bitget's field names (V2 classic and V3 unified) into `KeyInfo`, `AccountInfo`,
`Balance` and `PositionSettings`, including the permission vocabulary. What does not: HTTP, signing, routing
between V2 and V3 (``adapter.py``). A payload we cannot read raises `UnexpectedResponseError`; nothing else.

Permission codes (reference §2): V2 ``authorities`` end in ``r`` (read) or ``w`` (read-write); V3 has
``permType`` (read-only | read-and-write) plus ``permissions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from tradedock.domain import (
    USD_STABLECOINS,
    AccountInfo,
    AccountMode,
    Balance,
    KeyInfo,
    MarginMode,
    Permission,
    PositionMode,
    PositionSettings,
    Unreadable,
)
from tradedock.errors import UnexpectedResponseError
from tradedock.exchanges.bitget.endpoints import FUNDING_WALLET, SPOT_WALLET, UNIFIED_WALLET, ProductType

# --- V2 authorities (https://www.bitget.com/api-doc/spot/account/Get-Account-Info) ------------------------------

#: Read-only codes: they add nothing beyond ``read`` (which any successful call proves).
V2_READ_CODES = frozenset({"coor", "cpor", "stor", "smor", "ttor", "wtor", "taxr", "chor", "p2pr", "pllr", "readonly"})
#: Read-write codes that map onto normalized permissions. ``trade``/``transfer``/``withdraw`` are the legacy
#: names (the doc example shows ``["trade", "readonly"]``); what legacy ``trade`` covered is UNCONFIRMED, so it
#: is read as both spot and futures trading.
V2_PERMISSIONS: Mapping[str, frozenset[Permission]] = {
    "coow": frozenset({Permission.FUTURES_TRADE}),
    "cpow": frozenset({Permission.FUTURES_TRADE}),
    "stow": frozenset({Permission.SPOT_TRADE}),
    "wtow": frozenset({Permission.TRANSFER}),
    "wwow": frozenset({Permission.WITHDRAW}),
    "trade": frozenset({Permission.SPOT_TRADE, Permission.FUTURES_TRADE}),
    "transfer": frozenset({Permission.TRANSFER}),
    "withdraw": frozenset({Permission.WITHDRAW}),
}

# --- V3 permissions (https://www.bitget.com/api-doc/uta/account/Get-Account-Info) ------------------------------

V3_PERMISSIONS: Mapping[str, frozenset[Permission]] = {
    "uta_trade": frozenset({Permission.SPOT_TRADE, Permission.FUTURES_TRADE}),
    "withdraw": frozenset({Permission.WITHDRAW}),
}
V3_READ_ONLY = "read-only"


def _fail(what: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(f"Bitget answered with an unexpected {what}", exchange="Bitget")


def as_object(data: object, what: str) -> Mapping[str, Any]:
    """``data`` as an object; a one-element list is accepted (some pages show the single account as a list)."""
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, Mapping):
        raise _fail(what)
    return data


def as_list(data: object, what: str) -> Sequence[Mapping[str, Any]]:
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(item, Mapping) for item in data):
        raise _fail(what)
    return data


def decimal(value: object, what: str) -> Decimal:
    """A Bitget number (sent as a string; "" or null mean zero)."""
    if value is None or value == "":
        return Decimal(0)
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise _fail(f"number in {what}") from None
    if not result.is_finite():
        raise _fail(f"number in {what}")
    return result


def text(value: object) -> str:
    return "" if value is None else str(value).strip()


def split_ips(value: object) -> tuple[str, ...]:
    """The whitelist: one comma-separated string (a list is accepted too); "" means no IP is bound."""
    items: Iterable[object] = value if isinstance(value, list) else text(value).split(",")
    return tuple(ip for ip in (text(item) for item in items) if ip)


def _codes(value: object, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(what)
    return tuple(text(code) for code in value if text(code))


def _is_master(uid: str, parent: str) -> tuple[bool, str | None]:
    """Main account when ``parentId`` is empty, zero or the account's own UID; otherwise a sub-account.

    V3 documents "parentId only has a value when the calling account is a sub-account". V2 documents it
    only as "Main account user ID" — reading "own UID or empty = main" there is UNCONFIRMED.
    """
    if parent in ("", "0") or parent == uid:
        return True, None
    return False, parent


def parse_v2_key_info(data: object) -> KeyInfo:
    """``GET /api/v2/spot/account/info`` data → KeyInfo (classic account)."""
    body = as_object(data, "account info")
    uid = text(body.get("userId"))
    if not uid:
        raise _fail("account info (no userId)")
    codes = _codes(body.get("authorities"), "authorities list")
    permissions: set[Permission] = {Permission.READ}
    other: list[str] = []
    for code in codes:
        lowered = code.lower()
        if lowered in V2_PERMISSIONS:
            permissions |= V2_PERMISSIONS[lowered]
        elif lowered not in V2_READ_CODES:
            other.append(f"other:{code}")
    is_master, parent = _is_master(uid, text(body.get("parentId")))
    return KeyInfo(
        uid=uid,
        permissions=frozenset(permissions),
        other_permissions=tuple(other),
        native_permissions={"authorities": list(codes)},
        read_only=all(code.lower() in V2_READ_CODES for code in codes),
        ips=split_ips(body.get("ips")),
        is_master=is_master,
        parent_uid=parent,
        account_mode=AccountMode.CLASSIC,
    )


#: A classic key refused on GET /api/v2/spot/account/info (40014: it has no Spot permission, bitget.md §2) and
#: able to read its futures accounts: what it is known to have, what stays unknown, and the trader's fix.
UNREADABLE_PERMISSION_LIST = Unreadable(
    what="Bitget did not let this key read its own permission list",
    fix="add Spot read-only, or confirm in API Management",
    remedy="Or tick Spot → Read-only on this key: then Bitget shows it its permission list and TradeDock checks it",
)


def derived_v2_key_info(native_error: str, futures_refusal: str | None = None) -> KeyInfo:
    """KeyInfo of a classic key that may not read its own account info (it has no Spot permission).

    Proven: the key has no Spot permission (that is why the account info was refused). If its futures accounts
    answered, it reads futures and whether it may trade them is unknown; if they were refused too
    (`futures_refusal`), it has no futures permission either. Unknown in both cases: withdraw, transfer, the
    IP whitelist and the UID."""
    unknown = {Permission.WITHDRAW, Permission.TRANSFER}
    native: dict[str, object] = {"authorities": None, "account_info_refused": native_error}
    if futures_refusal is None:
        unknown.add(Permission.FUTURES_TRADE)
    else:
        native["futures_accounts_refused"] = futures_refusal
    return KeyInfo(
        uid="",
        permissions=frozenset({Permission.READ}),
        native_permissions=native,
        unconfirmed=frozenset(unknown),
        ips_known=False,
        account_mode=AccountMode.CLASSIC,
        unreadable=UNREADABLE_PERMISSION_LIST,
    )


def parse_v3_key_info(data: object) -> KeyInfo:
    """``GET /api/v3/account/info`` data → KeyInfo (unified account). A read-only key grants only ``read``
    whatever areas it lists; ``withdraw`` is always reported so it can never hide."""
    body = as_object(data, "account info")
    uid = text(body.get("uid")) or text(body.get("userId"))
    if not uid:
        raise _fail("account info (no uid)")
    codes = _codes(body.get("permissions"), "permissions list")
    perm_type = text(body.get("permType"))
    read_only = perm_type == V3_READ_ONLY
    permissions: set[Permission] = {Permission.READ}
    other: list[str] = []
    for code in codes:
        granted = V3_PERMISSIONS.get(code.lower())
        if granted is not None and (not read_only or Permission.WITHDRAW in granted):
            permissions |= granted
        elif granted is None and not read_only:
            other.append(f"other:{code}")
    is_master, parent = _is_master(uid, text(body.get("parentId")))
    return KeyInfo(
        uid=uid,
        permissions=frozenset(permissions),
        other_permissions=tuple(other),
        native_permissions={"permType": perm_type, "permissions": list(codes)},
        read_only=read_only and Permission.WITHDRAW not in permissions,
        ips=split_ips(body.get("ips")),
        is_master=is_master,
        parent_uid=parent,
        account_mode=AccountMode.UNIFIED,
    )


def account_info_from_key(key: KeyInfo, native: Mapping[str, object]) -> AccountInfo:
    """Account facts are in the same payload as the key facts on Bitget (V2 and V3 account/info)."""
    return AccountInfo(
        uid=key.uid,
        account_mode=key.account_mode,
        is_subaccount=None if key.is_master is None else not key.is_master,
        margin_mode=None,  # per symbol on Bitget: see position_settings
        native=native,
    )


def _usd_for_stablecoin(coin: str, amount: Decimal) -> Decimal | None:
    return amount if coin.upper() in USD_STABLECOINS else None


def parse_spot_assets(data: object) -> list[Balance]:
    """``GET /api/v2/spot/account/assets`` → one Balance per coin in wallet ``spot``; total = available +
    frozen + locked; USD value only for stablecoins (the endpoint gives no price)."""
    balances = []
    for row in as_list(data, "spot asset list"):
        coin = text(row.get("coin")).upper()
        available = decimal(row.get("available"), "spot available")
        total = available + decimal(row.get("frozen"), "spot frozen") + decimal(row.get("locked"), "spot locked")
        if coin and (total or available):
            balances.append(Balance(SPOT_WALLET, coin, total, available, _usd_for_stablecoin(coin, total)))
    return balances


def parse_mix_accounts(product: ProductType, data: object) -> list[Balance]:
    """``GET /api/v2/mix/account/accounts?productType=`` → one Balance per margin coin, wallet named after the
    product type. total = accountEquity (includes unrealized PnL), available = ``available`` (falling back
    to ``maxTransferOut``), usd_value = ``usdtEquity`` (USDT taken as USD)."""
    balances = []
    for row in as_list(data, "futures account list"):
        coin = text(row.get("marginCoin")).upper()
        total = decimal(row.get("accountEquity"), "accountEquity")
        raw_available = row.get("available")
        if raw_available in (None, ""):
            raw_available = row.get("maxTransferOut")
        available = decimal(raw_available, "available")
        usd = row.get("usdtEquity")
        usd_value = decimal(usd, "usdtEquity") if usd not in (None, "") else _usd_for_stablecoin(coin, total)
        if coin and (total or available):
            balances.append(Balance(product.name, coin, total, available, usd_value))
    return balances


def parse_v3_assets(data: object) -> list[Balance]:
    """``GET /api/v3/account/assets`` → wallet ``unified``: total = equity (or balance), usd_value = usdValue."""
    body = as_object(data, "unified account assets")
    balances = []
    for row in as_list(body.get("assets"), "unified asset list"):
        coin = text(row.get("coin")).upper()
        equity = row.get("equity")
        total = decimal(equity if equity not in (None, "") else row.get("balance"), "unified equity")
        available = decimal(row.get("available"), "unified available")
        usd = row.get("usdValue")
        usd_value = decimal(usd, "usdValue") if usd not in (None, "") else _usd_for_stablecoin(coin, total)
        if coin and (total or available):
            balances.append(Balance(UNIFIED_WALLET, coin, total, available, usd_value))
    return balances


def parse_v3_funding(data: object) -> list[Balance]:
    """``GET /api/v3/account/funding-assets`` → wallet ``funding`` (USD value for stablecoins only)."""
    balances = []
    for row in as_list(data, "funding asset list"):
        coin = text(row.get("coin")).upper()
        total = decimal(row.get("balance"), "funding balance")
        available = decimal(row.get("available"), "funding available")
        if coin and (total or available):
            balances.append(Balance(FUNDING_WALLET, coin, total, available, _usd_for_stablecoin(coin, total)))
    return balances


def parse_v2_funding(data: object) -> list[Balance]:
    """``GET /api/v2/account/funding-assets`` (classic) → wallet ``funding``: total = available + frozen; the
    answer's ``usdtValue`` is the USD value."""
    balances = []
    for row in as_list(data, "funding asset list"):
        coin = text(row.get("coin")).upper()
        available = decimal(row.get("available"), "funding available")
        total = available + decimal(row.get("frozen"), "funding frozen")
        usd = decimal(row.get("usdtValue"), "funding usdtValue") if row.get("usdtValue") not in (None, "") else None
        if coin and (total or available):
            balances.append(Balance(FUNDING_WALLET, coin, total, available, usd))
    return balances


_POSITION_MODES = {"one_way_mode": PositionMode.ONE_WAY, "hedge_mode": PositionMode.HEDGE}
_MARGIN_MODES = {"crossed": MarginMode.CROSS, "cross": MarginMode.CROSS, "isolated": MarginMode.ISOLATED}


def position_mode(value: object) -> PositionMode | None:
    return _POSITION_MODES.get(text(value).lower())


def margin_mode(value: object) -> MarginMode | None:
    return _MARGIN_MODES.get(text(value).lower())


def parse_v2_position_settings(product: ProductType, data: object) -> PositionSettings:
    """``GET /api/v2/mix/account/account`` → posMode (whole product type) and marginMode (reference symbol)."""
    body = as_object(data, "futures account")
    native = {
        "productType": product.name,
        "symbol": product.reference_symbol,
        "posMode": text(body.get("posMode")),
        "marginMode": text(body.get("marginMode")),
        "assetMode": text(body.get("assetMode")),
    }
    return PositionSettings(position_mode(body.get("posMode")), margin_mode(body.get("marginMode")), native)


def parse_v3_position_settings(product: ProductType, data: object) -> PositionSettings:
    """``GET /api/v3/account/settings`` → holdMode (account-wide) and the margin mode configured for the
    product type's reference symbol; if that symbol has no entry, the one mode shared by every entry of the
    category, else None."""
    body = as_object(data, "unified account settings")
    entries = [
        row
        for row in as_list(body.get("symbolConfigList"), "symbol settings")
        if text(row.get("category")).upper() == product.name
    ]
    exact = [row for row in entries if text(row.get("symbol")).upper() == product.reference_symbol]
    modes = {text(row.get("marginMode")) for row in (exact or entries)}
    chosen = modes.pop() if len(modes) == 1 else ""
    native = {
        "category": product.name,
        "symbol": product.reference_symbol,
        "holdMode": text(body.get("holdMode")),
        "marginMode": chosen,
        "assetMode": text(body.get("assetMode")),
    }
    return PositionSettings(position_mode(body.get("holdMode")), margin_mode(chosen), native)
