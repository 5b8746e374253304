"""Repositories: every SQL query of TradeDock lives in this package. They take an AsyncSession and only flush.

One module per aggregate: users, connections (with secrets), verification runs, audit log, vault meta.
"""

from tradedock.db.repositories.accounts import AccountRepository
from tradedock.db.repositories.audit import AuditRepository
from tradedock.db.repositories.connections import UPDATABLE_FACTS, ConnectionRepository
from tradedock.db.repositories.secrets import SealedInput, SealedRow, SecretRepository, StoredSecrets
from tradedock.db.repositories.users import UserRepository
from tradedock.db.repositories.vault_meta import VaultMetaRepository
from tradedock.db.repositories.verification_runs import NewCheckResult, VerificationRunRepository
from tradedock.db.repositories.webhooks import EventRepository, WebhookRepository

__all__ = [
    "UPDATABLE_FACTS",
    "AccountRepository",
    "AuditRepository",
    "ConnectionRepository",
    "EventRepository",
    "NewCheckResult",
    "SealedInput",
    "SealedRow",
    "SecretRepository",
    "StoredSecrets",
    "UserRepository",
    "VaultMetaRepository",
    "VerificationRunRepository",
    "WebhookRepository",
]
