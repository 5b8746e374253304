"""What a connect or replace is given, checked before any secret is asked for or any network call is made.

What belongs here: `ConnectRequest`, the credential prompts, and the local checks of a connect's options
(exchange name, environment offered, sandbox running, contract, label) and of the credential fields. What does
not: verification against the exchange or persistence (`services.connections`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tradedock.domain import ContractType, Credentials, Environment, ExchangeId, MarginMode, PositionMode, Scope
from tradedock.errors import InvalidInputError
from tradedock.services.context import AppContext
from tradedock.services.credentials import validate_credentials
from tradedock.services.exchange_access import ExchangeAccess

__all__ = ["ConnectRequest", "CredentialPrompt", "connect_prompts", "credential_prompts", "parse_exchange"]


@dataclass(frozen=True)
class CredentialPrompt:
    """How to ask a user for one credential field."""

    name: str
    label: str
    help: str
    secret: bool


@dataclass(frozen=True)
class ConnectRequest:
    """A connect. ``position_mode`` / ``margin_mode``: the trader's choice, None = "Auto sync from exchange" (the
    default: TradeDock records whatever the exchange reports); a mode = the connection must be in it (checked at
    every verification; only the futures scope uses them)."""

    exchange: ExchangeId
    environment: Environment
    scope: Scope
    contract: ContractType | None
    label: str | None
    credentials: Mapping[str, str]
    position_mode: PositionMode | None = None
    margin_mode: MarginMode | None = None


def parse_exchange(value: str) -> ExchangeId:
    try:
        return ExchangeId(value.strip().lower())
    except ValueError:
        names = ", ".join(e.value for e in ExchangeId)
        raise InvalidInputError("exchange", f"unknown exchange {value!r}", fix=f"Use one of: {names}.") from None


def credential_prompts(ctx: AppContext, exchange: ExchangeId) -> tuple[CredentialPrompt, ...]:
    spec = ctx.access.spec(exchange)
    return tuple(CredentialPrompt(f.name, f.label, f.help, f.secret) for f in spec.credential_fields)


def checked_credentials(exchange: ExchangeId, given: Mapping[str, str]) -> tuple[Credentials, tuple[str, ...]]:
    return validate_credentials(exchange, given)


def connect_prompts(
    access: ExchangeAccess,
    exchange: ExchangeId,
    environment: Environment,
    scope: Scope,
    contract: ContractType | None,
    label: str | None,
) -> tuple[CredentialPrompt, ...]:
    """Check a connect's options before any secret is asked for (the environment is offered, the sandbox is
    running, the contract exists, the label is fine) and return the credential fields to ask for."""
    primary, _ = access.flavors(exchange, environment)
    if environment is Environment.SANDBOX:
        stale = access.settings.stale_sandbox_pid()
        if stale is not None:
            raise InvalidInputError(
                "environment",
                f"the sandbox that recorded its URLs in {access.settings.sandbox_urls_file} (process {stale}) is "
                "no longer running",
                fix="Start it again with `tradedock sandbox` (keys made in the old sandbox do not exist in the new "
                "one: use the keys it prints).",
            )
        access.base_url(exchange, environment, primary)
    checked_target(scope, contract, exchange, access)
    checked_label(label, exchange)
    spec = access.spec(exchange)
    return tuple(CredentialPrompt(f.name, f.label, f.help, f.secret) for f in spec.credential_fields)


def checked_target(
    scope: Scope, contract: ContractType | None, exchange: ExchangeId, access: ExchangeAccess
) -> ContractType | None:
    if not scope.needs_futures:
        if contract is not None:
            raise InvalidInputError("contract", "a contract type only applies to futures", fix="Drop --contract.")
        return None
    offered = access.spec(exchange).contract_types
    chosen = contract or (offered[0] if offered else None)
    if chosen is not None and offered and chosen not in offered:
        names = ", ".join(c.value for c in offered)
        raise InvalidInputError(
            "contract", f"{exchange.value} does not offer {chosen.value}", fix=f"Use one of: {names}."
        )
    return chosen


def checked_label(label: str | None, exchange: ExchangeId) -> str:
    text = (label or exchange.value.capitalize()).strip()
    if not text or len(text) > 64 or any(not ch.isprintable() for ch in text):
        raise InvalidInputError("label", "the label must be 1–64 printable characters", fix="Choose a shorter label.")
    return text


#: The modes a trader may choose at connect besides "auto" (auto sync from the exchange).
CHOOSABLE_MARGIN_MODES = (MarginMode.CROSS, MarginMode.ISOLATED)


def checked_modes(
    exchange: ExchangeId, access: ExchangeAccess, scope: Scope, position: PositionMode | None, margin: MarginMode | None
) -> tuple[PositionMode | None, MarginMode | None]:
    """The trader's mode choices as stored: none outside futures; a position mode the exchange's profile rules out
    (hedge where TradeDock needs one-way) or a margin mode not offered is refused naming the field."""
    if not scope.needs_futures:
        return None, None
    required = access.spec(exchange).profile.required_position_mode
    if position is not None and required is not None and position is not required:
        raise InvalidInputError(
            "position_mode",
            f"TradeDock strategies on {exchange.value} need {required.value.replace('_', '-')} mode",
            fix=f"Choose Auto sync or {required.value.replace('_', '-')}.",
        )
    if margin is not None and margin not in CHOOSABLE_MARGIN_MODES:
        raise InvalidInputError(
            "margin_mode", f"{margin.value} cannot be chosen", fix="Choose auto, cross or isolated."
        )
    return position, margin
