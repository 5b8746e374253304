"""ccxt 4.5.x against the Bitget simulator: per-endpoint read permissions (and the `spot_read` / `futures_read`
rules that switch their UNCONFIRMED readings), and the read endpoints ccxt needs for positions and funding.

ccxt is an independent client: it signs, calls and maps Bitget's answers by itself (40014 → PermissionDenied).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import ccxt
import httpx
import pytest

from tradedock_sim.server import BackgroundSims

from .test_ccxt_fidelity import Bitget

SPOT_REFUSAL = "Incorrect permissions, need spot order read or spot order write permissions"
FUTURES_REFUSAL = "Incorrect permissions, need futures order read or futures order write permissions"


@pytest.fixture
def sim(sim_servers: Callable[..., BackgroundSims]) -> str:
    return sim_servers("bitget").urls["bitget"]


def control(base_url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    answer = httpx.post(f"{base_url}/_sim/{path}", json=body or {})
    assert answer.status_code == 200, answer.text
    return answer.json()


def key(base_url: str, permissions: list[str], **account: Any) -> dict[str, str]:
    uid = control(base_url, "accounts", {"account_mode": "classic", **account})["uid"]
    credentials: dict[str, str] = control(base_url, "keys", {"uid": uid, "permissions": permissions})
    return credentials


class TestSpotReadRule:
    def test_a_futures_only_key_cannot_read_its_own_account_info_by_default(self, sim: str) -> None:
        client = Bitget(sim, control(sim, "scenarios/futures_only", {"reset": True})["credentials"]).exchange
        with pytest.raises(ccxt.PermissionDenied) as caught:
            client.private_spot_get_v2_spot_account_info()
        assert '"40014"' in str(caught.value) and SPOT_REFUSAL in str(caught.value)
        with pytest.raises(ccxt.PermissionDenied):
            client.private_spot_get_v2_spot_account_assets()
        # Its futures reads work.
        accounts = client.private_mix_get_v2_mix_account_accounts({"productType": "USDT-FUTURES"})
        assert accounts["data"][0]["available"] == "200"

    def test_any_key_reading_lets_it_read_them(self, sim: str) -> None:
        credentials = control(sim, "scenarios/futures_only", {"reset": True})["credentials"]
        answer = control(sim, "config", {"rules": {"spot_read": "any_key"}})
        assert answer["rules"] == {"spot_read": "any_key", "futures_read": "futures_permission"}
        info = Bitget(sim, credentials).exchange.private_spot_get_v2_spot_account_info()
        assert info["data"]["authorities"] == ["coow", "cpow"]

    def test_spot_read_only_is_enough(self, sim: str) -> None:
        client = Bitget(sim, key(sim, ["coow", "cpow", "stor"])).exchange
        assert client.private_spot_get_v2_spot_account_info()["data"]["authorities"] == ["coow", "cpow", "stor"]


class TestFuturesReadRule:
    def test_a_spot_only_key_cannot_read_futures_accounts_by_default(self, sim: str) -> None:
        client = Bitget(sim, key(sim, ["stow"])).exchange
        with pytest.raises(ccxt.PermissionDenied) as caught:
            client.private_mix_get_v2_mix_account_accounts({"productType": "USDT-FUTURES"})
        assert FUTURES_REFUSAL in str(caught.value)
        control(sim, "config", {"rules": {"futures_read": "any_key"}})
        assert client.private_mix_get_v2_mix_account_accounts({"productType": "USDT-FUTURES"})["code"] == "00000"

    def test_reset_restores_the_defaults(self, sim: str) -> None:
        control(sim, "config", {"rules": {"spot_read": "any_key", "futures_read": "any_key"}})
        control(sim, "reset")
        current = httpx.get(f"{sim}/_sim/config").json()
        assert current["rules"] == {"spot_read": "spot_permission", "futures_read": "futures_permission"}
        assert current["available_rules"]["spot_read"]["choices"] == ["spot_permission", "any_key"]


class TestUnifiedReads:
    def test_assets_need_uta_management(self, sim: str) -> None:
        """Get-Account and Get-Account-Funding-Assets say "Permission: UTA mgt. (read)"; account info needs none."""
        uid = control(sim, "accounts", {"account_mode": "unified", "balances": {"USDT-FUTURES": {"USDT": "10"}}})["uid"]
        client = Bitget(sim, control(sim, "keys", {"uid": uid, "permissions": ["uta_trade"]})).exchange
        assert client.private_uta_get_v3_account_info()["data"]["permissions"] == ["uta_trade"]
        for call in (client.private_uta_get_v3_account_assets, client.private_uta_get_v3_account_funding_assets):
            with pytest.raises(ccxt.PermissionDenied) as caught:
                call()
            assert "Incorrect permissions, need UTA mgt. (read) permissions" in str(caught.value)
        reader = Bitget(sim, control(sim, "keys", {"uid": uid, "permissions": ["uta_mgt", "read-only"]})).exchange
        assert reader.private_uta_get_v3_account_assets()["data"]["assets"][0]["balance"] == "10"


class TestControl:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"rules": {"spot_read": "maybe"}}, "rules.spot_read"),
            ({"rules": {"colour": "red"}}, "rules.colour"),
            ({"rules": ["spot_read"]}, "rules"),
            ({"colour": "red"}, "colour"),
        ],
    )
    def test_bad_rules_name_the_field(self, sim: str, body: dict[str, Any], field: str) -> None:
        answer = httpx.post(f"{sim}/_sim/config", json=body)
        assert (answer.status_code, answer.json()["field"]) == (400, field)

    def test_rules_leave_the_client_ip_alone(self, sim: str) -> None:
        control(sim, "config", {"client_ip": "198.51.100.9"})
        control(sim, "config", {"rules": {"spot_read": "any_key"}})
        assert httpx.get(f"{sim}/_sim/config").json()["client_ip"] == "198.51.100.9"


class TestPositionsAndFunding:
    def test_fetch_position_reads_single_position(self, sim: str) -> None:
        credentials = control(sim, "scenarios/hedge_mode_locked", {"reset": True})["credentials"]
        client = Bitget(sim, credentials, uta=False)
        position = client.exchange.fetch_position("BTC/USDT:USDT")
        assert (position["side"], position["contracts"], position["hedged"]) == ("long", 0.01, True)
        assert client.calls[-1].startswith("GET /api/v2/mix/position/single-position?")

    def test_fetch_positions_on_a_unified_key_reads_current_position(self, sim: str) -> None:
        uid = control(
            sim,
            "accounts",
            {"account_mode": "unified", "open_positions": True, "balances": {"USDT-FUTURES": {"USDT": "100"}}},
        )["uid"]
        credentials = control(sim, "keys", {"uid": uid, "permissions": ["uta_mgt", "uta_trade"]})
        client = Bitget(sim, credentials, uta=True)
        positions = client.exchange.fetch_positions(["BTC/USDT:USDT"])
        assert [(p["symbol"], p["contracts"]) for p in positions] == [("BTC/USDT:USDT", 0.01)]
        assert client.calls[-1] == "GET /api/v3/position/current-position?category=USDT-FUTURES"

    def test_unified_funding_account_has_its_own_coins(self, sim: str) -> None:
        uid = control(
            sim,
            "accounts",
            {"account_mode": "unified", "balances": {"USDT-FUTURES": {"USDT": "100"}, "funding": {"USDT": "40"}}},
        )["uid"]
        client = Bitget(sim, control(sim, "keys", {"uid": uid, "permissions": ["uta_mgt"]}), uta=True).exchange
        assert client.fetch_balance({"type": "funding"})["total"] == {"USDT": 40.0}
        time.sleep(1.05)  # the next call is another cold load_markets (public per-IP budget)
        fresh = Bitget(sim, control(sim, "keys", {"uid": uid, "permissions": ["uta_mgt"]}), uta=True).exchange
        assert fresh.fetch_balance()["total"] == {"USDT": 100.0}  # the trading pool leaves funding out

    def test_classic_funding_assets_and_all_account_balance(self, sim: str) -> None:
        balances = {"spot": {"USDT": "10"}, "USDT-FUTURES": {"USDT": "200"}, "funding": {"USDT": "40", "BTC": "0.001"}}
        client = Bitget(sim, key(sim, ["coow", "cpow"], balances=balances)).exchange
        funding = client.private_spot_get_v2_account_funding_assets()["data"]
        assert funding == [
            {"coin": "BTC", "available": "0.001", "frozen": "0", "usdtValue": "65"},
            {"coin": "USDT", "available": "40", "frozen": "0", "usdtValue": "40"},
        ]
        totals = client.private_spot_get_v2_account_all_account_balance()["data"]
        assert {row["accountType"]: row["usdtBalance"] for row in totals} == {
            "spot": "10", "futures": "200", "funding": "105", "earn": "0", "bots": "0", "margin": "0",
        }  # fmt: skip
