"""Start-up's schema check: a database at the newest revision is recognised with one query, without importing
Alembic (every CLI command pays for it); anything else still goes through Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from tradedock.db.migrate import alembic_config, packaged_heads


def test_the_heads_read_from_the_files_are_alembics() -> None:
    assert packaged_heads() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


PROBE = """
import asyncio, sys
from tradedock.db import make_engine, is_up_to_date
async def main():
    engine = make_engine(sys.argv[1])
    try:
        print(await is_up_to_date(engine), "alembic" in sys.modules)
    finally:
        await engine.dispose()
asyncio.run(main())
"""


def _probe(url: str) -> str:
    proc = subprocess.run([sys.executable, "-c", PROBE, url], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_an_up_to_date_database_is_recognised_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    assert _probe(url) == "False True"  # fresh: no alembic_version, Alembic decides
    import asyncio

    from tradedock.db import prepare_database

    async def upgrade() -> None:
        engine = await prepare_database(url)
        await engine.dispose()

    asyncio.run(upgrade())
    assert _probe(url) == "True False"
