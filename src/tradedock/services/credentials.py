"""Credential input validation: everything a key must pass before any cryptographic or network step.

What belongs here: turning what a user typed or sent (prompt answers, a ``--credentials`` JSON object, an API
body) into `Credentials` — exactly the exchange's field names, each a non-empty string of printable ASCII
within a size limit, pasted whitespace trimmed — or an `InvalidInputError` naming the field and the fix.
Why here, first: the fingerprint (HMAC over UTF-8) and the request signatures/headers all assume ASCII text; a
lone surrogate or a non-ASCII passphrase used to crash the fingerprint or be sent and reported as "unreachable".

Anything the user typed into a credential-bearing input may be a secret, whatever its place: errors name only
the field names the exchange takes, and describe anything else by its length (issue 17) — never echo it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from tradedock.domain import Credentials, ExchangeId
from tradedock.errors import InvalidInputError
from tradedock.exchanges.registry import get_spec

#: Longest credential value accepted (the longest real one, an Aster private key, is 66 characters).
MAX_FIELD_CHARS = 512
CREDENTIALS_FIELD = "credentials"
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]*")


def unknown_field_error(name: object, expected: tuple[str, ...]) -> InvalidInputError:
    """An unknown field, described without its text (it may be a secret pasted as a key)."""
    size = len(name) if isinstance(name, str) else 0
    return InvalidInputError(
        CREDENTIALS_FIELD,
        f"an unknown field of {size} character{'s' if size != 1 else ''} (not shown) was given",
        fix=f"This exchange takes exactly: {', '.join(expected)}.",
    )


def all_field_names() -> frozenset[str]:
    """Every credential field name any exchange takes: the only user-typed keys an error may name."""
    return frozenset(name for exchange in ExchangeId for name in get_spec(exchange).field_names)


def check_field_names(names: Iterable[object], expected: tuple[str, ...]) -> None:
    for name in names:
        if name not in expected:
            raise unknown_field_error(name, expected)


def _check_value(name: str, value: str, exchange: ExchangeId) -> None:
    if len(value) > MAX_FIELD_CHARS:
        raise InvalidInputError(
            name,
            f"{name} is {len(value):,} characters long; at most {MAX_FIELD_CHARS} are accepted",
            fix=f"Paste only the {name} (see `tradedock guide {exchange.value}`).",
        )
    if _PRINTABLE_ASCII.fullmatch(value):
        return  # the common case, checked in C; the loop below finds and names the first bad character
    for position, char in enumerate(value, start=1):
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise InvalidInputError(
                name,
                f"{name} holds an invalid character (a lone UTF-16 surrogate) at position {position}",
                fix=f"Copy the {name} again from the exchange; it is plain ASCII text.",
            )
        if not (0x21 <= ord(char) <= 0x7E):
            raise InvalidInputError(
                name,
                f"{name} holds {_kind(char)}: character {position} of the {name} is {describe_character(char)}; "
                f"{exchange.value.capitalize()} credentials are plain ASCII letters, digits and symbols",
                fix=f"Retype the {name} exactly as set on {exchange.value.capitalize()}, using ASCII characters only "
                "(if you chose it with other characters, create a new key with an ASCII one).",
            )


def _kind(char: str) -> str:
    if ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
        return "a control character"
    return "a non-ASCII character"


def describe_character(char: str) -> str:
    """``U+0430 CYRILLIC SMALL LETTER A, which looks like Latin 'a'``: the code point, its Unicode name, and the
    ASCII character it can be mistaken for (Unicode's confusables, TR39), if any.

    Safe to show for a character refused by `_check_value` (a control or a non-ASCII character): real
    keys are printable ASCII, so such a character is never one of the key's own — only what the paste added or
    changed. (A Bitget passphrase is chosen by the user and may hold such a character on purpose: it is named to
    the person who typed it, who must remove it; nothing ASCII of the value is ever shown.) Never call it on an
    ASCII letter, digit or symbol of a credential.
    """
    name = unicodedata.name(char, "")
    described = f"U+{ord(char):04X} {name}" if name else f"U+{ord(char):04X} (a control character)"
    twin = ascii_look_alike(char)
    if twin is None:
        return described
    ascii_char, ascii_name = twin
    if ascii_name.startswith("LATIN "):
        return f"{described}, which looks like Latin {ascii_char!r}"
    return f"{described}, which looks like {ascii_char!r} ({ascii_name.lower()})"


def ascii_look_alike(char: str) -> tuple[str, str] | None:
    """The printable ASCII character ``char`` can be mistaken for, with its Unicode name, from Unicode's
    confusables data (``confusable_homoglyphs``, loaded only here: an error path); else its NFKD base letter
    when that is ASCII (``é`` → ``e``); else None."""
    from confusable_homoglyphs import confusables

    for found in confusables.is_confusable(char, greedy=True) or ():
        for glyph in found.get("homoglyphs", ()):
            candidate = str(glyph.get("c", ""))
            if len(candidate) == 1 and 0x20 <= ord(candidate) <= 0x7E:
                return candidate, str(glyph.get("n", ""))
    base = unicodedata.normalize("NFKD", char)[:1]
    if base and 0x21 <= ord(base) <= 0x7E:
        return base, unicodedata.name(base, "")
    return None


def validate_credentials(exchange: ExchangeId, given: Mapping[str, object]) -> tuple[Credentials, tuple[str, ...]]:
    """The trimmed `Credentials` and the names of the fields trimming changed; `InvalidInputError` otherwise."""
    spec = get_spec(exchange)
    expected = spec.field_names
    check_field_names(given, expected)
    raw: dict[str, str] = {}
    for name in expected:
        value = given.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidInputError(name, f"{name} must be text", fix=f"Give {name} as a quoted string.")
        if not (value or "").strip():
            raise InvalidInputError(
                name, f"{name} is missing", fix=f"Provide {name} (see `tradedock guide {exchange}`)."
            )
        raw[name] = str(value)
    credentials, trimmed = spec.credentials(raw).trimmed()
    for name in expected:
        _check_value(name, credentials[name], exchange)
        if not credentials[name]:
            raise InvalidInputError(
                name, f"{name} is missing", fix=f"Provide {name} (see `tradedock guide {exchange}`)."
            )
    return credentials, trimmed


#: Credential values shorter than this are not looked for inside a label (too likely to match by chance).
MIN_LABEL_MATCH = 6


def check_label(label: str, credentials: Credentials) -> None:
    """A label is shown everywhere (lists, pages, logs): refuse one that holds any credential value."""
    folded = "".join(label.split())
    for name, value in credentials.fields.items():
        if len(value) >= MIN_LABEL_MATCH and value in folded:
            raise InvalidInputError(
                "label",
                f"the label contains the {name} (not shown); labels are displayed everywhere",
                fix="Choose a label that names the account, e.g. 'Main futures', never part of a key.",
            )
