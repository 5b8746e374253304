"""Vault at platform scale: start-up canary and master-key rotation over N stored connections (SQLite).

Seals N connections (3 secret fields each) through the real vault and repositories, then measures the
start-up canary (`check_vault`, which unwraps every data key) and `rotate_master_key` to a new primary, and the
process's peak memory. Prints a Markdown table.

    .venv/bin/python -m bench.vault_scale [--connections 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import resource
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from tradedock.config import load_settings
from tradedock.db import make_sessionmaker, prepare_database
from tradedock.db.repositories import ConnectionRepository, UserRepository
from tradedock.services.vault_admin import check_vault, rotate_master_key
from tradedock.vault import SealContext, open_vault


def _key(name: str) -> str:
    return f"{name}:{base64.b64encode(os.urandom(32)).decode()}"


async def run(count: int) -> list[tuple[str, str]]:
    old, new = _key("k-old"), _key("k-new")
    with TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        engine = await prepare_database(url)
        sessions = make_sessionmaker(engine)
        vault = open_vault(load_settings(home=Path(tmp), master_key=old, master_key_file=None))
        async with sessions() as session, session.begin():
            await check_vault(session, vault)  # creates the fingerprint key
            owner = (await UserRepository(session).get_or_create("bench")).id
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            repo = ConnectionRepository(session)
            for i in range(count):
                connection_id = f"00000000-0000-4000-8000-{i:012d}"
                fields = {"api_key": f"key{i:015d}", "secret": os.urandom(18).hex(), "passphrase": f"pass{i:08d}"}
                await repo.add(
                    connection_id=connection_id,
                    owner_id=owner,
                    exchange="bitget",
                    environment="live",
                    label=f"c{i}",
                    scope="futures",
                    status="connected",
                    key_fingerprint=vault.fingerprint("bitget", fields["api_key"]),
                    masked_key="…" + fields["api_key"][-4:],
                    sealed=vault.seal(fields, SealContext(owner, connection_id, "bitget")),
                )
        seal_s = time.perf_counter() - started

        started = time.perf_counter()
        async with sessions() as session:
            health = await check_vault(session, vault)
        canary_s = time.perf_counter() - started
        assert health.ok and health.total_connections == count

        rotated_vault = open_vault(load_settings(home=Path(tmp), master_key=f"{new},{old}", master_key_file=None))
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            await check_vault(session, rotated_vault)
            result = await rotate_master_key(session, rotated_vault)
        rotate_s = time.perf_counter() - started
        assert result.moved == count and result.remaining_on_old == 0
        await engine.dispose()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return [
        ("connections", f"{count:,}"),
        ("seal + insert (one transaction)", f"{seal_s:.1f} s ({count / seal_s:,.0f}/s)"),
        ("start-up canary (unwrap every data key)", f"{canary_s:.2f} s"),
        ("rotate master key (re-wrap every data key)", f"{rotate_s:.2f} s"),
        ("peak RSS of the process", f"{peak_mib:.0f} MiB"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    args = parser.parse_args()
    rows = asyncio.run(run(args.connections))
    print("| measure | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
