"""`inspect_credentials`: every local finding, with throwaway keys made by eth-account."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_account import Account

from tradedock.domain import Credentials, ExchangeId
from tradedock.exchanges.aster import SPEC
from tradedock.exchanges.aster.wallets import has_valid_checksum, inspect_credentials
from tradedock.exchanges.base import CredentialFinding, FindingSeverity


@dataclass(frozen=True)
class Wallet:
    address: str
    key: str


def new_wallet() -> Wallet:
    account = Account.create()  # random: every helper below must work for any address
    return Wallet(account.address, "0x" + bytes(account.key).hex())


@pytest.fixture
def api() -> Wallet:
    return new_wallet()


@pytest.fixture
def main() -> Wallet:
    return new_wallet()


def creds(api_wallet: str, private_key: str, main_wallet: str) -> Credentials:
    return Credentials(
        ExchangeId.ASTER, {"api_wallet": api_wallet, "private_key": private_key, "main_wallet": main_wallet}
    )


def problems(findings: tuple[CredentialFinding, ...]) -> list[tuple[str, str]]:
    return [(f.field, f.problem) for f in findings]


def flip_case(address: str, index: int) -> str:
    """The address with one letter's case flipped: a broken EIP-55 checksum, same bytes.

    The result must stay mixed-case: an all-upper or all-lower address carries no checksum at all (flipping the
    only lower-case letter of ``0x…b…B…F…`` would make a valid address, and the test flaky)."""
    body = address[2:]
    for i in range(index, len(body)):
        if body[i].isalpha():
            flipped = body[:i] + body[i].swapcase() + body[i + 1 :]
            if flipped not in (flipped.lower(), flipped.upper()):
                return "0x" + flipped
    raise AssertionError("no letter to flip")


def change_digit(address: str, index: int) -> str:
    body = address[2:].lower()
    replacement = "1" if body[index] != "1" else "2"
    return "0x" + body[:index] + replacement + body[index + 1 :]


class TestHealthy:
    def test_no_findings(self, api: Wallet, main: Wallet) -> None:
        assert inspect_credentials(creds(api.address, api.key, main.address)) == ()

    def test_lowercase_addresses_and_key_without_0x_are_fine(self, api: Wallet, main: Wallet) -> None:
        found = inspect_credentials(creds(api.address.lower(), api.key.removeprefix("0x"), main.address.lower()))
        assert found == ()

    def test_pasted_whitespace_is_ignored(self, api: Wallet, main: Wallet) -> None:
        assert inspect_credentials(creds(f" {api.address}\n", f"{api.key} ", f"\t{main.address}")) == ()

    def test_spec_uses_this_inspector(self, api: Wallet, main: Wallet) -> None:
        assert SPEC.inspect_credentials(creds(api.address, main.key, main.address))


class TestFormat:
    def test_short_api_wallet(self, api: Wallet, main: Wallet) -> None:
        found = inspect_credentials(creds(api.address[:-1], api.key, main.address))
        assert problems(found) == [("api_wallet", "bad_format")]
        assert "0x followed by 40 hex characters" in found[0].message

    def test_main_wallet_without_0x(self, api: Wallet, main: Wallet) -> None:
        found = inspect_credentials(creds(api.address, api.key, main.address[2:]))
        assert problems(found) == [("main_wallet", "bad_format")]

    def test_non_hex_private_key(self, api: Wallet, main: Wallet) -> None:
        found = inspect_credentials(creds(api.address, api.key[:-1] + "g", main.address))
        assert problems(found) == [("private_key", "bad_format")]
        assert "64 hex characters" in found[0].message

    def test_short_private_key(self, api: Wallet, main: Wallet) -> None:
        found = inspect_credentials(creds(api.address, api.key[:-2], main.address))
        assert problems(found) == [("private_key", "bad_format")]

    def test_out_of_range_private_key(self, api: Wallet, main: Wallet) -> None:
        found = inspect_credentials(creds(api.address, "0x" + "f" * 64, main.address))
        assert problems(found) == [("private_key", "bad_format")]

    def test_missing_fields(self) -> None:
        found = inspect_credentials(Credentials(ExchangeId.ASTER, {}))
        assert sorted(problems(found)) == [
            ("api_wallet", "missing"),
            ("main_wallet", "missing"),
            ("private_key", "missing"),
        ]

    def test_key_in_address_field_and_address_in_key_field(self, api: Wallet, main: Wallet) -> None:
        found = inspect_credentials(creds(api.key, api.address, main.address))
        assert problems(found) == [("api_wallet", "swapped"), ("private_key", "swapped")]

    def test_every_finding_has_a_fix(self, api: Wallet, main: Wallet) -> None:
        for found in (
            inspect_credentials(creds("x", "y", "z")),
            inspect_credentials(creds(api.address, main.key, main.address)),
        ):
            assert found
            assert all(f.fix and f.message for f in found)


class TestKeyAddressMismatch:
    def test_main_wallet_key(self, api: Wallet, main: Wallet) -> None:
        found = inspect_credentials(creds(api.address, main.key, main.address))
        assert problems(found) == [("private_key", "main_wallet_key")]
        assert "MAIN wallet" in found[0].message
        assert "API Management" in found[0].fix and "Authorize new API wallet" in found[0].fix
        assert found[0].severity is FindingSeverity.FAIL

    def test_key_of_another_api_wallet(self, api: Wallet, main: Wallet) -> None:
        other = new_wallet()
        found = inspect_credentials(creds(api.address, other.key, main.address))
        assert problems(found) == [("private_key", "other_api_wallet")]
        assert "0x…" + other.address[-4:] in found[0].message

    @pytest.mark.parametrize("changed", [1, 2])
    def test_one_or_two_characters_off_is_a_typo(self, api: Wallet, main: Wallet, changed: int) -> None:
        typo = api.address
        for index in range(changed):
            typo = change_digit(typo, 5 + 10 * index)
        found = inspect_credentials(creds(typo, api.key, main.address))
        assert problems(found) == [("api_wallet", "address_typo")]
        assert api.address in found[0].fix

    def test_bad_checksum_on_a_different_address_is_a_typo(self, api: Wallet, main: Wallet) -> None:
        other = new_wallet().address
        mangled = flip_case(other, 0)
        assert not has_valid_checksum(mangled)
        found = inspect_credentials(creds(mangled, api.key, main.address))
        assert problems(found) == [("api_wallet", "address_typo")]

    def test_same_address_in_both_fields(self, api: Wallet) -> None:
        found = inspect_credentials(creds(api.address, api.key, api.address))
        assert problems(found) == [("api_wallet", "same_address")]

    def test_main_key_and_main_address_twice(self, main: Wallet) -> None:
        found = inspect_credentials(creds(main.address, main.key, main.address))
        assert problems(found) == [("api_wallet", "same_address")]
        assert "MAIN wallet's key" in found[0].message

    def test_same_address_with_another_key_has_no_main_key_warning(self, api: Wallet, main: Wallet) -> None:
        found = inspect_credentials(creds(main.address, api.key, main.address))
        assert problems(found) == [("api_wallet", "same_address")]
        assert "MAIN" not in found[0].message


class TestChecksum:
    def test_case_only_change_of_the_right_address_is_a_warning(self, api: Wallet, main: Wallet) -> None:
        found = inspect_credentials(creds(flip_case(api.address, 0), api.key, main.address))
        assert problems(found) == [("api_wallet", "bad_checksum")]
        assert found[0].severity is FindingSeverity.WARN

    def test_main_wallet_bad_checksum_fails(self, api: Wallet, main: Wallet) -> None:
        found = inspect_credentials(creds(api.address, api.key, flip_case(main.address, 0)))
        assert problems(found) == [("main_wallet", "bad_checksum")]
        assert found[0].severity is FindingSeverity.FAIL

    def test_upper_case_address_has_no_checksum(self, api: Wallet) -> None:
        assert has_valid_checksum("0x" + api.address[2:].upper())


class TestNoSecretsInFindings:
    def test_private_key_never_echoed(self, api: Wallet, main: Wallet) -> None:
        other = new_wallet()
        for c in (
            creds(api.address, main.key, main.address),
            creds(api.address, other.key, main.address),
            creds(api.address, api.key[:-1] + "g", main.address),
            creds(api.key, api.address, main.address),
        ):
            for finding in inspect_credentials(c):
                text = finding.message + finding.fix
                for key in (main.key, other.key, api.key):
                    assert key[2:] not in text
                    assert key[2:-1] not in text
