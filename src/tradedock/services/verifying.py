"""Running one verification for given credentials: build adapters, call the checklist engine, close adapters.

What belongs here: the glue between `ExchangeAccess` (which adapter, which URL) and `tradedock.verification`
(the checklist), including closing every adapter the engine asked for, and telling an optional `CheckProgress`
each check's line as soon as it is known (the dashboard's live report). What does not: persistence or vaulting
(see `services.connections`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tradedock.config import Settings
from tradedock.domain import ContractType, Credentials, Environment, MarginMode, PositionMode, Scope
from tradedock.exchanges.base import ExchangeAdapter
from tradedock.services.exchange_access import ExchangeAccess
from tradedock.services.views import CheckView
from tradedock.verification import (
    CheckCallback,
    CheckResult,
    Policy,
    Report,
    SharedServerTime,
    VerificationRequest,
    verify,
)

#: Told each check's line of the report as soon as it is known (local checks first, then the remote ones).
CheckProgress = Callable[[CheckView], None]


@dataclass(frozen=True)
class Target:
    """What a key is verified for; the modes are the trader's choice (None = auto sync from the exchange)."""

    environment: Environment
    scope: Scope
    contract: ContractType | None
    position_mode: PositionMode | None = None
    margin_mode: MarginMode | None = None


class _AdapterPool:
    """Creates adapters on demand (one per flavour) and closes them all afterwards."""

    def __init__(self, access: ExchangeAccess, credentials: Credentials, environment: Environment):
        self._access = access
        self._credentials = credentials
        self._environment = environment
        self._adapters: dict[Environment, ExchangeAdapter] = {}

    def __call__(self, flavor: Environment) -> ExchangeAdapter:
        if flavor not in self._adapters:
            self._adapters[flavor] = self._access.adapter(self._credentials, self._environment, flavor)
        return self._adapters[flavor]

    async def aclose(self) -> None:
        for adapter in self._adapters.values():
            await adapter.aclose()
        self._adapters.clear()


async def run_verification(
    access: ExchangeAccess,
    settings: Settings,
    credentials: Credentials,
    target: Target,
    *,
    trimmed_fields: tuple[str, ...] = (),
    on_check: CheckProgress | None = None,
    server_time: SharedServerTime | None = None,
) -> Report:
    """Verify trimmed ``credentials`` for ``target``; every adapter used is closed before returning.
    ``on_check`` (optional) is told each check's line as soon as it is known. ``server_time``: a reading shared
    with the other verifications of a monitor batch (`tradedock.verification.SharedServerTime`); interactive
    checks pass none and measure the exchange's clock themselves."""
    exchange = credentials.exchange
    flavor, alternatives = access.flavors(exchange, target.environment)
    access.preconnect(exchange, target.environment)  # handshakes now, in parallel, while the adapter loads
    pool = _AdapterPool(access, credentials, target.environment)
    request = VerificationRequest(
        exchange=exchange,
        environment=target.environment,
        scope=target.scope,
        contract=target.contract,
        credentials=credentials,
        trimmed_fields=trimmed_fields,
        position_mode=target.position_mode,
        margin_mode=target.margin_mode,
    )
    try:
        return await verify(
            request,
            spec=access.spec(exchange),
            adapter_for=pool,
            flavor=flavor,
            alternative_flavors=alternatives,
            policy=_policy(settings),
            clock=access.clock,
            on_check=_as_views(on_check),
            server_time=server_time,
        )
    finally:
        await pool.aclose()


#: The last settings' `Policy` (settings are immutable; a process has one, so each verification need not rebuild it).
_last_policy: tuple[Settings, Policy] | None = None


def _policy(settings: Settings) -> Policy:
    global _last_policy
    if _last_policy is None or _last_policy[0] is not settings:
        _last_policy = (settings, Policy.from_settings(settings))
    return _last_policy[1]


def _as_views(on_check: CheckProgress | None) -> CheckCallback | None:
    if on_check is None:
        return None
    progress = on_check

    def tell(result: CheckResult) -> None:
        progress(CheckView(**result.to_dict()))

    return tell
