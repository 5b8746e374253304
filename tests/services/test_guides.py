"""Setup guides come from the registry and follow the operator's policy (balance minimums, egress IPs)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tradedock.cli.main import app
from tradedock.config import Settings
from tradedock.domain import ExchangeId
from tradedock.exchanges.registry import get_spec
from tradedock.services.guides import exchanges_help, get_guide


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(home=tmp_path, **values)  # type: ignore[arg-type]


def text(guide: object) -> str:
    return json.dumps(guide.to_dict())  # type: ignore[attr-defined]


class TestRequirementsFollowTheProfileAndThePolicy:
    def test_bybit_default_minimum_and_position_mode(self, tmp_path: Path) -> None:
        guide = get_guide(ExchangeId.BYBIT, settings(tmp_path))
        assert guide.requirements == (
            "Bybit futures trading here requires One-Way position mode.",
            "For futures, keep at least 50 USD in the Unified Trading wallet (100 USD or more recommended).",
        )
        assert guide.summary.endswith(guide.requirements[-1])

    def test_operator_minimum_replaces_the_profile_in_the_guide(self, tmp_path: Path) -> None:
        guide = get_guide(ExchangeId.BYBIT, settings(tmp_path, balance_minimums={"bybit": Decimal(500)}))
        assert "keep at least 500 USD in the Unified Trading wallet." in guide.summary
        assert "50–100" not in text(guide) and "100 USD" not in text(guide)

    def test_operator_minimum_for_another_exchange_leaves_bybit_alone(self, tmp_path: Path) -> None:
        guide = get_guide(ExchangeId.BYBIT, settings(tmp_path, balance_minimums={"bitget": Decimal(900)}))
        assert "at least 50 USD" in guide.summary and "900" not in text(guide)

    def test_bitget_minimum_names_its_futures_wallet(self, tmp_path: Path) -> None:
        guide = get_guide(ExchangeId.BITGET, settings(tmp_path))
        assert guide.requirements == ("For futures, keep at least 150 USD in the USDT-M Futures wallet.",)

    def test_no_minimum_no_sentence_unless_the_operator_sets_one(self, tmp_path: Path) -> None:
        assert get_guide(ExchangeId.ASTER, settings(tmp_path)).requirements == ()
        guide = get_guide(ExchangeId.ASTER, settings(tmp_path, balance_minimums={"aster": Decimal("75.5")}))
        assert guide.requirements == ("For futures, keep at least 75.5 USD in the Perpetual (futures) wallet.",)


class TestIpsAndFields:
    @pytest.mark.parametrize("exchange", list(ExchangeId))
    def test_platform_ips_are_listed(self, tmp_path: Path, exchange: ExchangeId) -> None:
        guide = get_guide(exchange, settings(tmp_path, egress_ips=("203.0.113.7", "198.51.100.2")))
        steps = [step for section in guide.sections for step in section.steps]
        assert any("203.0.113.7, 198.51.100.2" in step for step in steps)
        assert guide.credentials == get_spec(exchange).field_names

    def test_unconfigured_ips_say_which_setting(self, tmp_path: Path) -> None:
        assert "TRADEDOCK_EGRESS_IPS" in text(get_guide(ExchangeId.BITGET, settings(tmp_path)))


def test_help_lists_the_registered_exchanges() -> None:
    assert exchanges_help() == "bybit, bitget or aster"


def test_cli_guide_follows_the_operator_minimum(tradedock_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEDOCK_BALANCE_MINIMUMS", '{"bybit": 500}')
    result = CliRunner().invoke(app, ["guide", "bybit", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert "keep at least 500 USD" in data["summary"]
    assert "50–100" not in result.stdout
