"""Bitget's SPEC: credential fields, capabilities, and the local credential inspector."""

from __future__ import annotations

import re

import pytest

from tradedock.domain import ContractType, Credentials, Environment, ExchangeId
from tradedock.errors import InvalidInputError
from tradedock.exchanges.base import CredentialFinding, FindingSeverity
from tradedock.exchanges.bitget import SPEC, create_adapter
from tradedock.exchanges.registry import get_spec

KEY = "bg_0123456789abcdef0123456789abcdef"
SECRET = "0123456789abcdef" * 4
PASSPHRASE = "MyPass2024"


def creds(api_key: str = KEY, secret: str = SECRET, passphrase: str = PASSPHRASE) -> Credentials:
    return Credentials(ExchangeId.BITGET, {"api_key": api_key, "secret": secret, "passphrase": passphrase})


def findings(**fields: str) -> list[CredentialFinding]:
    return list(get_spec(ExchangeId.BITGET).inspect_credentials(creds(**fields)))  # with paste detection


def problems(**fields: str) -> set[tuple[str, str, FindingSeverity]]:
    return {(f.field, f.problem, f.severity) for f in findings(**fields)}


class TestSpec:
    def test_identity_fields_and_contracts(self) -> None:
        assert SPEC.id is ExchangeId.BITGET
        assert SPEC.name == "Bitget"
        assert [f.name for f in SPEC.credential_fields] == ["api_key", "secret", "passphrase"]
        assert [f.secret for f in SPEC.credential_fields] == [False, True, True]
        assert SPEC.contract_types == (ContractType.USDT_M, ContractType.USDC_M, ContractType.COIN_M)

    def test_passphrase_help_says_it_is_not_the_login_password(self) -> None:
        assert SPEC.field("passphrase").help == (
            "the API passphrase you set when creating this key — not your login password"
        )

    def test_urls_demo_is_the_live_host_and_sandbox_paths_are_empty(self) -> None:
        assert SPEC.base_urls == {
            Environment.LIVE: "https://api.bitget.com",
            Environment.DEMO: "https://api.bitget.com",
        }
        assert dict(SPEC.sandbox_paths) == {Environment.LIVE: "", Environment.DEMO: ""}

    def test_key_expiry_is_not_reported(self) -> None:
        assert SPEC.capabilities.key_expiry is False
        assert "expiry" in SPEC.capabilities.notes["key_expiry"]

    @pytest.mark.parametrize(
        ("field", "value"),
        [("api_key", KEY), ("secret", SECRET), ("passphrase", PASSPHRASE), ("passphrase", "with-symbols!#")],
    )
    def test_patterns_accept_well_formed_values(self, field: str, value: str) -> None:
        assert re.fullmatch(SPEC.field(field).pattern, value)

    @pytest.mark.parametrize("field", ["api_key", "secret", "passphrase"])
    def test_patterns_reject_empty(self, field: str) -> None:
        assert not re.fullmatch(SPEC.field(field).pattern, "")


class TestInspectCredentials:
    def test_usual_credentials_have_no_findings(self) -> None:
        assert findings() == []

    def test_swapped_key_and_secret(self) -> None:
        found = problems(api_key=SECRET, secret=KEY)
        assert ("api_key", "swapped", FindingSeverity.FAIL) in found
        assert not any(problem == "bad_format" for _, problem, _ in found)

    def test_key_pasted_into_secret(self) -> None:
        assert ("secret", "key_in_secret", FindingSeverity.FAIL) in problems(secret=KEY)

    def test_passphrase_pasted_into_secret(self) -> None:
        found = problems(secret=PASSPHRASE)
        assert ("secret", "passphrase_in_secret", FindingSeverity.FAIL) in found

    def test_secret_and_passphrase_swapped(self) -> None:
        found = findings(secret=PASSPHRASE, passphrase=SECRET)
        assert [(f.field, f.problem) for f in found if f.severity is FindingSeverity.FAIL] == [
            ("secret", "passphrase_in_secret")
        ]
        assert "Passphrase" in found[0].fix

    def test_key_pasted_into_passphrase(self) -> None:
        assert ("passphrase", "key_in_passphrase", FindingSeverity.FAIL) in problems(passphrase=KEY)

    def test_truncated_key_warns_with_the_expected_shape(self) -> None:
        (finding,) = findings(api_key=KEY[:-2])
        assert (finding.field, finding.problem, finding.severity) == ("api_key", "bad_format", FindingSeverity.WARN)
        assert "bg_ followed by 32 lower-case hex" in finding.message
        assert "30 characters after bg_" in finding.message

    def test_secret_with_wrong_alphabet_warns(self) -> None:
        (finding,) = findings(secret="Z" * 64)
        assert (finding.field, finding.problem) == ("secret", "bad_format")
        assert "64 hex" in finding.message and "outside 0-9/a-f" in finding.message

    def test_short_secret_names_its_length(self) -> None:
        (finding,) = findings(secret=SECRET[:40])
        assert "40 characters" in finding.message

    @pytest.mark.parametrize("passphrase", ["short1", "x" * 33, "has spaces?!"])
    def test_unusual_passphrase_warns_but_never_fails(self, passphrase: str) -> None:
        (finding,) = findings(passphrase=passphrase)
        assert (finding.field, finding.problem, finding.severity) == (
            "passphrase",
            "bad_format",
            FindingSeverity.WARN,
        )
        assert "not your login password" in finding.fix

    def test_bybit_key_and_secret_fail(self) -> None:
        found = problems(api_key="AbCdEfGhIjKlMnOpQr", secret="A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8")
        assert ("api_key", "other_exchange_key", FindingSeverity.FAIL) in found

    def test_bybit_looking_key_alone_warns(self) -> None:
        found = problems(api_key="AbCdEfGhIjKlMnOpQr")
        assert ("api_key", "other_exchange_key", FindingSeverity.WARN) in found

    def test_wallet_address_in_key_field(self) -> None:
        assert ("api_key", "other_exchange_key", FindingSeverity.FAIL) in problems(api_key="0x" + "ab" * 20)

    def test_messages_never_contain_secret_values(self) -> None:
        for finding in findings(secret=PASSPHRASE, passphrase=SECRET) + findings(secret="Z" * 64):
            for value in (SECRET, PASSPHRASE, "Z" * 64):
                assert value not in finding.message and value not in finding.fix


class TestCreateAdapter:
    def test_testnet_is_refused_naming_the_field(self) -> None:
        with pytest.raises(InvalidInputError) as caught:
            create_adapter(creds(), flavor=Environment.TESTNET)
        assert caught.value.field == "environment"
        assert "demo" in (caught.value.fix or "")

    def test_missing_passphrase_is_refused_naming_the_field(self) -> None:
        with pytest.raises(InvalidInputError) as caught:
            create_adapter(creds(passphrase=""), flavor=Environment.LIVE)
        assert caught.value.field == "passphrase"

    def test_other_exchange_credentials_are_refused(self) -> None:
        bybit = Credentials(ExchangeId.BYBIT, {"api_key": "a", "secret": "b"})
        with pytest.raises(InvalidInputError):
            create_adapter(bybit, flavor=Environment.LIVE)

    async def test_repr_shows_no_secret(self) -> None:
        adapter = create_adapter(creds(), flavor=Environment.DEMO)
        try:
            text = repr(adapter)
            assert SECRET not in text and PASSPHRASE not in text
            assert "demo=True" in text
        finally:
            await adapter.aclose()
