"""Error tables as data: an exchange's own error code → domain error class, plain cause and fix.

What belongs here: the `ErrorRule` / `ErrorTable` types and `ErrorTable.raise_for()`, used by every adapter
after a response's envelope says "not OK". What does not: any exchange's codes — those live in
``exchanges/<x>/errors.py`` as a literal table, one row per code with the doc URL beside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NoReturn

from tradedock.errors import TradeDockError, UnexpectedResponseError

#: Bybit echoes the whole signed string ("error sign! origin_string[<timestamp><api key>…]"); it holds the full API
#: key and the query, which TradeDock never stores or shows (only the last 4 characters of a key).
_ECHOED_REQUEST = re.compile(r"(origin_string)\[[^\]]*\]", re.IGNORECASE)


def public_message(message: str) -> str:
    """An exchange's error message with any echoed request (and the API key in it) cut out."""
    return _ECHOED_REQUEST.sub(r"\1[…]", message)


@dataclass(frozen=True)
class ErrorRule:
    error: type[TradeDockError]
    cause: str  # for a trader: what this code means
    fix: str = ""  # what to do about it


@dataclass(frozen=True)
class ErrorTable:
    exchange: str
    exact: Mapping[str, ErrorRule]
    #: Substring of the exchange message → rule, checked when the code alone is ambiguous or unknown.
    broad: Mapping[str, ErrorRule] = field(default_factory=dict)
    #: Codes whose meaning depends on the message: checked in ``broad`` first.
    ambiguous: frozenset[str] = frozenset()

    def lookup(self, code: str, message: str) -> ErrorRule | None:
        lowered = message.lower()
        if code in self.ambiguous or code not in self.exact:
            for needle, rule in self.broad.items():
                if needle.lower() in lowered:
                    return rule
        return self.exact.get(code)

    def raise_for(self, code: object, message: str) -> NoReturn:
        """Raise the domain error for an exchange error answer; unknown codes are `UnexpectedResponseError`."""
        code_text = str(code)
        message = public_message(message)
        rule = self.lookup(code_text, message)
        if rule is None:
            raise UnexpectedResponseError(
                f"{self.exchange} answered with error {code_text}: {message}",
                code=code_text,
                native_message=message,
                exchange=self.exchange,
            )
        raise rule.error(
            rule.cause, code=code_text, native_message=message, exchange=self.exchange, fix=rule.fix or None
        )
