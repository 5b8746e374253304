"""Bybit SPEC and its local credential inspector."""

from __future__ import annotations

import re

import pytest

from tradedock.domain import ContractType, Credentials, Environment, ExchangeId
from tradedock.errors import InvalidInputError
from tradedock.exchanges.base import FindingSeverity
from tradedock.exchanges.bybit import SPEC, create_adapter
from tradedock.exchanges.registry import get_spec

#: The inspector as served: Bybit's own checks plus the registry's cross-exchange paste detection.
inspect_credentials = get_spec(ExchangeId.BYBIT).inspect_credentials

KEY = "opjSlSOzqIeXROT5rq"  # the 18-character key of Bybit's query-api doc example
SECRET = "Xy7" * 12  # 36 letters and digits


def creds(api_key: str = KEY, secret: str = SECRET) -> Credentials:
    return Credentials(ExchangeId.BYBIT, {"api_key": api_key, "secret": secret})


def problems(c: Credentials) -> list[tuple[str, str, FindingSeverity]]:
    return [(f.field, f.problem, f.severity) for f in inspect_credentials(c)]


class TestSpec:
    def test_identity_and_fields(self) -> None:
        assert SPEC.id is ExchangeId.BYBIT and SPEC.name == "Bybit"
        assert [f.name for f in SPEC.credential_fields] == ["api_key", "secret"]
        assert SPEC.field("secret").secret and not SPEC.field("api_key").secret

    def test_urls_per_environment(self) -> None:
        assert SPEC.base_urls[Environment.LIVE] == "https://api.bybit.com"
        assert SPEC.base_urls[Environment.DEMO] == "https://api-demo.bybit.com"
        assert SPEC.base_urls[Environment.TESTNET] == "https://api-testnet.bybit.com"
        assert dict(SPEC.sandbox_paths) == {
            Environment.LIVE: "",
            Environment.DEMO: "/demo",
            Environment.TESTNET: "/testnet",
        }

    def test_capabilities_and_contracts(self) -> None:
        caps = SPEC.capabilities
        assert all([caps.key_info, caps.ip_whitelist, caps.key_expiry, caps.account_mode, caps.position_mode])
        assert "IP" in caps.notes["key_expiry"]
        assert SPEC.contract_types == (ContractType.USDT_M, ContractType.USDC_M, ContractType.COIN_M)

    def test_patterns_accept_doc_shapes(self) -> None:
        assert re.fullmatch(SPEC.field("api_key").pattern, KEY)
        assert re.fullmatch(SPEC.field("secret").pattern, SECRET)
        assert not re.fullmatch(SPEC.field("api_key").pattern, "bg_0123")


class TestInspectCredentials:
    def test_well_formed_pair_has_no_findings(self) -> None:
        assert problems(creds()) == []

    def test_swapped_fields(self) -> None:
        found = inspect_credentials(creds(api_key=SECRET, secret=KEY))
        assert [(f.field, f.problem) for f in found] == [("api_key", "swapped")]
        assert "swapped" in found[0].message and found[0].severity is FindingSeverity.FAIL

    def test_same_value_twice(self) -> None:
        assert problems(creds(secret=KEY)) == [("secret", "same_value", FindingSeverity.FAIL)]

    def test_missing_fields_are_named(self) -> None:
        found = inspect_credentials(creds(api_key="", secret=""))
        assert {f.field for f in found} == {"api_key", "secret"}
        assert all(f.problem == "missing" for f in found)

    def test_bitget_key_pasted_into_bybit(self) -> None:
        found = inspect_credentials(creds(api_key="bg_" + "a1" * 16, secret="ab" * 32))
        assert [(f.field, f.problem) for f in found] == [("api_key", "other_exchange_key")]
        assert "Bitget" in found[0].message

    def test_aster_wallet_pasted_into_bybit(self) -> None:
        found = inspect_credentials(creds(api_key="0x" + "ab" * 20, secret="0x" + "cd" * 32))
        assert [f.problem for f in found] == ["other_exchange_key"]
        assert "Aster" in found[0].message

    def test_rsa_private_key_is_unsupported(self) -> None:
        # Credentials.trimmed() removes the PEM's spaces and newlines before the inspector runs.
        pem = "-----BEGINPRIVATEKEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-----ENDPRIVATEKEY-----"
        assert problems(creds(secret=pem)) == [("secret", "rsa_key_unsupported", FindingSeverity.FAIL)]

    @pytest.mark.parametrize(
        ("field", "value"), [("api_key", "opjSlSOz-qIeXROT5r"), ("secret", "Xy7" * 11 + "Xy\u00e9")]
    )
    def test_bad_characters_name_field_shape_and_fix(self, field: str, value: str) -> None:
        found = inspect_credentials(creds(**{field: value}))
        assert [(f.field, f.problem, f.severity) for f in found] == [(field, "bad_format", FindingSeverity.FAIL)]
        assert "letters and digits" in found[0].message
        assert found[0].fix
        assert value not in found[0].message  # never echo a credential

    def test_too_short_key_is_bad_format(self) -> None:
        assert problems(creds(api_key="abc123")) == [("api_key", "bad_format", FindingSeverity.FAIL)]

    @pytest.mark.parametrize(("field", "value"), [("api_key", KEY + "AB"), ("secret", SECRET[:-4])])
    def test_unusual_length_is_only_a_warning(self, field: str, value: str) -> None:
        found = inspect_credentials(creds(**{field: value}))
        assert [(f.field, f.problem, f.severity) for f in found] == [(field, "unusual_length", FindingSeverity.WARN)]


class TestCreateAdapter:
    def test_rejects_other_exchange_credentials(self) -> None:
        other = Credentials(ExchangeId.BITGET, {"api_key": KEY, "secret": SECRET, "passphrase": "p"})
        with pytest.raises(InvalidInputError) as caught:
            create_adapter(other, flavor=Environment.LIVE)
        assert caught.value.field == "exchange"

    def test_missing_secret_names_the_field(self) -> None:
        with pytest.raises(InvalidInputError) as caught:
            create_adapter(creds(secret=""), flavor=Environment.LIVE)
        assert caught.value.field == "secret"

    def test_sandbox_needs_a_base_url(self) -> None:
        with pytest.raises(InvalidInputError) as caught:
            create_adapter(creds(), flavor=Environment.SANDBOX)
        assert caught.value.field == "environment"

    async def test_flavor_picks_official_url_and_base_url_overrides(self) -> None:
        demo = create_adapter(creds(), flavor=Environment.DEMO)
        custom = create_adapter(creds(), flavor=Environment.DEMO, base_url="http://127.0.0.1:9/demo/")
        try:
            assert demo._http.base_url.startswith("https://api-demo.bybit.com")
            assert custom._http.base_url.startswith("http://127.0.0.1:9/demo")
            assert SECRET not in repr(demo)
        finally:
            await demo.aclose()
            await custom.aclose()
