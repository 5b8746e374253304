"""Parsing Bybit's documented payloads (tests/exchanges/bybit/fixtures, from the V5 doc examples)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.exchanges.bybit.payloads import fixture
from tradedock.domain import AccountMode, Balance, MarginMode, Permission, PositionMode
from tradedock.errors import UnexpectedResponseError
from tradedock.exchanges.bybit import parsing

NOW = datetime(2023, 10, 17, tzinfo=UTC)


class TestKeyInfo:
    def test_unbound_read_write_master_key(self) -> None:
        info = parsing.parse_key_info(fixture("query_api_unbound_master")["result"], NOW)
        assert info.uid == "24617703"
        assert info.permissions == {
            Permission.READ,
            Permission.SPOT_TRADE,
            Permission.FUTURES_TRADE,
            Permission.TRANSFER,
        }
        assert info.other_permissions == ("other:Options.OptionsTrade",)
        assert info.native_permissions["Wallet"] == ["AccountTransfer", "SubMemberTransfer"]
        assert info.read_only is False
        assert info.ips == () and not info.ip_bound  # ["*"] = not bound
        assert info.expires_at == datetime(2023, 12, 22, 7, 20, 25, tzinfo=UTC)
        assert info.is_master is True and info.parent_uid is None
        assert info.account_mode is AccountMode.CLASSIC  # uta 0
        assert info.label == "readwrite api key"
        assert info.created_at == datetime(2022, 10, 16, 2, 24, 40, tzinfo=UTC)

    def test_bound_read_only_key_with_withdraw(self) -> None:
        info = parsing.parse_key_info(fixture("query_api_bound_readonly")["result"], NOW)
        # readOnly 1: trade areas grant nothing; wallet permissions still count (withdraw must be seen).
        assert info.permissions == {Permission.READ, Permission.WITHDRAW, Permission.TRANSFER}
        assert info.other_permissions == ("other:Derivatives.DerivativesTrade", "other:Exchange.ExchangeHistory")
        assert info.read_only is True
        assert info.ips == ("203.0.113.10", "203.0.113.11", "198.51.100.7") and info.ip_bound
        assert info.expires_at is None  # deadlineDay -2 + epoch expiredAt: "no expiry" (UNCONFIRMED reading)
        assert info.account_mode is AccountMode.UNIFIED
        assert info.uid == "1234567"

    def test_transfer_only_key(self) -> None:
        info = parsing.parse_key_info(fixture("query_api_transfer_only")["result"], NOW)
        assert info.permissions == {Permission.READ, Permission.TRANSFER}
        assert info.other_permissions == ()
        assert info.is_master is None  # older payloads lack isMaster

    def test_missing_uid_is_unexpected(self) -> None:
        with pytest.raises(UnexpectedResponseError):
            parsing.parse_key_info({"permissions": {}}, NOW)


class TestPermissions:
    def test_position_without_order_is_not_futures_trade(self) -> None:
        perms, other = parsing.normalize_permissions({"ContractTrade": ["Position"]}, read_only=False)
        assert perms == {Permission.READ}
        assert other == ("other:ContractTrade.Position",)

    def test_sub_account_transfer_list_is_transfer(self) -> None:
        perms, _ = parsing.normalize_permissions({"Wallet": ["SubMemberTransferList"]}, read_only=False)
        assert Permission.TRANSFER in perms


class TestExpiry:
    def test_deadline_days_without_date(self) -> None:
        assert parsing.parse_expiry({"deadlineDay": 10}, NOW) == datetime(2023, 10, 27, tzinfo=UTC)

    @pytest.mark.parametrize("result", [{}, {"deadlineDay": -1, "expiredAt": "2023-01-01T00:00:00Z"}])
    def test_no_expiry(self, result: dict[str, object]) -> None:
        assert parsing.parse_expiry(result, NOW) is None


class TestAccountAndBalances:
    def test_account_info_fields(self) -> None:
        result = fixture("account_info")["result"]
        assert parsing.unified_margin_status(result) == 4
        assert parsing.account_mode_from_status(4) is AccountMode.UNIFIED
        assert parsing.account_mode_from_status(1) is AccountMode.CLASSIC
        assert parsing.margin_mode(result) is MarginMode.CROSS

    def test_unified_wallet(self) -> None:
        balances = parsing.parse_wallet_balance(fixture("wallet_balance_unified")["result"])
        assert balances == [
            Balance("UNIFIED", "BTC", Decimal("0.805994"), Decimal("0.805994"), Decimal("12920.95352538"))
        ]

    def test_unified_wallet_without_available_to_withdraw(self) -> None:
        coin = {
            "coin": "USDT",
            "walletBalance": "100",
            "availableToWithdraw": "",
            "locked": "5",
            "totalPositionIM": "20",
            "totalOrderIM": "",
            "usdValue": "",
        }
        (balance,) = parsing.parse_wallet_balance({"list": [{"accountType": "UNIFIED", "coin": [coin]}]})
        assert balance.available == Decimal("75")
        assert balance.usd_value == Decimal("100")  # stablecoin at 1 when usdValue is empty

    def test_funding_zero_balances_are_left_out(self) -> None:
        assert parsing.parse_funding_balance(fixture("funding_balance")["result"]) == []

    def test_funding_balance_values(self) -> None:
        result = {
            "accountType": "FUND",
            "balance": [
                {"coin": "USDT", "walletBalance": "50", "transferBalance": "40", "bonus": ""},
                {"coin": "ETH", "walletBalance": "1.5", "transferBalance": "1.5", "bonus": ""},
            ],
        }
        assert parsing.parse_funding_balance(result) == [
            Balance("FUND", "USDT", Decimal(50), Decimal(40), Decimal(50)),
            Balance("FUND", "ETH", Decimal("1.5"), Decimal("1.5"), None),
        ]

    def test_unreadable_wallet(self) -> None:
        with pytest.raises(UnexpectedResponseError):
            parsing.parse_wallet_balance({"list": "nope"})


class TestPositions:
    def test_one_way_from_doc_example(self) -> None:
        rows = fixture("position_list_inverse")["result"]["list"]
        assert parsing.position_mode_from_rows(rows) is PositionMode.ONE_WAY
        assert parsing.trade_mode_margin(rows) is MarginMode.CROSS

    def test_hedge_rows(self) -> None:
        rows = [{"positionIdx": 1, "tradeMode": 1}, {"positionIdx": "2", "tradeMode": 1}]
        assert parsing.position_mode_from_rows(rows) is PositionMode.HEDGE
        assert parsing.trade_mode_margin(rows) is MarginMode.ISOLATED

    def test_no_rows_is_unknown(self) -> None:
        assert parsing.position_mode_from_rows([]) is None
