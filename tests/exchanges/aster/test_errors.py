"""Every row of the Aster error table, by code and by message; expectations written out here, not derived."""

from __future__ import annotations

import pytest

from tradedock.errors import (
    AgentNotApprovedError,
    BadSignatureError,
    CredentialsRejectedError,
    ExchangeUnavailableError,
    InsufficientMarginError,
    IpNotAllowedError,
    KeyExpiredError,
    OrderRejectedError,
    PermissionDeniedError,
    RateLimitedError,
    TimestampRejectedError,
    TradeDockError,
    UnexpectedResponseError,
    UnknownKeyError,
    UserFixableError,
)
from tradedock.exchanges.aster.errors import ERROR_TABLE

# (code, message as Aster documents or was observed sending it, expected domain error)
CODE_ROWS: list[tuple[int, str, type[TradeDockError]]] = [
    (-1000, "An unknown error occured while processing the request.", ExchangeUnavailableError),
    (-1002, "You are not authorized to execute this request.", PermissionDeniedError),
    (-1003, "Too many requests; current limit is 2400 request weight per 1 MINUTE.", RateLimitedError),
    (-1003, "Way too many requests; IP banned until 1700000000000.", RateLimitedError),
    (-1015, "Too many new orders.", RateLimitedError),
    (-1011, "This IP cannot access this route.", IpNotAllowedError),
    (-1021, "Timestamp for this request is outside of the recvWindow.", TimestampRejectedError),
    (-1022, "Signature for this request is not valid.", BadSignatureError),
    (-2014, "API-key format invalid.", UnknownKeyError),
    (-2015, "Invalid API-key, IP, or permissions for action.", PermissionDeniedError),
    (-4056, "Invalid api key type.", CredentialsRejectedError),
    (-4057, "Invalid api public key", CredentialsRejectedError),
    (-4087, "User can only place reduce only order", PermissionDeniedError),
    (-4088, "User can not place order currently", PermissionDeniedError),
    (-4225, "Nonce Expired", TimestampRejectedError),
    # trading
    (-2019, "Margin is insufficient.", InsufficientMarginError),
    (-2013, "Order does not exist.", OrderRejectedError),
    (-2011, "Unknown order sent.", OrderRejectedError),
    (-4164, "Order's notional must be no smaller than 5.0 (unless you choose reduce only)", OrderRejectedError),
    (-1111, "Precision is over the maximum defined for this asset.", OrderRejectedError),
    (-4003, "Quantity less than or equal to zero.", OrderRejectedError),
    (-4005, "Quantity greater than max quantity.", OrderRejectedError),
    (-2022, "ReduceOnly Order is rejected.", OrderRejectedError),
    (-4116, "ClientOrderId is duplicated.", OrderRejectedError),
    (-4061, "Order's position side does not match user's setting.", OrderRejectedError),
    (-4028, "Leverage 500 is not valid", OrderRejectedError),
    (-4059, "No need to change position side.", OrderRejectedError),
    (-4046, "No need to change margin type.", OrderRejectedError),
    (-4171, "Adjusted asset mode is currently set and does not need to be adjusted.", OrderRejectedError),
    (-4067, "Position side cannot be changed if there exists open orders.", UserFixableError),
    (-4068, "Position side cannot be changed if there exists position.", UserFixableError),
]

# -1000 and unknown codes are decided by the message (V3 has no documented codes for these, aster.md §8.5).
MESSAGE_ROWS: list[tuple[int, str, type[TradeDockError]]] = [
    (-1000, "Signature check failed", AgentNotApprovedError),
    (-1000, "signature invalid", AgentNotApprovedError),
    (-1000, "Agent not found", AgentNotApprovedError),
    (-1000, "agent does not exist", AgentNotApprovedError),
    (-1000, "Agent not exist", AgentNotApprovedError),
    (-1000, "Agent not approved", AgentNotApprovedError),
    (-1000, "Unauthorized agent", AgentNotApprovedError),
    (-1000, "Invalid signer", AgentNotApprovedError),
    (-1000, "Signer not authorized", AgentNotApprovedError),
    (-1000, "Agent expired", KeyExpiredError),
    (-1000, "agent has expired", KeyExpiredError),
    (-1000, "Agent is expired", KeyExpiredError),
    (-1000, "Expired agent", KeyExpiredError),
    (-1000, "Agent revoked", KeyExpiredError),
    (-1000, "Nonce Expired", TimestampRejectedError),
    (-1000, "duplicate nonce", TimestampRejectedError),
    (-9999, "nonce already used", TimestampRejectedError),
    (-9999, "IP not in whitelist", IpNotAllowedError),
    (-9999, "This IP cannot access this route.", IpNotAllowedError),
    (-9999, "Too many requests", RateLimitedError),
]


def raised(code: object, msg: str) -> TradeDockError:
    with pytest.raises(TradeDockError) as info:
        ERROR_TABLE.raise_for(code, msg)
    return info.value


@pytest.mark.parametrize(("code", "msg", "expected"), CODE_ROWS)
def test_code_rows(code: int, msg: str, expected: type[TradeDockError]) -> None:
    error = raised(code, msg)
    assert type(error) is expected
    assert error.code == str(code)
    assert error.native_message == msg
    assert error.exchange == "aster"
    assert error.message and error.fix


@pytest.mark.parametrize(("code", "msg", "expected"), MESSAGE_ROWS)
def test_message_rows(code: int, msg: str, expected: type[TradeDockError]) -> None:
    assert type(raised(code, msg)) is expected


def test_every_exact_code_is_tested() -> None:
    assert {str(code) for code, _, _ in CODE_ROWS} == set(ERROR_TABLE.exact)


def test_every_needle_is_tested() -> None:
    messages = [msg.lower() for _, msg, _ in MESSAGE_ROWS]
    for needle in ERROR_TABLE.broad:
        assert any(needle in m for m in messages), needle


def test_unknown_code_and_message_is_unexpected() -> None:
    error = raised(-4999, "Something Aster has never said")
    assert type(error) is UnexpectedResponseError
    assert error.code == "-4999"


def test_exact_code_wins_over_message_for_unambiguous_codes() -> None:
    # -1011's message contains nothing about agents; -1022 says "signature" but is an exact BadSignature row.
    assert type(raised(-1022, "Signature check failed")) is BadSignatureError


def test_rate_limit_is_retryable_not_user_fixable() -> None:
    from tradedock.errors import ExchangeUnreachableError, UserFixableError

    error = raised(-1003, "Too many requests")
    assert isinstance(error, ExchangeUnreachableError)
    assert not isinstance(error, UserFixableError)
