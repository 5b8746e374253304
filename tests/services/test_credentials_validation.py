"""Credential input is validated before any cryptographic or network step, and errors never echo what the
user typed except the exchange's own field names (issues 17 and 18 item 5)."""

from __future__ import annotations

import pytest

from tradedock.domain import ExchangeId
from tradedock.errors import InvalidInputError
from tradedock.services.credentials import MAX_FIELD_CHARS, validate_credentials

BYBIT = {"api_key": "BYAPIKEY0123456789", "secret": "S3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3t"}
BITGET = {"api_key": "bg_0123456789abcdef0123456789abcdef", "secret": "f" * 64, "passphrase": "Passphrase123"}


def refused(exchange: ExchangeId, given: dict[str, object]) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as caught:
        validate_credentials(exchange, given)  # type: ignore[arg-type]
    return caught.value


def text_of(error: InvalidInputError) -> str:
    return f"{error.message} {error.fix} {error.field} {error.evidence()}"


def test_valid_credentials_are_trimmed_and_reported() -> None:
    credentials, trimmed = validate_credentials(ExchangeId.BYBIT, {**BYBIT, "secret": f" {BYBIT['secret']}\n"})
    assert credentials["secret"] == BYBIT["secret"] and trimmed == ("secret",)


def test_a_lone_surrogate_in_api_key_names_the_field() -> None:
    error = refused(ExchangeId.BYBIT, {**BYBIT, "api_key": "BYAPIKEY\ud800XYZ"})
    assert error.field == "api_key" and "surrogate" in error.message and "position 9" in error.message


def test_a_non_ascii_bitget_passphrase_names_the_field_without_showing_it() -> None:
    error = refused(ExchangeId.BITGET, {**BITGET, "passphrase": "Pässwörd123"})
    assert error.field == "passphrase" and "non-ASCII" in error.message
    assert "ä" not in text_of(error) and "Pässwörd123" not in text_of(error)


def test_a_control_character_inside_a_secret_is_refused() -> None:
    error = refused(ExchangeId.BYBIT, {**BYBIT, "secret": "abc\x07def" * 5})
    assert error.field == "secret" and "control" in error.message


@pytest.mark.parametrize("name", ["D1KK5CYpPLANTEDSECRETVALUE0123456789", "", "x" * 2000])
def test_an_unknown_field_is_described_by_its_length_only(name: str) -> None:
    error = refused(ExchangeId.BYBIT, {**BYBIT, name: ""})
    assert error.field == "credentials"
    assert f"{len(name)} character" in error.message and "(not shown)" in error.message
    if name:
        assert name not in text_of(error)
    assert "api_key, secret" in (error.fix or "")


def test_a_secret_given_as_a_key_is_not_echoed() -> None:
    secret = BYBIT["secret"]
    error = refused(ExchangeId.BYBIT, {"api_key": BYBIT["api_key"], secret: ""})
    assert secret not in text_of(error)


def test_an_oversized_value_is_refused_with_its_size() -> None:
    error = refused(ExchangeId.BYBIT, {**BYBIT, "secret": "a" * (MAX_FIELD_CHARS + 1)})
    assert error.field == "secret" and f"{MAX_FIELD_CHARS + 1:,} characters" in error.message


@pytest.mark.parametrize("value", [None, "", "   \u200b"])
def test_missing_values_name_the_field(value: object) -> None:
    assert refused(ExchangeId.BYBIT, {**BYBIT, "secret": value}).field == "secret"


def test_a_non_string_value_names_the_field() -> None:
    error = refused(ExchangeId.BYBIT, {**BYBIT, "secret": {"nested": "S3cr3t"}})
    assert error.field == "secret" and "S3cr3t" not in text_of(error)


@pytest.mark.parametrize(
    ("char", "described"),
    [
        ("\u0430", "U+0430 CYRILLIC SMALL LETTER A, which looks like Latin 'a'"),
        ("\u039f", "U+039F GREEK CAPITAL LETTER OMICRON, which looks like Latin 'O'"),
        ("\uff33", "U+FF33 FULLWIDTH LATIN CAPITAL LETTER S, which looks like Latin 'S'"),
        ("\u2010", "U+2010 HYPHEN, which looks like '-' (hyphen-minus)"),
        ("\u00e9", "U+00E9 LATIN SMALL LETTER E WITH ACUTE, which looks like Latin 'e'"),
        ("\u4e2d", "U+4E2D CJK UNIFIED IDEOGRAPH-4E2D"),
    ],
)
def test_a_look_alike_character_is_named_by_position_and_code_point(char: str, described: str) -> None:
    secret = BYBIT["secret"]
    typed = secret[:11] + char + secret[12:]  # character 12 replaced, as a paste through a bad font/keyboard does
    error = refused(ExchangeId.BYBIT, {**BYBIT, "secret": typed})
    assert error.field == "secret"
    assert f"character 12 of the secret is {described};" in error.message, error.message
    # nothing of what was typed comes back: neither the value, nor its ASCII halves, nor the character itself
    shown = text_of(error)
    assert typed not in shown and secret[:11] not in shown and secret[12:] not in shown and char not in shown


def test_a_control_character_is_called_one_with_its_code_point() -> None:
    # (spaces and zero-width characters anywhere are trimmed, and the caller says so: they never get here)
    deleted = refused(ExchangeId.BYBIT, {**BYBIT, "api_key": "BYAPIKEY\x7f0123456789"})
    expected = "holds a control character: character 9 of the api_key is U+007F (a control character);"
    assert expected in deleted.message
