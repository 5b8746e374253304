"""account.mode, position.mode, margin.mode and balance.minimum over real domain values."""

from __future__ import annotations

from decimal import Decimal

from tradedock.domain import (
    AccountInfo,
    AccountMode,
    Balance,
    ContractType,
    ExchangeId,
    MarginMode,
    PositionMode,
    PositionSettings,
    Scope,
)
from tradedock.errors import ExchangeTimeoutError
from tradedock.verification import Outcome, Policy

from .factories import EGRESS, context, err, gathered, key_info, ok, run, usdt


class TestAccountMode:
    def test_states_mode_main_and_uid(self) -> None:
        result = run("account.mode", context(exchange=ExchangeId.BITGET))
        assert result.outcome is Outcome.PASS
        assert result.message == "Your Bitget account is in Unified mode (the main account, UID 100200)."

    def test_classic_sub_account_from_key_info(self) -> None:
        facts = gathered(
            account=err(ExchangeTimeoutError("t")),
            key=ok(key_info(account_mode=AccountMode.CLASSIC, is_master=False, parent_uid="900")),
        )
        result = run("account.mode", context(facts=facts))
        assert result.message == "Your Bybit account is in Classic mode (a sub-account of UID 900, UID 100200)."


class TestPositionMode:
    def test_bybit_one_way_passes(self) -> None:
        result = run("position.mode", context())
        assert (result.outcome, result.message) == (Outcome.PASS, "Position mode: One-Way Mode, as TradeDock needs.")

    def test_bybit_hedge_fails_with_exact_steps(self) -> None:
        facts = gathered(position=ok(PositionSettings(PositionMode.HEDGE, MarginMode.CROSS)))
        result = run("position.mode", context(facts=facts))
        assert result.outcome is Outcome.FAIL
        assert result.message == "Your Bybit account is in Hedge Mode; TradeDock strategies need One-Way Mode."
        assert result.fix[:2] == ("Open Bybit's Derivatives trading screen", "Locate the Position Mode settings")
        assert result.fix[2].startswith("Select One-Way Mode")

    def test_bitget_hedge_is_recorded(self) -> None:
        facts = gathered(position=ok(PositionSettings(PositionMode.HEDGE, MarginMode.ISOLATED)))
        result = run("position.mode", context(exchange=ExchangeId.BITGET, facts=facts))
        assert result.outcome is Outcome.PASS
        assert result.message == "Position mode: Hedge Mode (recorded; TradeDock follows it)."

    def test_spot_scope_skips(self) -> None:
        assert run("position.mode", context(scope=Scope.SPOT)).outcome is Outcome.SKIP


class TestMarginMode:
    def test_recorded(self) -> None:
        result = run("margin.mode", context())
        assert (result.outcome, result.message) == (
            Outcome.PASS,
            "Margin mode: cross margin (recorded; TradeDock follows it).",
        )

    def test_falls_back_to_account_margin_mode(self) -> None:
        facts = gathered(
            position=ok(PositionSettings(PositionMode.ONE_WAY)),
            account=ok(AccountInfo("1", AccountMode.UNIFIED, margin_mode=MarginMode.PORTFOLIO)),
        )
        assert run("margin.mode", context(facts=facts)).evidence["margin_mode"] == "portfolio"


class TestBalanceMinimum:
    def test_enough_in_unified_passes(self) -> None:
        result = run("balance.minimum", context())
        assert result.outcome is Outcome.PASS
        assert result.message == "Your Unified Trading wallet holds ≈ $500 (minimum $50)."

    def test_funds_in_funding_say_move_from_funding_to_unified(self) -> None:
        facts = gathered(balances=ok((usdt("UNIFIED", "0"), usdt("FUND", "120"))))
        result = run("balance.minimum", context(facts=facts))
        assert result.outcome is Outcome.FAIL
        assert result.message == (
            "Your Unified Trading wallet holds ≈ $0; TradeDock needs at least $50 there for Bybit futures. "
            "Your Funding wallet holds 120 USDT."
        )
        assert result.fix == ("On Bybit, open Assets → Transfer and move 100 USDT from Funding to Unified Trading",)

    def test_bybit_between_50_and_100_warns(self) -> None:
        facts = gathered(balances=ok((usdt("UNIFIED", "70"),)))
        result = run("balance.minimum", context(facts=facts))
        assert result.outcome is Outcome.WARN
        assert result.fix == ("Deposit at least 30 USDT (or another USD stablecoin) into your Unified Trading wallet",)

    def test_bitget_150_in_the_contract_wallet(self) -> None:
        facts = gathered(
            account=ok(AccountInfo("1", AccountMode.CLASSIC)),
            balances=ok((usdt("USDT-FUTURES", "149.99"), usdt("spot", "400"), usdt("USDC-FUTURES", "300"))),
        )
        result = run("balance.minimum", context(exchange=ExchangeId.BITGET, facts=facts))
        assert result.outcome is Outcome.FAIL
        assert result.fix == ("On Bitget, open Assets → Transfer and move 1 USDT from Spot to USDT-M Futures",)
        usdc = context(exchange=ExchangeId.BITGET, contract=ContractType.USDC_M, facts=facts)
        assert run("balance.minimum", usdc).outcome is Outcome.PASS

    def test_unified_bitget_uses_the_unified_wallet(self) -> None:
        facts = gathered(balances=ok((usdt("unified", "200"),)))
        result = run("balance.minimum", context(exchange=ExchangeId.BITGET, facts=facts))
        assert (result.outcome, result.message) == (
            Outcome.PASS,
            "Your Unified account wallet holds ≈ $200 (minimum $150).",
        )

    def test_empty_futures_wallet_warns_even_without_a_minimum(self) -> None:
        facts = gathered(balances=ok((usdt("spot", "500"),)))
        result = run("balance.minimum", context(exchange=ExchangeId.ASTER, facts=facts))
        assert result.outcome is Outcome.WARN
        assert result.message == (
            "Your Perpetual (futures) wallet is empty, so TradeDock cannot trade yet. Your Spot wallet holds 500 USDT."
        )
        assert result.fix == ("On Aster, open Transfer and move 500 USDT from Spot to Perpetual (futures)",)

    def test_classic_bybit_uses_the_contract_wallet(self) -> None:
        facts = gathered(
            account=ok(AccountInfo("1", AccountMode.CLASSIC)),
            balances=ok((usdt("CONTRACT", "60"), usdt("SPOT", "900"))),
        )
        assert run("balance.minimum", context(facts=facts)).evidence["trading_wallet"] == "CONTRACT"

    def test_usd_value_counts_non_stablecoins(self) -> None:
        btc = Balance("UNIFIED", "BTC", Decimal("0.002"), Decimal("0.002"), usd_value=Decimal("180"))
        assert run("balance.minimum", context(facts=gathered(balances=ok((btc,))))).outcome is Outcome.PASS

    def test_policy_override_replaces_the_profile(self) -> None:
        facts = gathered(balances=ok((usdt("UNIFIED", "70"),)))
        ctx = context(facts=facts, policy=Policy(egress_ips=(EGRESS,), balance_minimums={"bybit": Decimal(60)}))
        assert run("balance.minimum", ctx).outcome is Outcome.PASS
        strict = context(facts=facts, policy=Policy(balance_minimums={"bybit": Decimal(500)}))
        assert run("balance.minimum", strict).message.startswith(
            "Your Unified Trading wallet holds ≈ $70; TradeDock needs at least $500"
        )

    def test_aster_and_spot_have_no_minimum(self) -> None:
        aster = context(exchange=ExchangeId.ASTER, facts=gathered(balances=ok((usdt("futures", "5"),))))
        assert (
            run("balance.minimum", aster).message
            == "Your Perpetual (futures) wallet holds ≈ $5. No minimum balance applies here."
        )
        spot = context(scope=Scope.SPOT, facts=gathered(balances=ok(())))
        assert run("balance.minimum", spot).outcome is Outcome.PASS
