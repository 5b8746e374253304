"""Size and depth limits for request bodies (control API and the exchanges' JSON endpoints).

What belongs here: `loads_body`, which refuses a body that is too large or nested too deeply before
`json.loads` sees it: the standard parser recurses per level, and eth-account (py_ecc), imported for Aster
signatures, raises the recursion limit to 100,000 — so 80,000 nested brackets would overflow the C stack and
kill every simulator in the process. A plain loop measures the depth. (The product has its own copy in
`tradedock.jsonlimits`: the simulators import nothing from the product.)
"""

from __future__ import annotations

import json
from typing import Any

MAX_BODY_BYTES = 1024 * 1024
MAX_BODY_DEPTH = 64


class BodyLimitError(ValueError):
    pass


def _too_deep(text: str, limit: int) -> bool:
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def loads_body(raw: bytes | str, *, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_BODY_DEPTH) -> Any:
    """Parse a JSON body; `BodyLimitError` (a ``ValueError``) when too large or too deep, else as `json.loads`."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > max_bytes:
        raise BodyLimitError(f"body is {len(data)} bytes; at most {max_bytes} are accepted")
    if _too_deep(data.decode("utf-8", "replace"), max_depth):
        raise BodyLimitError(f"JSON nested more than {max_depth} levels deep; at most {max_depth} are accepted")
    return json.loads(data)
