"""Bybit V5 payloads → domain values: pure functions over the ``result`` objects of successful responses.

What belongs here: reading fields (with Bybit's mixed string/int types), normalizing permissions, expiry, account
and margin modes, balances and position mode. What does not: HTTP, signing, or error envelopes (``adapter.py``
checks ``retCode`` before calling these). A payload we cannot read raises `UnexpectedResponseError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from tradedock.domain import (
    USD_STABLECOINS,
    AccountMode,
    Balance,
    KeyInfo,
    MarginMode,
    Permission,
    PositionMode,
)
from tradedock.errors import UnexpectedResponseError

#: https://bybit-exchange.github.io/docs/v5/enum#unifiedmarginstatus : 1 classic, 3/4 UTA 1.0 (Pro), 5/6 UTA 2.0.
CLASSIC_STATUS = 1
UTA1_STATUSES = frozenset({3, 4})
UTA2_STATUSES = frozenset({5, 6})

#: marginMode of GET /v5/account/info. https://bybit-exchange.github.io/docs/v5/account/account-info
MARGIN_MODES: Mapping[str, MarginMode] = {
    "REGULAR_MARGIN": MarginMode.CROSS,
    "ISOLATED_MARGIN": MarginMode.ISOLATED,
    "PORTFOLIO_MARGIN": MarginMode.PORTFOLIO,
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _bad(what: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(f"Bybit answered with an unreadable {what}", exchange="Bybit")


def as_mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(what)
    return value


def as_int(value: object, default: int | None = None) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return default


def as_decimal(value: object) -> Decimal | None:
    """A Bybit number string; ``""`` and missing are None (Bybit leaves deprecated fields empty)."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _bad("number") from None


def parse_iso(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- key info ----------------------------------------------------------------------------------------------


def normalize_permissions(
    native: Mapping[str, Any], *, read_only: bool
) -> tuple[frozenset[Permission], tuple[str, ...]]:
    """Bybit permission groups → normalized permissions plus ``other:<Group>.<Value>`` for the rest.

    ``read`` is always granted (any key can read). Trade scopes count only when ``readOnly == 0``: a read-only key
    still lists the areas it was granted (official example), so its trade values grant nothing and are dropped
    here (the native object stays as evidence). Wallet values count whatever ``readOnly`` says, to stay on the
    safe side for withdrawal. https://bybit-exchange.github.io/docs/v5/user/apikey-info
    """
    granted: set[Permission] = {Permission.READ}
    other: list[str] = []
    for group, values in native.items():
        names = [str(v) for v in values] if isinstance(values, list) else []
        for value in names:
            if group == "Spot" and value == "SpotTrade":
                if not read_only:
                    granted.add(Permission.SPOT_TRADE)
            elif group == "ContractTrade" and value in ("Order", "Position"):
                if read_only:
                    continue
                if "Order" in names:
                    granted.add(Permission.FUTURES_TRADE)
                else:  # Position without Order cannot place orders
                    other.append(f"other:{group}.{value}")
            elif group == "Wallet" and value == "Withdraw":
                granted.add(Permission.WITHDRAW)
            elif group == "Wallet" and value in ("AccountTransfer", "SubMemberTransfer", "SubMemberTransferList"):
                granted.add(Permission.TRANSFER)
            else:
                other.append(f"other:{group}.{value}")
    return frozenset(granted), tuple(sorted(set(other)))


def parse_ips(value: object) -> tuple[str, ...]:
    """Bound IPs; ``["*"]`` (or nothing) means the key is not bound."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return ()
    return tuple(ip.strip() for ip in (str(v) for v in value) if ip.strip() not in ("", "*"))


def parse_expiry(result: Mapping[str, Any], now: datetime) -> datetime | None:
    """When the key stops working, or None for "no expiry".

    Bybit fills ``deadlineDay``/``expiredAt`` only for keys without an IP binding (or after a password change).
    UNCONFIRMED reading (bybit.md §2.1): a negative ``deadlineDay`` or an epoch-zero ``expiredAt`` (seen together
    on an IP-bound key in the current official example) means "no expiry".
    """
    days = as_int(result.get("deadlineDay"))
    if days is not None and days < 0:
        return None
    expired_at = parse_iso(result.get("expiredAt"))
    if expired_at is not None:
        return None if expired_at <= _EPOCH + timedelta(days=1) else expired_at
    if days is not None and days > 0:
        return now + timedelta(days=days)
    return None


def parse_key_info(result: Mapping[str, Any], now: datetime) -> KeyInfo:
    """``result`` of GET /v5/user/query-api → `KeyInfo`. https://bybit-exchange.github.io/docs/v5/user/apikey-info"""
    native = result.get("permissions") or {}
    if not isinstance(native, Mapping):
        raise _bad("key permission object")
    uid = result.get("userID") or result.get("userIDInt64")
    if uid in (None, "", 0):
        raise _bad("key info (no userID)")
    read_only = as_int(result.get("readOnly"), 0) == 1
    permissions, other = normalize_permissions(native, read_only=read_only)
    uta = as_int(result.get("uta"))
    parent = result.get("parentUid")
    is_master = result.get("isMaster")
    return KeyInfo(
        uid=str(uid),
        permissions=permissions,
        other_permissions=other,
        native_permissions={k: list(v) if isinstance(v, list) else v for k, v in native.items()},
        read_only=read_only,
        ips=parse_ips(result.get("ips")),
        expires_at=parse_expiry(result, now),
        is_master=is_master if isinstance(is_master, bool) else None,
        parent_uid=str(parent) if parent not in (None, "", "0", 0) else None,
        account_mode=None if uta is None else (AccountMode.UNIFIED if uta == 1 else AccountMode.CLASSIC),
        label=str(result["note"]) if result.get("note") else None,
        created_at=parse_iso(result.get("createdAt")),
    )


# --- account -----------------------------------------------------------------------------------------------


def unified_margin_status(result: Mapping[str, Any]) -> int | None:
    return as_int(result.get("unifiedMarginStatus"))


def account_mode_from_status(status: int | None) -> AccountMode | None:
    if status is None:
        return None
    return AccountMode.CLASSIC if status == CLASSIC_STATUS else AccountMode.UNIFIED


def margin_mode(result: Mapping[str, Any]) -> MarginMode | None:
    return MARGIN_MODES.get(str(result.get("marginMode", "")))


# --- balances ----------------------------------------------------------------------------------------------


def _usd_value(coin: str, total: Decimal, given: Decimal | None) -> Decimal | None:
    if given is not None:
        return given
    # Bybit gives no usdValue in the Funding wallet: the one valuation rule (domain.USD_STABLECOINS) applies.
    return total if coin.upper() in USD_STABLECOINS else None


def parse_wallet_balance(result: Mapping[str, Any]) -> list[Balance]:
    """``result`` of GET /v5/account/wallet-balance → one `Balance` per coin with anything in it.

    available: ``availableToWithdraw`` (deprecated for UNIFIED since 2025-01, often ``""``), else ``free``
    (classic SPOT), else ``walletBalance − locked − totalPositionIM − totalOrderIM`` (as ccxt does).
    https://bybit-exchange.github.io/docs/v5/account/wallet-balance
    """
    accounts = result.get("list")
    if not isinstance(accounts, list):
        raise _bad("wallet balance (no list)")
    out: list[Balance] = []
    for account in accounts:
        account = as_mapping(account, "wallet balance entry")
        wallet = str(account.get("accountType") or "UNIFIED")
        for entry in account.get("coin") or []:
            entry = as_mapping(entry, "wallet coin entry")
            coin = str(entry.get("coin", ""))
            total = as_decimal(entry.get("walletBalance")) or Decimal(0)
            available = as_decimal(entry.get("availableToWithdraw"))
            if available is None:
                available = as_decimal(entry.get("free"))
            if available is None:
                used = sum(
                    (as_decimal(entry.get(k)) or Decimal(0) for k in ("locked", "totalPositionIM", "totalOrderIM")),
                    Decimal(0),
                )
                available = max(total - used, Decimal(0))
            usd = _usd_value(coin, total, as_decimal(entry.get("usdValue")))
            if coin and (total != 0 or available != 0):
                out.append(Balance(wallet=wallet, coin=coin, total=total, available=available, usd_value=usd))
    return out


def parse_funding_balance(result: Mapping[str, Any], wallet: str = "FUND") -> list[Balance]:
    """``result`` of GET /v5/asset/transfer/query-account-coins-balance → non-zero coins of that wallet.

    https://bybit-exchange.github.io/docs/v5/asset/balance/all-balance
    """
    entries = result.get("balance")
    if not isinstance(entries, list):
        raise _bad("funding balance (no balance list)")
    wallet = str(result.get("accountType") or wallet)
    out: list[Balance] = []
    for entry in entries:
        entry = as_mapping(entry, "funding coin entry")
        coin = str(entry.get("coin", ""))
        total = as_decimal(entry.get("walletBalance")) or Decimal(0)
        available = as_decimal(entry.get("transferBalance"))
        available = total if available is None else available
        if coin and (total != 0 or available != 0):
            out.append(Balance(wallet, coin, total, available, _usd_value(coin, total, None)))
    return out


# --- positions ---------------------------------------------------------------------------------------------


def position_mode_from_rows(rows: Iterable[object]) -> PositionMode | None:
    """positionIdx 0 = one-way; 1/2 = the Buy/Sell sides of hedge ("both side") mode; no rows = unknown.

    https://bybit-exchange.github.io/docs/v5/enum#positionidx
    """
    indexes = {as_int(as_mapping(row, "position entry").get("positionIdx")) for row in rows}
    if indexes & {1, 2}:
        return PositionMode.HEDGE
    if 0 in indexes:
        return PositionMode.ONE_WAY
    return None


def trade_mode_margin(rows: Iterable[object]) -> MarginMode | None:
    """Classic and UTA 1.0 inverse positions carry ``tradeMode`` 0 cross / 1 isolated (deprecated elsewhere)."""
    modes = {as_int(as_mapping(row, "position entry").get("tradeMode")) for row in rows}
    if 1 in modes:
        return MarginMode.ISOLATED
    if 0 in modes:
        return MarginMode.CROSS
    return None
