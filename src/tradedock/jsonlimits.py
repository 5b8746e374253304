"""Size and depth limits for every JSON document TradeDock reads from outside (credentials, settings, files).

What belongs here: `loads_limited`, which refuses a document that is too large or nested too deeply *before*
`json.loads` sees it. Why: the standard parser recurses once per nesting level, and a library we import
(py_ecc, via eth-account) raises the interpreter's recursion limit to 100,000 — so 80,000 nested brackets
overflow the C stack and kill the process (rc 139) instead of raising. The depth scan here is a plain loop
with no recursion. Imports nothing internal (settings use it too); callers turn `JsonLimitError` into an error
that names their field.
"""

from __future__ import annotations

import json
from typing import Any

#: Default ceilings: far above any real credentials object or setting, far below what could hurt.
MAX_JSON_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32


class JsonLimitError(ValueError):
    """The document is too large or too deeply nested; ``message`` says which and the limit."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def json_depth(text: str, *, stop_after: int | None = None) -> int:
    """The deepest nesting of arrays/objects in ``text`` (strings skipped), without recursion."""
    depth = deepest = 0
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
            if depth > deepest:
                deepest = depth
                if stop_after is not None and deepest > stop_after:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def check_limits(text: str | bytes, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> str:
    """``text`` as a string if it is within the limits; otherwise `JsonLimitError`."""
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > max_bytes:
        raise JsonLimitError(f"is {size:,} bytes of JSON; at most {max_bytes:,} are accepted")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if json_depth(text, stop_after=max_depth) > max_depth:
        raise JsonLimitError(f"is JSON nested more than {max_depth} levels deep; at most {max_depth} are accepted")
    return text


def loads_limited(text: str | bytes, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads` after `check_limits`; raises `JsonLimitError` or `json.JSONDecodeError`."""
    if isinstance(text, bytes):
        check_limits(text, max_bytes=max_bytes, max_depth=max_depth)
        return json.loads(text)
    return json.loads(check_limits(text, max_bytes=max_bytes, max_depth=max_depth))
