"""credentials.format over real credentials and a spec's patterns and inspector."""

from __future__ import annotations

from tradedock.domain import Credentials, ExchangeId
from tradedock.exchanges.base import CredentialFinding, FindingSeverity
from tradedock.verification import Outcome

from .factories import ASTER_MAIN_WALLET, BYBIT_KEY, BYBIT_SECRET, context, credentials, make_spec, run


def swapped_inspector(creds: Credentials) -> tuple[CredentialFinding, ...]:
    """A stand-in for an exchange inspector: Bybit secrets are longer than keys."""
    if len(creds.get("api_key")) > len(creds.get("secret")):
        return (
            CredentialFinding(
                field="api_key",
                problem="swapped",
                message="The API key and the secret look swapped.",
                fix="Paste the API key in the first field and the secret in the second.",
            ),
        )
    return ()


class TestCredentialsFormat:
    def test_well_formed_passes(self) -> None:
        result = run("credentials.format", context(local_only=True))
        assert result.outcome is Outcome.PASS
        assert result.message == "The API key and API secret are well-formed."

    def test_trimmed_fields_warn_and_are_named(self) -> None:
        result = run("credentials.format", context(local_only=True, trimmed=("secret",)))
        assert result.outcome is Outcome.WARN
        assert "removed pasted spaces or line breaks from the API secret" in result.message
        assert result.evidence["trimmed_fields"] == ["secret"]

    def test_bad_format_fails_naming_field_and_shape(self) -> None:
        result = run("credentials.format", context(local_only=True, creds=credentials(secret="short")))
        assert result.outcome is Outcome.FAIL
        assert result.message == "The API secret does not look right: expected 36 letters/digits."
        assert result.fix == ("Copy the API secret again from Bybit, the whole value and nothing else.",)
        assert "short" not in str(result.to_dict())

    def test_missing_bitget_passphrase_fails(self) -> None:
        ctx = context(exchange=ExchangeId.BITGET, local_only=True, creds=credentials(ExchangeId.BITGET, passphrase=""))
        result = run("credentials.format", ctx)
        assert result.outcome is Outcome.FAIL
        assert result.message == "The API passphrase is missing."

    def test_inspector_finding_replaces_pattern_noise(self) -> None:
        creds = credentials(api_key=BYBIT_SECRET, secret=BYBIT_KEY)
        ctx = context(local_only=True, creds=creds, spec=make_spec(inspector=swapped_inspector))
        result = run("credentials.format", ctx)
        assert result.outcome is Outcome.FAIL
        assert result.message.startswith("The API key and the secret look swapped.")
        assert "Paste the API key in the first field and the secret in the second." in result.fix
        assert {p["problem"] for p in result.evidence["problems"]} >= {"swapped"}

    def test_warning_finding_warns(self) -> None:
        def main_wallet_hint(_: Credentials) -> tuple[CredentialFinding, ...]:
            return (
                CredentialFinding(
                    "main_wallet",
                    "address_typo",
                    "The main wallet address has no checksum.",
                    "Copy it again.",
                    FindingSeverity.WARN,
                ),
            )

        ctx = context(
            exchange=ExchangeId.ASTER,
            local_only=True,
            spec=make_spec(ExchangeId.ASTER, inspector=main_wallet_hint),
            creds=credentials(ExchangeId.ASTER, main_wallet=ASTER_MAIN_WALLET),
        )
        result = run("credentials.format", ctx)
        assert result.outcome is Outcome.WARN
        assert result.message == "The main wallet address has no checksum."
