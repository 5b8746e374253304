"""Policy from settings, and the profile data lookups the checks depend on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradedock.config import PermissionPolicy, load_settings
from tradedock.domain import AccountMode, ContractType, Environment, ExchangeId, PositionMode
from tradedock.exchanges.registry import EXCHANGES
from tradedock.verification import Policy, VerificationRequest

from .factories import credentials, profile_for


def test_policy_from_settings(monkeypatch: pytest.MonkeyPatch, tradedock_home: object) -> None:
    monkeypatch.setenv("TRADEDOCK_EGRESS_IPS", "203.0.113.7, 198.51.100.2")
    monkeypatch.setenv("TRADEDOCK_WITHDRAW_POLICY", "warn")
    monkeypatch.setenv("TRADEDOCK_BALANCE_MINIMUMS", '{"Bitget": 200}')
    monkeypatch.setenv("TRADEDOCK_EXPIRY_WARN_DAYS", "7")
    policy = Policy.from_settings(load_settings())
    assert policy.egress_ips == ("203.0.113.7", "198.51.100.2")
    assert policy.withdraw is PermissionPolicy.WARN and policy.transfer is PermissionPolicy.FAIL
    assert policy.minimum_override(ExchangeId.BITGET) == Decimal(200)
    assert policy.minimum_override(ExchangeId.BYBIT) is None
    assert policy.expiry_warn_days == 7 and policy.clock_warn_ms == 2000


def test_policy_rejects_negative_windows() -> None:
    with pytest.raises(ValueError, match="EXPIRY_WARN_DAYS"):
        Policy(expiry_warn_days=-1)


def test_request_refuses_credentials_of_another_exchange() -> None:
    with pytest.raises(ValueError, match="bitget"):
        VerificationRequest(ExchangeId.BYBIT, Environment.LIVE, "futures", None, credentials(ExchangeId.BITGET))  # type: ignore[arg-type]


def test_every_exchange_has_a_profile() -> None:
    assert {entry.spec.profile.exchange for entry in EXCHANGES.values()} == set(ExchangeId)


@pytest.mark.parametrize(
    ("exchange", "futures", "contract", "mode", "wallet"),
    [
        (ExchangeId.BYBIT, True, None, AccountMode.UNIFIED, "UNIFIED"),
        (ExchangeId.BYBIT, True, ContractType.USDT_M, AccountMode.CLASSIC, "CONTRACT"),
        (ExchangeId.BYBIT, False, None, AccountMode.CLASSIC, "SPOT"),
        (ExchangeId.BYBIT, False, None, None, "UNIFIED"),
        (ExchangeId.BITGET, True, ContractType.USDC_M, None, "USDC-FUTURES"),
        (ExchangeId.BITGET, True, ContractType.COIN_M, AccountMode.CLASSIC, "COIN-FUTURES"),
        (ExchangeId.BITGET, True, None, None, "USDT-FUTURES"),
        (ExchangeId.BITGET, False, None, None, "spot"),
        (ExchangeId.ASTER, True, ContractType.USDT_M, None, "futures"),
        (ExchangeId.ASTER, False, None, None, "spot"),
    ],
)
def test_trading_wallet(
    exchange: ExchangeId, futures: bool, contract: ContractType | None, mode: AccountMode | None, wallet: str
) -> None:
    assert profile_for(exchange).trading_wallet(futures=futures, contract=contract, mode=mode) == wallet


def test_profile_requirements_as_data() -> None:
    assert profile_for(ExchangeId.BYBIT).required_position_mode is PositionMode.ONE_WAY
    assert profile_for(ExchangeId.BITGET).required_position_mode is None
    assert profile_for(ExchangeId.BITGET).futures_minimum.fail_below == Decimal(150)  # type: ignore[union-attr]
    assert profile_for(ExchangeId.ASTER).futures_minimum is None
    assert profile_for(ExchangeId.BYBIT).wallet_name("FUND") == "Funding"
    assert profile_for(ExchangeId.BYBIT).environment_name(Environment.DEMO) == "Bybit demo trading"
