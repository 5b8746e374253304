"""Every row of the Bybit error table, the message-based rules, and unknown codes."""

from __future__ import annotations

import pytest

from tradedock import errors as e
from tradedock.exchanges.bybit.errors import BYBIT_CODES, ERROR_TABLE, HTTP_STATUS_RULES

# Expected domain error per retCode, written from bybit.md §7 / the brief, not read from the table.
EXPECTED: dict[str, type[e.TradeDockError]] = {
    "10001": e.UnexpectedResponseError,
    "10002": e.TimestampRejectedError,
    "10003": e.UnknownKeyError,
    "10004": e.BadSignatureError,
    "10005": e.PermissionDeniedError,
    "10006": e.RateLimitedError,
    "10007": e.CredentialsRejectedError,
    "10008": e.PermissionDeniedError,
    "10009": e.GeoBlockedError,
    "10010": e.IpNotAllowedError,
    "10016": e.ExchangeUnavailableError,
    "10017": e.UnexpectedResponseError,
    "10018": e.RateLimitedError,
    "10024": e.PermissionDeniedError,
    "10027": e.PermissionDeniedError,
    "10028": e.AccountModeMismatchError,
    "100028": e.AccountModeMismatchError,
    "110088": e.AccountModeMismatchError,
    "10029": e.PermissionDeniedError,
    "33004": e.KeyExpiredError,
    "-2015": e.KeyExpiredError,
    "-1": e.TimestampRejectedError,
    "429": e.RateLimitedError,
    "3100197": e.ExchangeUnavailableError,
    "20096": e.PermissionDeniedError,
    "131004": e.PermissionDeniedError,
    "81007": e.PermissionDeniedError,
    "110024": e.UserFixableError,
    "110028": e.UserFixableError,
    "110029": e.UserFixableError,
    "110073": e.UserFixableError,
    "3400045": e.UserFixableError,
    # trading (https://bybit-exchange.github.io/docs/v5/error)
    "110001": e.OrderRejectedError,
    "110004": e.InsufficientMarginError,
    "110006": e.InsufficientMarginError,
    "110007": e.InsufficientMarginError,
    "110008": e.OrderRejectedError,
    "110010": e.OrderRejectedError,
    "110012": e.InsufficientMarginError,
    "110017": e.OrderRejectedError,
    "110036": e.OrderRejectedError,
    "110038": e.OrderRejectedError,
    "110044": e.InsufficientMarginError,
    "110045": e.InsufficientMarginError,
    "110072": e.OrderRejectedError,
    "110094": e.OrderRejectedError,
}

# Codes that must end up in the "retry later" branch (never mark a key invalid).
UNREACHABLE = {"10006", "10009", "10016", "10018", "429", "3100197"}


def test_table_and_expectations_cover_the_same_codes() -> None:
    assert set(BYBIT_CODES) == set(EXPECTED)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_code_raises_its_domain_error(code: str) -> None:
    with pytest.raises(e.TradeDockError) as caught:
        ERROR_TABLE.raise_for(int(code), "some message")
    error = caught.value
    assert type(error) is EXPECTED[code]
    assert error.code == code
    assert error.exchange == "Bybit"
    assert error.native_message == "some message"
    assert error.message and "bybit" in error.message.lower()
    if not isinstance(error, e.InternalError):
        assert error.fix, f"{code} needs a fix for the trader"
    assert isinstance(error, e.ExchangeUnreachableError) == (code in UNREACHABLE)


def test_unknown_key_message_mentions_environments() -> None:
    with pytest.raises(e.UnknownKeyError) as caught:
        ERROR_TABLE.raise_for(10003, "API key is invalid.")
    assert "environment" in caught.value.message
    assert "demo" in (caught.value.fix or "").lower()


def test_bad_signature_points_at_the_secret() -> None:
    with pytest.raises(e.BadSignatureError) as caught:
        ERROR_TABLE.raise_for(10004, "error sign! origin_string[1658384314791XXXX5000]")
    assert "secret" in caught.value.message


def test_10003_with_an_expiry_message_is_key_expired() -> None:
    # Some expired keys answer 10003 (peers-and-failure-modes.md §3); the message decides.
    with pytest.raises(e.KeyExpiredError):
        ERROR_TABLE.raise_for(10003, "Your api key has expired.")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("invalid request, please check your server timestamp or recv_window param.", e.TimestampRejectedError),
        ("Error sign, please check your signature generation algorithm: origin_string[x]", e.BadSignatureError),
        ("API key is invalid.", e.UnknownKeyError),
        ("Unmatched IP, please check your API key's bound IP addresses.", e.IpNotAllowedError),
        ("Too many visits!", e.RateLimitedError),
        ("(Derivatives) Your api key has expired", e.KeyExpiredError),
    ],
)
def test_unknown_codes_fall_back_to_message_rules(message: str, expected: type[Exception]) -> None:
    with pytest.raises(expected):
        ERROR_TABLE.raise_for(99999, message)


def test_a_code_known_exactly_is_not_overridden_by_its_message() -> None:
    # 10002's real message contains "recv_window" and "expired"-like words; it must stay a timestamp error.
    with pytest.raises(e.TimestampRejectedError):
        ERROR_TABLE.raise_for(-1, "request expired: o@0, now[1] diff[2]")


def test_unknown_code_and_message_is_unexpected_response() -> None:
    with pytest.raises(e.UnexpectedResponseError) as caught:
        ERROR_TABLE.raise_for(123456, "something new")
    assert caught.value.code == "123456"


@pytest.mark.parametrize(("status", "expected"), [(401, e.CredentialsRejectedError), (403, e.RateLimitedError)])
def test_http_status_rules(status: int, expected: type[e.TradeDockError]) -> None:
    rule = HTTP_STATUS_RULES[status]
    assert rule.error is expected
    assert rule.cause and rule.fix
