"""Connection ids as users type them: what may be looked up, how a unique prefix resolves, the not-found error.

What belongs here: the rules shared by the repositories, the connection service and the CLI's light read path
(`db.direct`), so a typed id behaves the same on both: text that is not id-like is never queried nor echoed (it
may be a secret pasted in its place, issue 17); an exact id wins; a prefix of 4 to 35 characters must match one
connection. No SQLAlchemy here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from tradedock.errors import InvalidInputError, NotFoundError

#: Connection ids are UUIDs (36 characters); shells may show and accept a unique prefix of at least 4.
FULL_ID = 36
MIN_PREFIX = 4

_ID_LIKE = re.compile(r"^[0-9a-f-]{1,36}$")

Row = TypeVar("Row")


def looks_like_id(text: str) -> bool:
    """A connection id or prefix: lower-case hex digits and dashes, at most 36 characters."""
    return bool(_ID_LIKE.match(text))


def not_found(connection_id: str) -> NotFoundError:
    """Echo the id only if it looks like one: a secret pasted in its place must not come back (issue 17)."""
    shown = (
        repr(connection_id)
        if looks_like_id(connection_id)
        else f"matching the id you gave ({len(connection_id)} characters, not an id; not shown)"
    )
    return NotFoundError(f"No connection {shown} was found.", fix="Run `tradedock list` to see your connections.")


def wanted_id(id_or_prefix: str) -> str:
    """The id or prefix as stored (trimmed, lower case); `NotFoundError` at once for text that is not id-like."""
    wanted = id_or_prefix.strip().lower()
    if not looks_like_id(wanted):  # never query (or debug-log) what may be a secret pasted as the id
        raise not_found(id_or_prefix)
    return wanted


def may_be_prefix(wanted: str) -> bool:
    """Whether a (not exactly matching) id is long enough, and short enough, to be taken as a prefix."""
    return MIN_PREFIX <= len(wanted) < FULL_ID


def the_one_match(id_or_prefix: str, wanted: str, matches: Sequence[Row]) -> Row:
    """The single connection a prefix matches; `InvalidInputError` when several do, `NotFoundError` when none."""
    if len(matches) > 1:
        raise InvalidInputError(
            "id", f"{id_or_prefix!r} matches {len(matches)} connections", fix="Give more characters of the id."
        )
    if not matches:
        raise not_found(wanted)
    return matches[0]
