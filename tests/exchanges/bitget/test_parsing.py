"""Parsing of Bitget's documented response examples (tests/exchanges/bitget/fixtures) into domain values."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradedock.domain import AccountMode, Balance, ContractType, MarginMode, Permission, PositionMode
from tradedock.errors import UnexpectedResponseError
from tradedock.exchanges.bitget import parsing
from tradedock.exchanges.bitget.endpoints import PRODUCT_TYPES

FIXTURES = Path(__file__).parent / "fixtures"


def data(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())["response"]["data"]


class TestV2KeyInfo:
    def test_doc_example_with_legacy_authorities(self) -> None:
        key = parsing.parse_v2_key_info(data("v2_account_info"))
        assert key.uid == "1234567890"
        assert key.permissions == {Permission.READ, Permission.SPOT_TRADE, Permission.FUTURES_TRADE}
        assert key.other_permissions == ()
        assert key.native_permissions == {"authorities": ["trade", "readonly"]}
        assert key.read_only is False
        assert key.ips == ("127.0.0.1",)
        assert key.account_mode is AccountMode.CLASSIC
        # parentId 1 differs from userId: read as a sub-account of UID 1 (UNCONFIRMED rule, see parsing).
        assert (key.is_master, key.parent_uid) == (False, "1")

    def test_current_codes_map_to_normalized_permissions(self) -> None:
        body = {
            "userId": "42",
            "ips": "1.2.3.4, 5.6.7.8,",
            "authorities": ["coor", "coow", "stor", "wtow", "wwow", "smow", "ttor", "p2p", "chow"],
            "parentId": "42",
        }
        key = parsing.parse_v2_key_info(body)
        assert key.permissions == {
            Permission.READ,
            Permission.FUTURES_TRADE,
            Permission.TRANSFER,
            Permission.WITHDRAW,
        }
        assert key.other_permissions == ("other:smow", "other:p2p", "other:chow")
        assert key.ips == ("1.2.3.4", "5.6.7.8")
        assert (key.is_master, key.parent_uid) == (True, None)
        assert key.read_only is False

    @pytest.mark.parametrize(("code", "granted"), [("cpow", Permission.FUTURES_TRADE), ("stow", Permission.SPOT_TRADE)])
    def test_each_trade_code(self, code: str, granted: Permission) -> None:
        key = parsing.parse_v2_key_info({"userId": "1", "authorities": [code]})
        assert key.permissions == {Permission.READ, granted}

    def test_read_codes_only_is_read_only_with_no_ip(self) -> None:
        key = parsing.parse_v2_key_info({"userId": "7", "ips": "", "authorities": ["coor", "stor"], "parentId": ""})
        assert key.permissions == {Permission.READ}
        assert key.read_only is True
        assert key.ips == ()
        assert key.ip_bound is False
        assert key.is_master is True

    def test_missing_user_id_is_unexpected(self) -> None:
        with pytest.raises(UnexpectedResponseError):
            parsing.parse_v2_key_info({"authorities": []})

    def test_authorities_not_a_list_is_unexpected(self) -> None:
        with pytest.raises(UnexpectedResponseError):
            parsing.parse_v2_key_info({"userId": "1", "authorities": "trade"})


class TestV3KeyInfo:
    def test_doc_example(self) -> None:
        key = parsing.parse_v3_key_info(data("v3_account_info"))
        assert key.uid == "123456789"
        assert key.permissions == {
            Permission.READ,
            Permission.SPOT_TRADE,
            Permission.FUTURES_TRADE,
            Permission.WITHDRAW,
        }
        assert key.other_permissions == ("other:uta_mgt", "other:copy_futures_position", "other:copy_futures_order")
        assert key.ips == ("192.168.1.1", "192.168.1.2")
        assert key.account_mode is AccountMode.UNIFIED
        assert (key.is_master, key.parent_uid) == (True, None)
        assert key.read_only is False

    def test_read_only_key_grants_only_read(self) -> None:
        key = parsing.parse_v3_key_info(
            {"uid": "5", "parentId": "9", "permType": "read-only", "permissions": ["uta_mgt", "uta_trade"]}
        )
        assert key.permissions == {Permission.READ}
        assert key.read_only is True
        assert (key.is_master, key.parent_uid) == (False, "9")

    def test_withdraw_is_never_hidden(self) -> None:
        key = parsing.parse_v3_key_info({"uid": "5", "permType": "read-only", "permissions": ["withdraw"]})
        assert Permission.WITHDRAW in key.permissions
        assert key.read_only is False


class TestBalances:
    def test_spot_doc_example(self) -> None:
        balances = parsing.parse_spot_assets(data("spot_assets"))
        assert balances == [
            Balance("spot", "BTC", Decimal("0.65"), Decimal("0.5"), None),
            Balance("spot", "USDT", Decimal("160.25"), Decimal("150.25"), Decimal("160.25")),
        ]

    def test_futures_doc_example(self) -> None:
        balances = parsing.parse_mix_accounts(PRODUCT_TYPES[ContractType.USDT_M], data("mix_accounts_usdt"))
        assert balances == [
            Balance(
                "USDT-FUTURES", "USDT", Decimal("13178.86110692"), Decimal("13168.86110692"), Decimal("13178.861106922")
            )
        ]

    def test_futures_without_available_falls_back_to_max_transfer_out(self) -> None:
        row = {"marginCoin": "BTC", "accountEquity": "1.5", "maxTransferOut": "1.2"}
        (balance,) = parsing.parse_mix_accounts(PRODUCT_TYPES[ContractType.COIN_M], [row])
        assert balance == Balance("COIN-FUTURES", "BTC", Decimal("1.5"), Decimal("1.2"), None)

    def test_unified_doc_example(self) -> None:
        assert parsing.parse_v3_assets(data("v3_assets")) == [
            Balance("unified", "USDT", Decimal("6.19300826"), Decimal("6.19300826"), Decimal("6.19299777")),
            Balance("unified", "BGB", Decimal("1.15582129"), Decimal("1.15582129"), Decimal("4.94618029")),
        ]

    def test_funding_doc_example(self) -> None:
        assert parsing.parse_v3_funding(data("v3_funding_assets")) == [
            Balance("funding", "BGB", Decimal("0.01"), Decimal("0.01"), None),
            Balance("funding", "USDT", Decimal("0.04"), Decimal("0.04"), Decimal("0.04")),
        ]

    def test_garbage_number_is_unexpected(self) -> None:
        with pytest.raises(UnexpectedResponseError):
            parsing.parse_spot_assets([{"coin": "BTC", "available": "lots"}])

    def test_non_list_is_unexpected(self) -> None:
        with pytest.raises(UnexpectedResponseError):
            parsing.parse_spot_assets({"coin": "BTC"})


class TestPositionSettings:
    def test_single_account_doc_example(self) -> None:
        settings = parsing.parse_v2_position_settings(PRODUCT_TYPES[ContractType.USDT_M], data("mix_account_single"))
        assert settings.position_mode is PositionMode.HEDGE
        assert settings.margin_mode is MarginMode.CROSS
        assert settings.native["posMode"] == "hedge_mode"
        assert settings.native["symbol"] == "BTCUSDT"

    def test_one_way_isolated(self) -> None:
        settings = parsing.parse_v2_position_settings(
            PRODUCT_TYPES[ContractType.USDC_M], {"posMode": "one_way_mode", "marginMode": "isolated"}
        )
        assert (settings.position_mode, settings.margin_mode) == (PositionMode.ONE_WAY, MarginMode.ISOLATED)

    def test_unknown_values_are_none_not_guessed(self) -> None:
        settings = parsing.parse_v2_position_settings(
            PRODUCT_TYPES[ContractType.USDT_M], {"posMode": "single_hold", "marginMode": "fixed"}
        )
        assert (settings.position_mode, settings.margin_mode) == (None, None)
        assert settings.native["posMode"] == "single_hold"

    def test_unified_reference_symbol(self) -> None:
        settings = parsing.parse_v3_position_settings(PRODUCT_TYPES[ContractType.USDT_M], data("v3_settings"))
        assert (settings.position_mode, settings.margin_mode) == (PositionMode.ONE_WAY, MarginMode.ISOLATED)

    def test_unified_category_without_reference_symbol_uses_the_shared_mode(self) -> None:
        settings = parsing.parse_v3_position_settings(PRODUCT_TYPES[ContractType.COIN_M], data("v3_settings"))
        assert settings.margin_mode is MarginMode.CROSS

    def test_unified_category_without_entries_has_no_margin_mode(self) -> None:
        settings = parsing.parse_v3_position_settings(PRODUCT_TYPES[ContractType.USDC_M], data("v3_settings"))
        assert settings.margin_mode is None
        assert settings.position_mode is PositionMode.ONE_WAY
