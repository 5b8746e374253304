"""The foundation: redacting credentials, whitespace trimming, settings parsing and the data directory."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tradedock.clock import FrozenClock
from tradedock.config import PermissionPolicy, SettingError, ensure_home, load_settings
from tradedock.domain import Credentials, ExchangeId, KeyInfo, ServerTime, mask
from tradedock.errors import InvalidInputError, RateLimitedError, TradeDockError

SECRET = "s3cr3t-VALUE-never-shown-0123456789"


class TestCredentials:
    def test_repr_and_str_never_show_a_value(self) -> None:
        creds = Credentials(ExchangeId.BITGET, {"api_key": "bg_public", "secret": SECRET, "passphrase": "pass-phrase"})
        for text in (repr(creds), str(creds), f"{creds}", repr([creds]), repr({"c": creds})):
            assert SECRET not in text and "pass-phrase" not in text and "bg_public" not in text
        assert "secret=***" in repr(creds)

    def test_trimmed_removes_pasted_whitespace_and_names_the_fields(self) -> None:
        creds = Credentials(ExchangeId.BYBIT, {"api_key": " KEY\u200b\n", "secret": "\tSEC RET "})
        cleaned, changed = creds.trimmed()
        assert dict(cleaned.fields) == {"api_key": "KEY", "secret": "SECRET"}
        assert changed == ("api_key", "secret")
        assert Credentials(ExchangeId.BYBIT, {"api_key": "K", "secret": "S"}).trimmed()[1] == ()

    def test_fields_cannot_be_changed_afterwards(self) -> None:
        creds = Credentials(ExchangeId.BYBIT, {"api_key": "K", "secret": "S"})
        with pytest.raises(TypeError):
            creds.fields["secret"] = "other"  # type: ignore[index]

    def test_public_id_is_the_named_public_field(self) -> None:
        assert Credentials(ExchangeId.BYBIT, {"api_key": "K1", "secret": "S"}, "api_key").public_id == "K1"
        aster = Credentials(
            ExchangeId.ASTER, {"api_wallet": " 0xabc", "private_key": "p", "main_wallet": "0xdef"}, "api_wallet"
        )
        assert aster.public_id == " 0xabc"
        assert aster.trimmed()[0].public_id == "0xabc"  # trimming keeps the public field

    def test_public_id_needs_the_public_field(self) -> None:
        with pytest.raises(ValueError, match="public_field"):
            _ = Credentials(ExchangeId.BYBIT, {"api_key": "K1", "secret": "S"}).public_id

    def test_mask_shows_only_the_last_four(self) -> None:
        assert mask("ABCDEFGH1234") == "…1234"
        assert mask("abc") == "…***"


def test_server_time_offset_sign() -> None:
    assert ServerTime(server_ms=10_000, local_ms=3_400, round_trip_ms=20).offset_ms == 6_600
    assert ServerTime(server_ms=1_000, local_ms=7_600, round_trip_ms=20).offset_ms == -6_600


def test_key_info_ip_bound_ignores_wildcards() -> None:
    assert not KeyInfo(uid="1", permissions=frozenset(), ips=("*",)).ip_bound
    assert KeyInfo(uid="1", permissions=frozenset(), ips=("1.2.3.4",)).ip_bound


def test_errors_carry_public_evidence_only() -> None:
    error = RateLimitedError("slow down", retry_after_s=2.5, code="10006", exchange="Bybit", native_message="Too many")
    assert isinstance(error, TradeDockError) and error.retry_after_s == 2.5
    assert error.evidence() == {
        "error": "RateLimitedError",
        "exchange": "Bybit",
        "code": "10006",
        "exchange_message": "Too many",
        "retry_after_s": "2.5",
    }
    assert InvalidInputError("passphrase", "missing", fix="add it").evidence()["field"] == "passphrase"


class TestSettings:
    def test_environment_variables_are_parsed(self, tradedock_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TRADEDOCK_EGRESS_IPS", "203.0.113.7, 198.51.100.1")
        monkeypatch.setenv("TRADEDOCK_SANDBOX_URLS", '{"bybit": "http://127.0.0.1:1"}')
        monkeypatch.setenv("TRADEDOCK_BALANCE_MINIMUMS", '{"bitget": 200}')
        monkeypatch.setenv("TRADEDOCK_WITHDRAW_POLICY", "warn")
        settings = load_settings()
        assert settings.home == tradedock_home
        assert settings.egress_ips == ("203.0.113.7", "198.51.100.1")
        assert settings.sandbox_urls == {"bybit": "http://127.0.0.1:1"}
        assert str(settings.balance_minimums["bitget"]) == "200"
        assert settings.withdraw_policy is PermissionPolicy.WARN
        assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tradedock_home / 'tradedock.db'}"

    def test_a_malformed_value_names_the_variable(self, tradedock_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TRADEDOCK_SANDBOX_URLS", "bybit=http://x")
        with pytest.raises(SettingError) as error:
            load_settings()
        assert error.value.field == "TRADEDOCK_SANDBOX_URLS"
        assert "JSON object" in error.value.message and "TRADEDOCK_SANDBOX_URLS" in (error.value.fix or "")

    def test_home_is_created_private(self, tradedock_home: Path) -> None:
        home = ensure_home(load_settings())
        assert home == tradedock_home and home.is_dir()
        assert stat.S_IMODE(home.stat().st_mode) == 0o700

    def test_sandbox_urls_fall_back_to_what_tradedock_sandbox_recorded(self, tradedock_home: Path) -> None:
        settings = load_settings()
        ensure_home(settings)
        settings.sandbox_urls_file.write_text('{"aster": "http://127.0.0.1:9"}', encoding="utf-8")
        assert settings.effective_sandbox_urls() == {"aster": "http://127.0.0.1:9"}
        assert load_settings(sandbox_urls={"bybit": "http://b"}).effective_sandbox_urls() == {"bybit": "http://b"}


def test_frozen_clock_moves_only_when_told() -> None:
    clock = FrozenClock()
    before = clock.now_ms()
    assert clock.now_ms() == before
    clock.advance(seconds=1.5)
    assert clock.now_ms() == before + 1500
    assert clock.now_us() == (before + 1500) * 1000


def test_echoed_signed_strings_are_cut_from_exchange_messages() -> None:
    from tradedock.errors import BadSignatureError
    from tradedock.exchanges.bybit.errors import ERROR_TABLE

    with pytest.raises(BadSignatureError) as error:
        ERROR_TABLE.raise_for(10004, "error sign! origin_string[1700000000000FULLAPIKEY12345675000category=linear]")
    assert "FULLAPIKEY" not in str(error.value.evidence())
    assert error.value.native_message == "error sign! origin_string[…]"
