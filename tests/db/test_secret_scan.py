"""A stolen SQLite file (and its WAL) holds no secret in any common encoding (security.md §6 target 1)."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

from tests.db.factories import context_of
from tradedock.db import make_sessionmaker, new_id, prepare_database
from tradedock.db.repositories import AuditRepository, ConnectionRepository, UserRepository
from tradedock.services.vault_admin import check_vault
from tradedock.vault import SealContext, Vault, parse_key_spec


def encodings(secret: str) -> set[bytes]:
    raw = secret.encode()
    forms = {raw, raw.hex().encode(), raw.hex().upper().encode()}
    for offset in range(3):  # base64 of the secret at any alignment inside a longer blob
        chunk = raw[offset:]
        chunk = chunk[: len(chunk) - len(chunk) % 3]
        forms.add(base64.b64encode(chunk))
        forms.add(base64.urlsafe_b64encode(chunk))
    return forms


def raw_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


async def test_no_secret_in_database_files(tmp_path: Path) -> None:
    path = tmp_path / "scan.db"
    master_b64 = base64.b64encode(secrets.token_bytes(32)).decode()
    vault = Vault(parse_key_spec(f"k1:{master_b64}"))
    engine = await prepare_database(f"sqlite+aiosqlite:///{path}")
    planted: list[str] = []
    public_ids: list[str] = []
    try:
        maker = make_sessionmaker(engine)
        async with maker() as session:
            (await check_vault(session, vault)).raise_for_problems()
            owner = (await UserRepository(session).get_or_create("scanner")).id
            repo = ConnectionRepository(session)
            for i in range(25):
                fields = {
                    "api_key": f"PUB{i:03d}" + secrets.token_hex(8),
                    "secret": secrets.token_urlsafe(32),
                    "passphrase": secrets.token_hex(12),
                }
                planted += [fields["secret"], fields["passphrase"]]
                public_ids.append(fields["api_key"])
                connection_id = new_id()
                ctx = SealContext(owner, connection_id, "bitget")
                connection = await repo.add(
                    connection_id=connection_id,
                    owner_id=owner,
                    exchange="bitget",
                    environment="live",
                    label=f"scan-label-{i}",
                    scope="futures",
                    status="connected",
                    key_fingerprint=vault.fingerprint("bitget", fields["api_key"]),
                    masked_key="…" + fields["api_key"][-4:],
                    sealed=vault.seal(fields, ctx),
                )
                if i % 5 == 0:  # replaced keys: the old secrets must be gone too
                    new = {**fields, "secret": secrets.token_urlsafe(32)}
                    planted.append(new["secret"])
                    await repo.replace_secrets(
                        owner,
                        connection.id,
                        vault.seal(new, context_of(connection)),
                        key_fingerprint=connection.key_fingerprint,
                        masked_key=connection.masked_key,
                    )
                await AuditRepository(session).append(
                    owner_id=owner, action="connection.added", connection_id=connection_id
                )
                await session.commit()
        live = raw_bytes(path)  # main file + -wal + -shm while the engine is open
    finally:
        await engine.dispose()
    after = raw_bytes(path)

    for blob in (live, after):
        assert b"scan-label-7" in blob  # control: the scan does see stored data
        for secret in [*planted, master_b64]:
            for form in encodings(secret):
                assert form not in blob, "a secret reached the database file"
    # Public ids are not stored either: only a keyed fingerprint and the last four characters.
    for public_id in public_ids:
        assert public_id.encode() not in after
