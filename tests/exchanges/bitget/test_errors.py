"""Every row of the Bitget error table, the message fallback, and the account-mode hint."""

from __future__ import annotations

import pytest

from tradedock.domain import AccountMode
from tradedock.errors import (
    AccountModeMismatchError,
    BadSignatureError,
    CredentialsRejectedError,
    ExchangeTimeoutError,
    ExchangeUnavailableError,
    ExchangeUnreachableError,
    InsufficientMarginError,
    InternalError,
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
    WrongEnvironmentError,
    WrongPassphraseError,
)
from tradedock.exchanges.bitget.errors import ERROR_TABLE, account_mode_hint

#: What each Bitget code must become (reference bitget.md §7, §10). Written out by hand: the test fails if the
#: table drifts from the reference, gains a row nobody reviewed, or loses one.
EXPECTED: dict[str, type[TradeDockError]] = {
    "40001": UnknownKeyError,
    "40002": BadSignatureError,
    "40003": BadSignatureError,
    "40004": TimestampRejectedError,
    "40005": TimestampRejectedError,
    "40006": UnknownKeyError,
    "40007": InternalError,
    "40008": TimestampRejectedError,
    "40009": BadSignatureError,
    "40010": ExchangeTimeoutError,
    "40011": WrongPassphraseError,
    "40012": WrongPassphraseError,
    "40013": CredentialsRejectedError,
    "40014": PermissionDeniedError,
    "40016": PermissionDeniedError,
    "40018": IpNotAllowedError,
    "40022": PermissionDeniedError,
    "40023": CredentialsRejectedError,
    "40024": CredentialsRejectedError,
    "40026": CredentialsRejectedError,
    "40031": CredentialsRejectedError,
    "40036": WrongPassphraseError,
    "40037": UnknownKeyError,
    "40038": IpNotAllowedError,
    "40040": PermissionDeniedError,
    "40063": UserFixableError,
    "40070": WrongPassphraseError,
    "40078": TimestampRejectedError,
    "40079": TimestampRejectedError,
    "40081": UserFixableError,
    "40084": AccountModeMismatchError,
    "40085": AccountModeMismatchError,
    "40099": WrongEnvironmentError,
    "40100": PermissionDeniedError,
    "40101": PermissionDeniedError,
    "40103": PermissionDeniedError,
    "40104": PermissionDeniedError,
    "40105": UserFixableError,
    "40110": UserFixableError,
    "40111": PermissionDeniedError,
    "40200": ExchangeUnavailableError,
    "40301": PermissionDeniedError,
    "40404": InternalError,
    "40506": CredentialsRejectedError,
    "40507": CredentialsRejectedError,
    "40920": UserFixableError,
    "45117": UserFixableError,
    "22010": IpNotAllowedError,
    "429": RateLimitedError,
    "1001": RateLimitedError,
    "50009": RateLimitedError,
    "500": ExchangeUnavailableError,
    "40015": ExchangeUnavailableError,
    "400": InternalError,
    "40017": InternalError,
    "40019": InternalError,
    "40020": InternalError,
    "401": UnknownKeyError,
    "403": PermissionDeniedError,
    # trading (exchanges/bitget/trading.py)
    "40762": InsufficientMarginError,
    "43012": InsufficientMarginError,
    "40768": OrderRejectedError,
    "40109": OrderRejectedError,
    "43001": OrderRejectedError,
    "45110": OrderRejectedError,
    "45111": OrderRejectedError,
    "40808": OrderRejectedError,
    "22002": OrderRejectedError,
    "40786": OrderRejectedError,
    "40774": OrderRejectedError,
}


def test_table_has_exactly_the_reviewed_rows() -> None:
    assert set(ERROR_TABLE.exact) == set(EXPECTED)


@pytest.mark.parametrize(("code", "error"), sorted(EXPECTED.items()))
class TestEveryRow:
    def test_raises_exactly_the_mapped_error(self, code: str, error: type[TradeDockError]) -> None:
        with pytest.raises(TradeDockError) as caught:
            ERROR_TABLE.raise_for(code, "message from Bitget")
        assert type(caught.value) is error
        assert caught.value.code == code
        assert caught.value.native_message == "message from Bitget"
        assert caught.value.exchange == "Bitget"

    def test_has_a_plain_cause_and_user_errors_have_a_fix(self, code: str, error: type[TradeDockError]) -> None:
        rule = ERROR_TABLE.exact[code]
        assert rule.cause.endswith((".", ")"))
        if issubclass(error, UserFixableError) and code not in ("40084", "40085"):
            assert len(rule.fix) > 20


class TestSpecificFixes:
    def test_wrong_passphrase_fix_names_only_passphrase_or_secret_and_lost_passphrase(self) -> None:
        fix = ERROR_TABLE.exact["40012"].fix
        assert "only the passphrase or the secret" in fix
        assert "not your Bitget login password" in fix
        assert "lost" in fix and "create a new one" in fix

    def test_exchange_faults_are_unreachable_never_credential_errors(self) -> None:
        for code in ("429", "1001", "50009", "40010", "40015", "40200", "500"):
            assert issubclass(EXPECTED[code], ExchangeUnreachableError)

    def test_no_documented_code_means_expired_key(self) -> None:
        # Bitget documents no expiry code (reference §7): nothing may claim a key expired.
        assert not any(issubclass(rule.error, KeyExpiredError) for rule in ERROR_TABLE.exact.values())


class TestUnknownCodes:
    def test_unknown_code_is_unexpected_response(self) -> None:
        with pytest.raises(UnexpectedResponseError) as caught:
            ERROR_TABLE.raise_for("99999", "something new")
        assert caught.value.code == "99999"

    @pytest.mark.parametrize(
        ("message", "error"),
        [
            ("exchange environment is incorrect", WrongEnvironmentError),
            ("Apikey does not exist", UnknownKeyError),
            ("Invalid IP", IpNotAllowedError),
            ("sign signature error", BadSignatureError),
            ("Too many requests", RateLimitedError),
        ],
    )
    def test_unknown_code_with_a_known_message_uses_the_message(
        self, message: str, error: type[TradeDockError]
    ) -> None:
        with pytest.raises(error):
            ERROR_TABLE.raise_for("12345", message)

    def test_known_code_wins_over_a_misleading_message(self) -> None:
        with pytest.raises(WrongPassphraseError):
            ERROR_TABLE.raise_for("40012", "Invalid IP")


class TestAccountModeHint:
    def _error(self, code: str, message: str) -> AccountModeMismatchError:
        with pytest.raises(AccountModeMismatchError) as caught:
            ERROR_TABLE.raise_for(code, message)
        return caught.value

    def test_40085_points_to_unified(self) -> None:
        message = "You are in Unified Account mode, and the Classic Account API is not supported at this time"
        assert account_mode_hint(self._error("40085", message)) is AccountMode.UNIFIED

    def test_40084_points_to_classic(self) -> None:
        message = "You are in Classic Account mode, and the Unified Account API is not supported at this time"
        assert account_mode_hint(self._error("40084", message)) is AccountMode.CLASSIC

    def test_message_alone_is_enough(self) -> None:
        error = self._error("49999", "You are in Unified Account mode, and the Classic Account API is not supported")
        assert account_mode_hint(error) is AccountMode.UNIFIED

    def test_unrelated_mismatch_gives_no_hint(self) -> None:
        assert account_mode_hint(AccountModeMismatchError("x", code="1")) is None
