"""Cross-exchange paste detection: "this looks like a Bitget API key" when a user connects it as Bybit.

What belongs here: the one generic rule that compares credentials typed for one exchange with the `PasteShape`s
every other registered exchange declares in its spec, and the wrapper the registry puts around each exchange's
own inspector. What does not: any exchange's shapes (``exchanges/<x>/spec.py``) — so adding an exchange teaches
every other exchange to recognise its keys without editing them.

The rule, for credentials of exchange X and another exchange Y: a field "matches Y" when its value fits one of
Y's shapes and none of X's own shapes for that field. The finding ``other_exchange_key`` FAILs when a distinctive
shape (``bg_…``, ``0x…``) matched or two fields matched — then it replaces X's own format findings, which would
only be noise — and WARNs when only X's public identifier matched a non-distinctive shape.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from tradedock.domain import Credentials
from tradedock.exchanges.base import CredentialFinding, ExchangeSpec, FindingSeverity, PasteShape

Inspector = Callable[[Credentials], tuple[CredentialFinding, ...]]


def _fits(value: str, shapes: Sequence[PasteShape]) -> PasteShape | None:
    for shape in shapes:
        if shape.fits(value):
            return shape
    return None


def _claim(spec: ExchangeSpec, other: ExchangeSpec, credentials: Credentials) -> CredentialFinding | None:
    matched: list[tuple[str, PasteShape]] = []
    for name in spec.field_names:
        value = credentials.get(name)
        if not value or _fits(value, [s for s in spec.paste_shapes if s.field == name]):
            continue
        shape = _fits(value, other.paste_shapes)
        if shape is not None:
            matched.append((name, shape))
    if not matched:
        return None
    fail = len(matched) >= 2 or any(shape.distinctive for _, shape in matched)
    if not fail and spec.public_id_field not in {name for name, _ in matched}:
        return None
    name, shape = next(((n, s) for n, s in matched if s.distinctive), matched[0])
    label = spec.field(name).label
    where = spec.profile.api_page
    return CredentialFinding(
        field=name,
        problem="other_exchange_key",
        message=f"The {label} looks like {shape.what}, not {spec.name} credentials.",
        fix=(
            f"If these are {other.name} credentials, connect them with `tradedock connect {other.id.value}`; "
            f"otherwise copy the {label} again from {spec.name} ({where[:1].lower()}{where[1:]})."
        ),
        severity=FindingSeverity.FAIL if fail else FindingSeverity.WARN,
    )


def cross_exchange_findings(
    spec: ExchangeSpec, others: Sequence[ExchangeSpec], credentials: Credentials
) -> tuple[CredentialFinding, ...]:
    """One ``other_exchange_key`` finding per other exchange whose keys these credentials look like."""
    claims = (_claim(spec, other, credentials) for other in others if other.id is not spec.id)
    return tuple(c for c in claims if c is not None)


def with_paste_detection(spec: ExchangeSpec, others: Sequence[ExchangeSpec]) -> ExchangeSpec:
    """``spec`` whose inspector also recognises the other exchanges' credentials (see the module rule)."""
    own: Inspector = spec.inspect_credentials
    peers = tuple(o for o in others if o.id is not spec.id)

    def inspect(credentials: Credentials) -> tuple[CredentialFinding, ...]:
        claims = cross_exchange_findings(spec, peers, credentials)
        if any(c.severity is FindingSeverity.FAIL for c in claims):
            return claims
        return own(credentials) + claims

    return dataclasses.replace(spec, inspect_credentials=inspect)
