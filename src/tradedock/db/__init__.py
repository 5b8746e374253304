"""Persistence: SQLAlchemy 2 async models, repositories (every query lives there), Alembic migrations.

What belongs here: `make_engine`, `make_sessionmaker`, `migrate`, `prepare_database` and the models; queries
are in `tradedock.db.repositories`. This package never imports the vault, verification or exchanges: it stores
sealed bytes it cannot read.
"""

from tradedock.db.engine import make_engine, make_sessionmaker
from tradedock.db.migrate import is_up_to_date, migrate, prepare_database
from tradedock.db.models import (
    ApiSession,
    ApiToken,
    AuditEntry,
    Base,
    CheckResult,
    Connection,
    ConnectionSecret,
    ConnectionSecretField,
    Event,
    User,
    VaultMeta,
    VerificationRun,
    Webhook,
    new_id,
)

__all__ = [
    "ApiSession",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CheckResult",
    "Connection",
    "ConnectionSecret",
    "ConnectionSecretField",
    "Event",
    "User",
    "VaultMeta",
    "VerificationRun",
    "Webhook",
    "is_up_to_date",
    "make_engine",
    "make_sessionmaker",
    "migrate",
    "new_id",
    "prepare_database",
]
