"""The phases of connection work that talks to an exchange: what phase 1 loads, how a batch item that cannot
be loaded becomes its own outcome, the views of a fresh report, and the errors of a lost race.

What belongs here: small values and pure helpers `services.connections` and the monitor's batches use between
their short transactions (`open_credentials`: phase 2's decryption).
What does not: the transactions themselves or the rules of a connection's life (`services.connections`).
"""

from __future__ import annotations

from dataclasses import dataclass

from tradedock.db.models import Connection
from tradedock.db.repositories import StoredSecrets
from tradedock.domain import Credentials, ExchangeId
from tradedock.errors import ConflictError, InvalidInputError, NotFoundError, TradeDockError
from tradedock.exchanges.registry import get_spec
from tradedock.services import records
from tradedock.services.verifying import Target
from tradedock.services.views import FixOfferView, NotChecked, Outcome
from tradedock.vault import SealContext, Vault
from tradedock.vault.integrity import secrets_missing
from tradedock.verification import Report


@dataclass(frozen=True)
class Loaded:
    """What phase 1 (load) hands to phase 2 (the exchange): public row facts, never an ORM object or a session."""

    connection_id: str
    exchange: ExchangeId
    target: Target
    version: int
    fingerprint: str
    account_uid: str | None
    sealed: StoredSecrets | None

    @classmethod
    def of(cls, row: Connection, sealed: StoredSecrets | None) -> Loaded:
        return cls(
            row.id,
            ExchangeId(row.exchange),
            records.target_of(row),
            row.version,
            row.key_fingerprint,
            row.account_uid,
            sealed,
        )


def outcome_of(report: Report, connection_id: str | None, *, stored: bool, note: str | None = None) -> Outcome:
    """The view of a fresh report, with the fixes its failed checks allow ("fix it for me")."""
    from tradedock.services.fixes import fix_offers  # fixes builds on this module

    checks = [c.to_dict() for c in report.checks]
    offers = [FixOfferView(**offer.to_dict()) for offer in fix_offers(report.exchange.value, checks)]
    return Outcome.from_report(report, connection_id, stored=stored, note=note, fixes=offers)


def load_row(row: Connection, sealed: StoredSecrets | None) -> Loaded | NotChecked:
    """Phase 1 of one batch item; a row that cannot even be read (e.g. an unknown environment) is its own
    outcome, never the batch's."""
    try:
        return Loaded.of(row, sealed)
    except ValueError as error:
        return NotChecked(
            connection_id=row.id,
            error=type(error).__name__,
            reason=f"the stored connection cannot be read: {error}",
            fix="Remove the connection and connect the key again.",
        )


def open_credentials(vault: Vault, owner_id: str, loaded: Loaded) -> Credentials:
    """Open one loaded connection's credentials for the length of one call or verification (only services do
    this); its sealed set is checked whole against the stored fingerprint."""
    if loaded.sealed is None:  # the wrapped data key row is gone: damage, not a verdict on the key
        raise secrets_missing(loaded.connection_id)
    spec = get_spec(loaded.exchange.value)
    fields = vault.open_connection(
        loaded.sealed,
        SealContext(owner_id, loaded.connection_id, loaded.exchange.value),
        required=spec.field_names,
        public_field=spec.public_id_field,
        fingerprint=loaded.fingerprint,
    )
    return spec.credentials(fields)


def removed_meanwhile(connection_id: str) -> NotFoundError:
    return NotFoundError(
        f"connection {connection_id} was removed while it was being worked on; nothing was recorded",
        fix="Run `tradedock list` to see your connections.",
    )


def kept_changing(connection_id: str) -> ConflictError:
    return ConflictError(
        f"connection {connection_id} kept changing while it was being checked; nothing was recorded",
        fix=f"Run `tradedock check {connection_id}` again.",
    )


def not_checked(connection_id: str, error: TradeDockError) -> NotChecked:
    return NotChecked(
        connection_id=connection_id,
        error=type(error).__name__,
        reason=error.message,
        fix=error.fix,
        field=error.field if isinstance(error, InvalidInputError) else None,
    )
