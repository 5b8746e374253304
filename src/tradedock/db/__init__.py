"""Persistence: SQLAlchemy 2 async models, repositories (every query lives there), Alembic migrations.

What belongs here: `make_engine`, `make_sessionmaker`, `migrate`, `prepare_database` and the models; queries
are in `tradedock.db.repositories` (and, for the CLI's start-up-critical reads, `tradedock.db.direct`; for the
HTTP API's hottest reads, `tradedock.db.hot_reads`). This package never imports the vault, verification or
exchanges: it stores sealed bytes it cannot read.

The names below load on first use (PEP 562), so that importing a light submodule — `db.direct`, `db.revisions`,
`db.values`, `db.ids` — does not import SQLAlchemy (``tradedock list`` starts without it; issue 9). The
``migrate`` function is imported from its module (``from tradedock.db.migrate import migrate``): once loaded,
``tradedock.db.migrate`` is the module, whatever was imported first.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tradedock.db.engine import make_engine, make_sessionmaker
    from tradedock.db.migrate import is_up_to_date, prepare_database
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

_HOME = {
    "make_engine": "engine",
    "make_sessionmaker": "engine",
    "is_up_to_date": "migrate",
    "prepare_database": "migrate",
    **{
        name: "models"
        for name in (
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
            "new_id",
        )
    },
}

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
    "new_id",
    "prepare_database",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
