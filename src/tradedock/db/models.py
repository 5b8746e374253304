"""Table definitions (SQLAlchemy 2 declarative models). The Alembic migrations must match these.

What belongs here: tables, columns, keys and indexes, nothing else. What does not: queries (repositories/),
engines (engine.py), or business rules. Enum-like columns (exchange, status, …) are plain strings; services
validate them against `tradedock.domain` so adding an exchange needs no migration.

Secrets live in two tables: ``connection_secrets`` (one row per connection: master key id, wrapped data key,
AAD version) and ``connection_secret_fields`` (one sealed blob per credential field). Both go when their
connection goes (``ON DELETE CASCADE``), which destroys the data key; ``audit_log`` deliberately has no foreign
key so the record of a removal outlives the connection.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from tradedock.db.types import Ciphertext, DecimalText, JsonDocument, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    """A random, unguessable id (OWASP API1: ids must not be enumerable)."""
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)  # the sign-in e-mail for API users
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: argon2id hash (PHC string); ``None`` for the CLI's local owner, who never signs in.
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    is_operator: Mapped[bool] = mapped_column(Boolean(), default=False, server_default=false())

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, name={self.name!r}, is_operator={self.is_operator!r}, password_hash=***)"


class Connection(Base):
    __tablename__ = "connections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    exchange: Mapped[str] = mapped_column(String(32))
    environment: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(32))
    contract_type: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(40))
    key_fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    masked_key: Mapped[str] = mapped_column(String(40))
    account_uid: Mapped[str | None] = mapped_column(String(100))
    account_mode: Mapped[str | None] = mapped_column(String(40))
    position_mode: Mapped[str | None] = mapped_column(String(40))
    margin_mode: Mapped[str | None] = mapped_column(String(40))
    key_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_balance_usd: Mapped[Decimal | None] = mapped_column(DecimalText())
    balances_json: Mapped[Any | None] = mapped_column(JsonDocument())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: Optimistic concurrency: every write bumps it; a write conditioned on a stale version changes nothing.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    def __repr__(self) -> str:
        return (
            f"Connection(id={self.id!r}, exchange={self.exchange!r}, label={self.label!r}, "
            f"masked_key={self.masked_key!r}, status={self.status!r})"
        )


class ConnectionSecret(Base):
    """The wrapped data key of one connection (the per-field ciphertexts are in `ConnectionSecretField`)."""

    __tablename__ = "connection_secrets"

    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True)
    kek_id: Mapped[str] = mapped_column(String(32), index=True)
    wrapped_dek: Mapped[bytes] = mapped_column(Ciphertext())
    aad_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def __repr__(self) -> str:
        return f"ConnectionSecret(connection_id={self.connection_id!r}, kek_id={self.kek_id!r}, sealed=***)"


class ConnectionSecretField(Base):
    __tablename__ = "connection_secret_fields"

    connection_id: Mapped[str] = mapped_column(
        ForeignKey("connection_secrets.connection_id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(Ciphertext())

    def __repr__(self) -> str:
        return f"ConnectionSecretField(connection_id={self.connection_id!r}, field={self.field!r}, sealed=***)"


class VerificationRun(Base):
    __tablename__ = "verification_runs"
    __table_args__ = (Index("ix_verification_runs_connection_started", "connection_id", "started_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    duration_ms: Mapped[int] = mapped_column(Integer)

    results: Mapped[list[CheckResult]] = relationship(
        order_by="CheckResult.position",
        lazy="selectin",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class CheckResult(Base):
    __tablename__ = "check_results"

    run_id: Mapped[str] = mapped_column(ForeignKey("verification_runs.id", ondelete="CASCADE"), primary_key=True)
    check_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    fix: Mapped[list[str]] = mapped_column(JsonDocument())
    evidence: Mapped[dict[str, Any]] = mapped_column(JsonDocument())


class AuditEntry(Base):
    """One audit record. No foreign keys: it must survive the removal of its connection."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_owner_at", "owner_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    owner_id: Mapped[str] = mapped_column(String(36))
    connection_id: Mapped[str | None] = mapped_column(String(36), index=True)
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDocument())


class VaultMeta(Base):
    """Vault-internal keys (today: the fingerprint key), wrapped by a master key like a data key."""

    __tablename__ = "vault_meta"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kek_id: Mapped[str] = mapped_column(String(32), index=True)
    wrapped: Mapped[bytes] = mapped_column(Ciphertext())
    aad_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def __repr__(self) -> str:
        return f"VaultMeta(name={self.name!r}, kek_id={self.kek_id!r}, wrapped=***)"


class ApiSession(Base):
    """A signed-in browser session. The cookie holds a random value; only its SHA-256 is stored here."""

    __tablename__ = "api_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def __repr__(self) -> str:
        return f"ApiSession(id={self.id!r}, user_id={self.user_id!r}, token_hash=***)"


class ApiToken(Base):
    """A personal API token: named, revocable; the token is shown once and only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))  # the first characters, so a user can tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)

    def __repr__(self) -> str:
        return f"ApiToken(id={self.id!r}, name={self.name!r}, hint={self.hint!r}, token_hash=***)"


class Webhook(Base):
    """A webhook endpoint of one owner; its signing secret is sealed by the vault like a connection's."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(200))
    event_types: Mapped[list[str]] = mapped_column(JsonDocument())
    kek_id: Mapped[str] = mapped_column(String(32), index=True)
    wrapped_dek: Mapped[bytes] = mapped_column(Ciphertext())
    secret_ciphertext: Mapped[bytes] = mapped_column(Ciphertext())
    aad_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: Set by the monitor when the endpoint kept failing; a disabled endpoint receives nothing.
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    #: Failed delivery attempts in a row (reset by any success).
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def __repr__(self) -> str:
        return f"Webhook(id={self.id!r}, url={self.url!r}, sealed=***)"


class Event(Base):
    """Something that happened to an owner's connection (written by the monitor; listed by `GET /events`)."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_owner_created", "owner_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    connection_id: Mapped[str | None] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JsonDocument())


class MonitorLease(Base):
    """The monitor's schedule and lease of one connection (one row per connection).

    A worker claims due rows with one conditional UPDATE (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), setting
    ``lease_owner`` and ``lease_expires_at``; a dead worker's lease simply expires. The ``expiry_*`` and
    ``balance_low`` columns remember which notifications were already sent, so each is sent once.
    """

    __tablename__ = "monitor_leases"
    __table_args__ = (Index("ix_monitor_leases_due", "next_check_at"),)

    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True)
    next_check_at: Mapped[datetime] = mapped_column(UtcDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(String(400), default=None)
    #: The smallest expiry threshold (days; 0 = expired) already announced for ``expiry_for``.
    expiry_notified: Mapped[int | None] = mapped_column(Integer, default=None)
    expiry_for: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class MonitorWorker(Base):
    """A running monitor (in `tradedock serve` or `tradedock worker`): its heartbeat, for the health view."""

    __tablename__ = "monitor_workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime())
    checks_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    deliveries_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class WebhookDelivery(Base):
    """One event to one webhook endpoint: pending until delivered, or failed after the last retry."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebhookAttempt(Base):
    """Every delivery attempt, successful or not (status code or error; never the secret or the signature)."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(String(400), default=None)
    duration_ms: Mapped[int] = mapped_column(Integer)
