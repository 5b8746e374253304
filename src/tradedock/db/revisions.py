"""The packaged migrations' head revision(s), read from the revision files without Alembic or SQLAlchemy.

What belongs here: `MIGRATIONS_DIR` and `packaged_heads()` — what every start-up compares ``alembic_version``
with (`db.migrate` on the SQLAlchemy path, `db.direct` on the CLI's light read path). What does not: applying
migrations (migrate.py).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_REVISION = re.compile(r"^revision(?:: str)? = [\"']([^\"']+)[\"']", re.M)
_DOWN_REVISION = re.compile(r"^down_revision(?:: [^=]+)? = (None|[\"']([^\"']+)[\"'])", re.M)


@cache
def packaged_heads() -> frozenset[str]:
    """The head revision(s) of the packaged migrations, read from the revision files without Alembic (a test
    checks this agrees with Alembic's own ScriptDirectory)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            continue
        revisions.add(revision.group(1))
        if down.group(2):
            parents.add(down.group(2))
    return frozenset(revisions - parents)
