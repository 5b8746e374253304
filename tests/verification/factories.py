"""Builders of real domain values for the verification tests: specs, key info, gathered reads, contexts.

Nothing here is a mock: every value is the real dataclass the engine and checks use. The specs are small
hand-written stand-ins for the exchanges' own (field patterns as in reference/exchanges), so these unit tests
do not depend on the adapters other modules build.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tradedock.domain import (
    AccountInfo,
    AccountMode,
    Balance,
    ContractType,
    Credentials,
    Environment,
    ExchangeId,
    KeyInfo,
    MarginMode,
    Permission,
    PositionMode,
    PositionSettings,
    Scope,
    ServerTime,
)
from tradedock.exchanges.base import Capabilities, CredentialField, CredentialFinding, ExchangeSpec
from tradedock.exchanges.profile import ExchangeProfile
from tradedock.exchanges.registry import get_spec
from tradedock.verification.checks import ALL_CHECKS, Check, CheckContext
from tradedock.verification.gathered import NOT_RUN, Gathered, Read
from tradedock.verification.report import CheckResult
from tradedock.verification.request import Policy, VerificationRequest

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
EGRESS = "203.0.113.7"

BYBIT_KEY = "AbCdEfGhIjKlMnOpQr"  # 18 alphanumerics
BYBIT_SECRET = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # 36 alphanumerics
BITGET_KEY = "bg_0123456789abcdef0123456789abcdef"
BITGET_SECRET = "0123456789abcdef" * 4
ASTER_API_WALLET = "0x" + "ab" * 20
ASTER_MAIN_WALLET = "0x" + "cd" * 20
ASTER_PRIVATE_KEY = "0x" + "12" * 32

_FIELDS: dict[ExchangeId, tuple[CredentialField, ...]] = {
    ExchangeId.BYBIT: (
        CredentialField("api_key", "API key", "the key Bybit shows", False, r"[A-Za-z0-9]{18,24}", "18 letters/digits"),
        CredentialField("secret", "API secret", "shown once", True, r"[A-Za-z0-9]{36,48}", "36 letters/digits"),
    ),
    ExchangeId.BITGET: (
        CredentialField("api_key", "API key", "the key", False, r"bg_[0-9a-f]{32}", "bg_ + 32 hex characters"),
        CredentialField("secret", "secret key", "shown once", True, r"[0-9a-f]{64}", "64 hex characters"),
        CredentialField("passphrase", "API passphrase", "the passphrase you set", True, r".{6,64}", "6–64 characters"),
    ),
    ExchangeId.ASTER: (
        CredentialField("api_wallet", "API wallet", "the address", False, r"0x[0-9a-fA-F]{40}", "0x + 40 hex"),
        CredentialField("private_key", "private key", "its key", True, r"0x[0-9a-fA-F]{64}", "0x + 64 hex"),
        CredentialField("main_wallet", "main wallet", "login", False, r"0x[0-9a-fA-F]{40}", "0x + 40 hex"),
    ),
}

GOOD_FIELDS: dict[ExchangeId, dict[str, str]] = {
    ExchangeId.BYBIT: {"api_key": BYBIT_KEY, "secret": BYBIT_SECRET},
    ExchangeId.BITGET: {"api_key": BITGET_KEY, "secret": BITGET_SECRET, "passphrase": "Passphrase123"},
    ExchangeId.ASTER: {
        "api_wallet": ASTER_API_WALLET,
        "private_key": ASTER_PRIVATE_KEY,
        "main_wallet": ASTER_MAIN_WALLET,
    },
}

_NAMES = {ExchangeId.BYBIT: "Bybit", ExchangeId.BITGET: "Bitget", ExchangeId.ASTER: "Aster"}


def no_findings(_: Credentials) -> tuple[CredentialFinding, ...]:
    return ()


def make_spec(
    exchange: ExchangeId = ExchangeId.BYBIT,
    *,
    capabilities: Capabilities | None = None,
    inspector: Callable[[Credentials], tuple[CredentialFinding, ...]] = no_findings,
) -> ExchangeSpec:
    real = get_spec(exchange)
    return ExchangeSpec(
        id=exchange,
        name=_NAMES[exchange],
        credential_fields=_FIELDS[exchange],
        base_urls={Environment.LIVE: "https://example.invalid"},
        sandbox_paths={Environment.LIVE: ""},
        capabilities=capabilities or Capabilities(),
        inspect_credentials=inspector,
        # Requirements, guide and error table are the exchange's own: the checks read the real profile.
        profile=profile_for(exchange),
        guide=real.guide,
        error_table=real.error_table,
        public_id_field=real.public_id_field,
    )


def profile_for(exchange: ExchangeId) -> ExchangeProfile:
    """The exchange's real verification profile, as the registry serves it."""
    return get_spec(exchange).profile


def credentials(exchange: ExchangeId = ExchangeId.BYBIT, **overrides: str) -> Credentials:
    return Credentials(exchange, {**GOOD_FIELDS[exchange], **overrides})


def key_info(
    *,
    permissions: tuple[Permission, ...] = (Permission.READ, Permission.FUTURES_TRADE, Permission.SPOT_TRADE),
    ips: tuple[str, ...] = (EGRESS,),
    expires_at: datetime | None = None,
    read_only: bool = False,
    is_master: bool | None = True,
    account_mode: AccountMode | None = AccountMode.UNIFIED,
    parent_uid: str | None = None,
) -> KeyInfo:
    return KeyInfo(
        uid="100200",
        permissions=frozenset(permissions),
        native_permissions={"ContractTrade": ["Order", "Position"]},
        read_only=read_only,
        ips=ips,
        expires_at=expires_at,
        is_master=is_master,
        account_mode=account_mode,
        parent_uid=parent_uid,
    )


def server_time(offset_ms: int = 40, round_trip_ms: int = 80) -> ServerTime:
    return ServerTime(server_ms=NOW_MS + offset_ms, local_ms=NOW_MS, round_trip_ms=round_trip_ms)


def usdt(wallet: str, total: str, available: str | None = None) -> Balance:
    return Balance(wallet, "USDT", Decimal(total), Decimal(available if available is not None else total))


def ok(value: Any) -> Read[Any]:
    return Read(value=value)


def err(error: Exception) -> Read[Any]:
    return Read(error=error)


_DEFAULT = object()


def gathered(
    *,
    server: Read[Any] | object = _DEFAULT,
    key: Read[Any] | object = _DEFAULT,
    account: Read[Any] | object = _DEFAULT,
    balances: Read[Any] | object = _DEFAULT,
    position: Read[Any] | object = _DEFAULT,
    **extra: Any,
) -> Gathered:
    """A healthy Bybit-like account unless told otherwise."""

    def pick(given: Any, default: Read[Any]) -> Read[Any]:
        return default if given is _DEFAULT else given  # type: ignore[no-any-return]

    return Gathered(
        server_time=pick(server, ok(server_time())),
        key_info=pick(key, ok(key_info())),
        account_info=pick(
            account,
            ok(AccountInfo("100200", AccountMode.UNIFIED, is_subaccount=False, margin_mode=MarginMode.CROSS)),
        ),
        balances=pick(balances, ok((usdt("UNIFIED", "500"), usdt("FUND", "20")))),
        position=pick(position, ok(PositionSettings(PositionMode.ONE_WAY, MarginMode.CROSS))),
        **extra,
    )


def context(
    *,
    exchange: ExchangeId = ExchangeId.BYBIT,
    scope: Scope = Scope.FUTURES,
    contract: ContractType | None = None,
    policy: Policy | None = None,
    facts: Gathered | None = None,
    spec: ExchangeSpec | None = None,
    creds: Credentials | None = None,
    trimmed: tuple[str, ...] = (),
    flavor: Environment = Environment.LIVE,
    local_only: bool = False,
) -> CheckContext:
    request = VerificationRequest(
        exchange=exchange,
        environment=flavor,
        scope=scope,
        contract=contract,
        credentials=creds or credentials(exchange),
        trimmed_fields=trimmed,
    )
    return CheckContext(
        request=request,
        spec=spec or make_spec(exchange),
        profile=profile_for(exchange),
        policy=policy or Policy(egress_ips=(EGRESS,)),
        flavor=flavor,
        alternative_flavors=(),
        now=NOW,
        gathered=None if local_only else (facts if facts is not None else gathered()),
    )


CHECKS: dict[str, Check] = {c.id: c for c in ALL_CHECKS}


def run(check_id: str, ctx: CheckContext) -> CheckResult:
    return CHECKS[check_id].run(ctx)


__all__ = ["NOT_RUN"]
