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
    #: A page of an owner's connections in order without sorting them all (migration 0008).
    __table_args__ = (Index("ix_connections_owner_created", "owner_id", "created_at", "id"),)

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
    #: The trader's choice at connect (migration 0007): None = auto sync from the exchange (the default), else the
    #: position / margin mode this connection must be in (a different mode on the exchange is `position.mode` /
    #: `margin.mode` fail).
    position_mode_choice: Mapped[str | None] = mapped_column(String(20), default=None)
    margin_mode_choice: Mapped[str | None] = mapped_column(String(20), default=None)
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
    __table_args__ = (
        Index("ix_verification_runs_connection_started", "connection_id", "started_at"),
        Index("ix_verification_runs_started_at", "started_at"),  # history retention
    )

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
    __table_args__ = (
        Index("ix_audit_log_owner_at", "owner_id", "at"),
        Index("ix_audit_log_action_at", "action", "at"),  # history retention (the monitor's entries)
    )

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
    """Something that happened to an owner's connection or bot (monitor, bots; listed by `GET /events`)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_owner_created", "owner_id", "created_at"),
        Index("ix_events_bot_created", "bot_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    connection_id: Mapped[str | None] = mapped_column(String(36))
    #: The bot a ``bot.*`` event is about (no foreign key: the audit trail outlives the bot; migration 0005).
    bot_id: Mapped[str | None] = mapped_column(String(36), default=None)
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


# --- bots and strategies (issue 15; migration 0005_bots) -------------------------------------------------------


class Strategy(Base):
    """A signal source: a webhook strategy (signals posted with its own secret) or a built-in one (run by the
    platform from market data, ``builtin_name`` + ``params``). ``owner_id`` NULL = a platform strategy; a
    ``public`` strategy is visible to every user (only operators publish), a ``private`` one to its owner.

    The signal secret is a high-entropy random token shown once; only its SHA-256 is stored (``secret_hash``,
    compared in constant time) with a short ``secret_hint`` so people can tell secrets apart.
    """

    __tablename__ = "strategies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    visibility: Mapped[str] = mapped_column(String(16))  # private | public
    kind: Mapped[str] = mapped_column(String(16))  # webhook | builtin
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    builtin_name: Mapped[str | None] = mapped_column(String(64), default=None)
    params: Mapped[dict[str, Any]] = mapped_column(JsonDocument())
    secret_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    secret_hint: Mapped[str | None] = mapped_column(String(16), default=None)
    #: A signal whose own time is older than this (seconds) is refused as stale.
    max_signal_age_s: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    def __repr__(self) -> str:
        return f"Strategy(id={self.id!r}, kind={self.kind!r}, name={self.name!r}, secret_hash=***)"


class StrategySignal(Base):
    """An accepted signal. ``(strategy_id, signal_id)`` is unique: the sender's id makes a replay a conflict.
    Refused signals are not stored here (so a corrected signal may reuse its id); they are events."""

    __tablename__ = "strategy_signals"
    __table_args__ = (
        UniqueConstraint("strategy_id", "signal_id"),
        Index("ix_strategy_signals_strategy_received", "strategy_id", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    strategy_id: Mapped[str] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"))
    signal_id: Mapped[str] = mapped_column(String(64))  # the sender's id
    action: Mapped[str] = mapped_column(String(16))  # long | short | close | flat
    symbol: Mapped[str] = mapped_column(String(32))
    #: Optional target position size in the base coin (absolute); otherwise the bot's sizing decides.
    target_size: Mapped[Decimal | None] = mapped_column(DecimalText(), default=None)
    signal_time: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: What the signal caused, e.g. "2 bot orders; 1 bot not running".
    outcome: Mapped[str] = mapped_column(String(400), default="")


class Bot(Base):
    """A connection put to work on a strategy: symbols, sizing, limits, stop conditions, state.

    ``state``: draft → running ⇄ paused → stopped (docs/architecture.md, "Bots and strategies"). A paper bot
    (``mode`` = paper) executes on ``paper_connection_id``, a sandbox-simulator account provisioned for it.
    ``lease_owner``/``lease_expires_at``: the worker executing this bot's orders (one at a time, in signal order).
    The position columns are the last reconciled view of the exchange (the exchange is the truth).
    """

    __tablename__ = "bots"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    connection_id: Mapped[str | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL"), index=True, default=None
    )
    strategy_id: Mapped[str | None] = mapped_column(
        ForeignKey("strategies.id", ondelete="SET NULL"), index=True, default=None
    )
    symbols: Mapped[list[str]] = mapped_column(JsonDocument())
    sizing_kind: Mapped[str] = mapped_column(String(16))  # fixed_quote | balance_pct
    sizing_value: Mapped[Decimal] = mapped_column(DecimalText())
    leverage_cap: Mapped[Decimal | None] = mapped_column(DecimalText(), default=None)
    max_position_quote: Mapped[Decimal | None] = mapped_column(DecimalText(), default=None)
    #: {max_loss_quote?, max_loss_pct?, take_profit_quote?, take_profit_pct?} (decimal text)
    stops: Mapped[dict[str, Any]] = mapped_column(JsonDocument())
    mode: Mapped[str] = mapped_column(String(16))  # live | paper
    paper_connection_id: Mapped[str | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL"), default=None
    )
    state: Mapped[str] = mapped_column(String(16))  # draft | running | paused | stopped
    state_reason: Mapped[str | None] = mapped_column(String(400), default=None)
    #: {symbol: {"qty": signed decimal text (+ long, - short), "entry_price", "mark_price", "unrealised_pnl"}}
    positions: Mapped[dict[str, Any]] = mapped_column(JsonDocument())
    realized_pnl: Mapped[Decimal] = mapped_column(DecimalText(), default=Decimal(0))
    fees_paid: Mapped[Decimal] = mapped_column(DecimalText(), default=Decimal(0))
    reconciled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class BotOrder(Base):
    """The one order a signal causes for one bot (``UNIQUE(bot_id, signal_id)``), inserted in the signal's
    transaction. ``client_order_id`` is derived from bot + signal (``td`` + 24 hex), valid on every exchange.

    ``state``: pending → sending → open | filled | partially_filled | rejected | failed | cancelled (``skipped``
    when nothing had to be ordered). ``sending`` is committed BEFORE the exchange call, so a worker that dies
    leaves a row that the next worker resolves by looking the client order id up on the exchange.
    """

    __tablename__ = "bot_orders"
    __table_args__ = (
        UniqueConstraint("bot_id", "signal_id"),
        Index("ix_bot_orders_state", "state", "bot_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bot_id: Mapped[str] = mapped_column(ForeignKey("bots.id", ondelete="CASCADE"))
    #: The signal that caused it; NULL for the platform's own orders (``origin`` stop / stop_condition).
    signal_id: Mapped[str | None] = mapped_column(ForeignKey("strategy_signals.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(16), default="signal")  # signal | stop | stop_condition
    client_order_id: Mapped[str] = mapped_column(String(36), unique=True)
    symbol: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))  # the signal's action
    side: Mapped[str | None] = mapped_column(String(8), default=None)  # buy | sell, once sized
    qty: Mapped[Decimal | None] = mapped_column(DecimalText(), default=None)
    reduce_only: Mapped[bool] = mapped_column(Boolean(), default=False, server_default=false())
    state: Mapped[str] = mapped_column(String(20))
    exchange_order_id: Mapped[str | None] = mapped_column(String(64), default=None)
    filled_qty: Mapped[Decimal] = mapped_column(DecimalText(), default=Decimal(0))
    avg_price: Mapped[Decimal | None] = mapped_column(DecimalText(), default=None)
    fee: Mapped[Decimal | None] = mapped_column(DecimalText(), default=None)
    error: Mapped[str | None] = mapped_column(String(400), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
