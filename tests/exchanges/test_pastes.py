"""Cross-exchange paste detection (exchanges/pastes.py) through the registry's specs: the rule, case by case."""

from __future__ import annotations

import pytest

from tradedock.exchanges.base import FindingSeverity
from tradedock.exchanges.registry import get_spec

BYBIT = {"api_key": "AbCdEfGhIjKlMnOpQr", "secret": "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"}
BITGET = {
    "api_key": "bg_0123456789abcdef0123456789abcdef",
    "secret": "0123456789abcdef" * 4,
    "passphrase": "MyPass2024",
}
ASTER = {
    "api_wallet": "0x21cF8Ae13Bb72632562c6Fff438652Ba1a151bb0",
    "private_key": "0x4fd0a42218f3eae43a6ce26d22544e986139a01e5b34a62db53757ffca81bae1",
    "main_wallet": "0x63DD5aCC6b1aa0f563956C0e534DD30B6dcF7C4e",
}


def claims(exchange: str, fields: dict[str, str]) -> list[tuple[str, FindingSeverity, str]]:
    spec = get_spec(exchange)
    found = spec.inspect_credentials(spec.credentials(fields))
    return [(f.field, f.severity, f.message) for f in found if f.problem == "other_exchange_key"]


@pytest.mark.parametrize(("exchange", "fields"), [("bybit", BYBIT), ("bitget", BITGET), ("aster", ASTER)])
def test_an_exchange_own_usual_keys_are_never_claimed(exchange: str, fields: dict[str, str]) -> None:
    assert claims(exchange, fields) == []


def test_a_bare_hex_aster_key_is_not_taken_for_a_bitget_secret() -> None:
    assert claims("aster", {**ASTER, "private_key": ASTER["private_key"][2:]}) == []


def test_a_distinctive_shape_fails_and_replaces_the_exchange_own_findings() -> None:
    spec = get_spec("bybit")
    found = spec.inspect_credentials(spec.credentials({**BYBIT, "api_key": BITGET["api_key"]}))
    assert [(f.field, f.problem, f.severity) for f in found] == [
        ("api_key", "other_exchange_key", FindingSeverity.FAIL)
    ]
    assert "Bitget API key" in found[0].message and "tradedock connect bitget" in found[0].fix
    assert BITGET["api_key"] not in found[0].message + found[0].fix  # never echo a credential


def test_an_aster_private_key_as_bybit_secret_fails() -> None:
    ((field, severity, message),) = claims("bybit", {**BYBIT, "secret": ASTER["private_key"]})
    assert (field, severity) == ("secret", FindingSeverity.FAIL) and "private key" in message


def test_one_non_distinctive_match_on_the_public_id_only_warns_and_keeps_own_findings() -> None:
    spec = get_spec("bitget")
    found = spec.inspect_credentials(spec.credentials({**BITGET, "api_key": BYBIT["api_key"]}))
    problems = {(f.field, f.problem, f.severity) for f in found}
    assert ("api_key", "other_exchange_key", FindingSeverity.WARN) in problems
    assert ("api_key", "bad_format", FindingSeverity.WARN) in problems  # Bitget's own shape warning stays


def test_one_non_distinctive_match_on_a_secret_says_nothing() -> None:
    # A Bitget secret that happens to be 36 letters and digits is Bitget's own problem, not a Bybit paste.
    assert claims("bitget", {**BITGET, "secret": BYBIT["secret"]}) == []


def test_two_non_distinctive_matches_fail() -> None:
    ((field, severity, _),) = claims("bitget", {**BITGET, "api_key": BYBIT["api_key"], "secret": BYBIT["secret"]})
    assert (field, severity) == ("api_key", FindingSeverity.FAIL)


def test_the_exchange_own_spec_module_knows_no_other_exchange() -> None:
    from tradedock.exchanges.bybit import SPEC

    found = SPEC.inspect_credentials(SPEC.credentials({**BYBIT, "api_key": BITGET["api_key"]}))
    assert all(f.problem != "other_exchange_key" for f in found)
