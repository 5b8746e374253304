"""Test helpers: vaults from fresh key material and connections stored through the real repositories."""

from __future__ import annotations

import base64
import os
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.db import Connection, new_id
from tradedock.db.repositories import ConnectionRepository
from tradedock.vault import SealContext, Vault


def key_b64() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def bybit_fields() -> dict[str, str]:
    return {"api_key": "BY" + secrets.token_hex(9).upper(), "secret": secrets.token_urlsafe(27)}


async def add_connection(
    session: AsyncSession,
    vault: Vault,
    owner_id: str,
    *,
    fields: dict[str, str] | None = None,
    exchange: str = "bybit",
    label: str = "main",
) -> tuple[Connection, dict[str, str]]:
    """Seal ``fields`` for a new connection id and store it; returns the row and the plaintext used."""
    fields = fields or bybit_fields()
    public_id = fields.get("api_key") or fields["api_wallet"]
    connection_id = new_id()
    sealed = vault.seal(fields, SealContext(owner_id=owner_id, connection_id=connection_id, exchange=exchange))
    connection = await ConnectionRepository(session).add(
        connection_id=connection_id,
        owner_id=owner_id,
        exchange=exchange,
        environment="live",
        label=label,
        scope="futures",
        status="connected",
        key_fingerprint=vault.fingerprint(exchange, public_id),
        masked_key="…" + public_id[-4:],
        sealed=sealed,
    )
    return connection, fields


def context_of(connection: Connection) -> SealContext:
    return SealContext(owner_id=connection.owner_id, connection_id=connection.id, exchange=connection.exchange)
