"""Vault at platform scale: bulk sealing, opens per second, the start-up canary and `vault rotate` over N.

* **Bulk sealing** — `services.bulk_store.store_many`: validate, seal (a fresh data key per connection, 3 fields)
  and insert N Bitget connections, 1,000 per transaction (one duplicate-key query and three executemany INSERTs
  per batch). Connections per second, whole call.
* **Opens** — `Vault.open_connection` (unwrap the data key, open every field, check the set and the keyed
  fingerprint) on every stored connection, records already loaded: opens per second of one core.
* **Canary** — `check_vault` as `open_app` runs it at every start.
* **Rotate** — what `tradedock vault rotate` runs (`rotate_in_batches` over `AppContext.transaction`/`reading`,
  batches of 500 committed one by one, 50 ms pause between batches) over M connections sealed under an old
  master key, to a new primary; SQLite file and (``--postgres``) a fresh PostgreSQL database.

    .venv/bin/python -m bench.vault_scale [--connections 10000] [--rotate 100000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import base64
import os
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.common import peak_rss_mib, postgres_database
from tradedock import eventloop
from tradedock.config import load_settings
from tradedock.db.models import Connection
from tradedock.db.repositories import SecretRepository
from tradedock.domain import ExchangeId
from tradedock.exchanges.registry import get_spec
from tradedock.services.bulk_store import KeyToStore, store_many
from tradedock.services.context import AppContext, open_app
from tradedock.services.vault_admin import check_vault, rotate_in_batches
from tradedock.vault import SealContext


def _key(name: str) -> str:
    return f"{name}:{base64.b64encode(os.urandom(32)).decode()}"


def _keys(count: int) -> list[KeyToStore]:
    return [
        KeyToStore(
            ExchangeId.BITGET,
            "live",
            f"c{i}",
            "futures",
            {"api_key": f"bg_{i:015d}{os.urandom(8).hex()}", "secret": os.urandom(32).hex(), "passphrase": f"p{i:08d}"},
            contract_type="usdt_m",
        )
        for i in range(count)
    ]


async def _open(home: Path, database_url: str | None, master_key: str) -> AppContext:
    return await open_app(
        load_settings(home=home, database_url=database_url, master_key=master_key, master_key_file=None)
    )


async def seal_and_open(count: int) -> dict[str, float]:
    """Bulk sealing, opens per second and the canary over ``count`` connections (SQLite)."""
    keys = _keys(count)
    with TemporaryDirectory() as tmp:
        ctx = await _open(Path(tmp), None, _key("k-bench"))
        try:
            started = time.perf_counter()
            stored = await store_many(ctx, "bench", keys)
            seal_s = time.perf_counter() - started
            assert stored.stored == count and not stored.refused
            async with ctx.reading() as session:
                rows = (await session.execute(Connection.__table__.select())).all()
                sealed = await SecretRepository(session).get_many([row.id for row in rows])
            spec = get_spec(ExchangeId.BITGET)
            started = time.perf_counter()
            for row in rows:
                ctx.vault.open_connection(
                    sealed[row.id],
                    SealContext(row.owner_id, row.id, row.exchange),
                    required=spec.field_names,
                    public_field=spec.public_id_field,
                    fingerprint=row.key_fingerprint,
                )
            open_s = time.perf_counter() - started
            started = time.perf_counter()
            async with ctx.transaction() as session:
                (await check_vault(session, ctx.vault)).raise_for_problems()
            canary_s = time.perf_counter() - started
        finally:
            await ctx.aclose()
    return {
        "connections": count,
        "seal_s": seal_s,
        "seal_per_s": count / seal_s,
        "opens_per_s": len(rows) / open_s,
        "canary_s": canary_s,
    }


async def rotate(count: int, database_url: str | None) -> dict[str, float]:
    """Seal ``count`` connections under an old master key, then time `rotate_in_batches` to a new primary."""
    old, new = _key("k-old"), _key("k-new")
    with TemporaryDirectory() as tmp:
        ctx = await _open(Path(tmp), database_url, old)
        try:
            for start in range(0, count, 10_000):
                await store_many(ctx, "bench", _keys(min(10_000, count - start)))
        finally:
            await ctx.aclose()
        ctx = await _open(Path(tmp), database_url, f"{new},{old}")
        try:
            started = time.perf_counter()
            result = await rotate_in_batches(ctx.transaction, ctx.vault, reading=ctx.reading)
            rotate_s = time.perf_counter() - started
        finally:
            await ctx.aclose()
    assert result.complete and result.moved == count, result
    return {"connections": count, "rotate_s": rotate_s, "per_10k_s": rotate_s / count * 10_000}


async def run(count: int, rotate_count: int, postgres: str | None) -> dict[str, Any]:
    results: dict[str, Any] = {"seal": await seal_and_open(count), "rotate": {}}
    results["rotate"]["SQLite"] = await rotate(rotate_count, None)
    if postgres:
        async with postgres_database(postgres) as url:
            results["rotate"]["PostgreSQL"] = await rotate(rotate_count, url)
    results["peak_rss_mib"] = peak_rss_mib()
    return results


def report(results: dict[str, Any]) -> str:
    seal = results["seal"]
    lines = [
        "| measure | result |",
        "|---|---|",
        f"| bulk sealing + insert of {seal['connections']:,} connections | {seal['seal_s']:.2f} s "
        f"({seal['seal_per_s']:,.0f} connections/s) |",
        f"| opens (`open_connection`, whole-set check) | {seal['opens_per_s']:,.0f} /s |",
        f"| start-up canary at {seal['connections']:,} connections | {seal['canary_s'] * 1000:.0f} ms |",
    ]
    for backend, row in results["rotate"].items():
        lines.append(
            f"| `vault rotate` over {row['connections']:,} connections ({backend}) | {row['rotate_s']:.1f} s "
            f"({row['per_10k_s']:.2f} s per 10,000) |"
        )
    lines.append(f"| peak RSS of the benchmark process | {results['peak_rss_mib']:.0f} MiB |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--rotate", type=int, default=100_000)
    parser.add_argument("--postgres", default=None, help="postgresql+psycopg://… (a scratch database is used)")
    args = parser.parse_args()
    print(report(eventloop.run(run(args.connections, args.rotate, args.postgres))))


if __name__ == "__main__":
    main()
