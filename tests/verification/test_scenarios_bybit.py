"""Every Bybit simulator scenario, verified end to end: the real Bybit adapter against the real Bybit simulator
(in-process over httpx.ASGITransport), driven through the simulator's control API only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tradedock.domain import AccountMode, ConnectionStatus, Environment, Scope
from tradedock.verification import Outcome

from .conftest import SimExchange
from .scenario_support import assert_no_secret, assert_report

F, W, P, S = Outcome.FAIL, Outcome.WARN, Outcome.PASS, Outcome.SKIP
SimFactory = Callable[[str], Awaitable[SimExchange]]


@pytest.fixture
async def bybit(sim_exchange: SimFactory) -> SimExchange:
    return await sim_exchange("bybit")


class TestKeys:
    async def test_healthy_key_is_connected_in_one_round(self, bybit: SimExchange) -> None:
        creds = await bybit.scenario("healthy")
        report = await bybit.verify(creds)
        assert_no_secret(report, creds, ("secret",))
        assert_report(
            report,
            ConnectionStatus.CONNECTED,
            {
                "auth.signature": (P, "Bybit accepted the key and its signature"),
                "permissions.required": (P, "Contract Trading"),
                "account.mode": (P, "Your Bybit account is in Unified mode (the main account"),
                "position.mode": (P, "One-Way Mode"),
                "balance.minimum": (P, "Your Unified Trading wallet holds ≈ $1000"),
            },
            others=P,
        )
        assert report.rounds == 1
        assert report.facts.account_mode is AccountMode.UNIFIED

    async def test_stray_spaces_are_trimmed_and_said(self, bybit: SimExchange) -> None:
        creds = await bybit.scenario("healthy")
        padded = {"api_key": f"  {creds['api_key']}", "secret": f"{creds['secret']} \n"}
        report = await bybit.verify(padded)
        assert_report(
            report,
            ConnectionStatus.CONNECTED_WITH_WARNINGS,
            {"credentials.format": (W, "We removed pasted spaces or line breaks from the API key and API secret.")},
            others=P,
        )

    async def test_swapped_key_and_secret_fail_locally(self, bybit: SimExchange) -> None:
        creds = await bybit.scenario("healthy")
        report = await bybit.verify({"api_key": creds["secret"], "secret": creds["api_key"]})
        assert_report(
            report,
            ConnectionStatus.INVALID,
            {"credentials.format": (F, "look swapped"), "auth.signature": (S, "Not run: fix the credentials first.")},
        )
        assert report.rounds == 0

    async def test_wrong_secret(self, bybit: SimExchange) -> None:
        creds = await bybit.scenario("healthy")
        wrong = creds["secret"][:-4] + ("AAAA" if not creds["secret"].endswith("AAAA") else "BBBB")
        report = await bybit.verify({**creds, "secret": wrong})
        assert_report(
            report,
            ConnectionStatus.INVALID,
            {"auth.signature": (F, "Bybit knows this API key, but the API secret does not match it.")},
        )

    async def test_unknown_key_is_looked_for_in_demo_and_testnet(self, bybit: SimExchange) -> None:
        creds = await bybit.scenario("healthy")
        report = await bybit.verify({**creds, "api_key": "Zz" + creds["api_key"][2:]})
        assert_report(
            report,
            ConnectionStatus.INVALID,
            {
                "auth.signature": (
                    F,
                    "Bybit does not know this API key. We also looked in Bybit demo trading and Bybit testnet",
                ),
                "environment.match": (
                    S,
                    "the key is not in Bybit demo trading (simulated) and Bybit testnet (simulated) either",
                ),
            },
        )
        assert report.rounds == 2

    async def test_revoked_key(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("revoked"))
        assert_report(report, ConnectionStatus.INVALID, {"auth.signature": (F, "Bybit does not know this API key.")})

    async def test_expired_key(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("expired"))
        assert_report(
            report,
            ConnectionStatus.INVALID,
            {
                "auth.signature": (F, "This key has expired or was deleted on Bybit"),
                "key.expiry": (F, "The key has expired (or was deleted): Bybit no longer accepts it."),
            },
        )

    async def test_expiring_in_5_days(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("expiring_in_5_days"))
        assert_report(
            report,
            ConnectionStatus.CONNECTED_WITH_WARNINGS,
            {"key.expiry": (W, "The key expires in 5 days ("), "ip.whitelist": (W, "not restricted to IP addresses")},
            others=P,
        )

    async def test_demo_key_on_live(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("wrong_environment"))
        assert_report(
            report,
            ConnectionStatus.INVALID,
            {
                "environment.match": (F, "This key belongs to Bybit demo trading (simulated), not the Bybit sandbox."),
                "auth.signature": (S, "the key belongs to another environment"),
            },
        )
        assert report.facts.key_environment is Environment.DEMO


class TestPermissions:
    async def test_withdraw_enabled(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("withdraw_enabled"))
        result = report.check("permissions.forbidden")
        assert_report(report, ConnectionStatus.ACTION_REQUIRED, {"permissions.forbidden": (F, "can withdraw funds")})
        assert "Disable Assets: Withdrawal and Assets: Account Transfer / Subaccount Transfer" in result.fix

    async def test_transfer_enabled(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("transfer_enabled"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {"permissions.forbidden": (F, "This key can transfer funds between wallets and accounts.")},
        )

    async def test_read_only(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("read_only"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {"permissions.required": (F, "This key is read-only, so it cannot place orders.")},
        )

    async def test_spot_only_key_for_futures(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("spot_only"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {"permissions.required": (F, "This key is missing Contract Trading (Derivatives): Orders and Positions.")},
        )

    async def test_spot_only_key_for_spot_scope_passes(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("spot_only"), scope=Scope.SPOT)
        assert report.check("permissions.required").outcome is P
        assert report.check("position.mode").outcome is S


class TestIpAndClock:
    async def test_ip_not_whitelisted(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("ip_not_whitelisted"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {
                "ip.whitelist": (F, "Bybit refused requests from this server's IP address"),
                "auth.signature": (S, "refused this server's IP address before checking the key"),
            },
        )
        assert "Add 203.0.113.7 to the key's IP restriction" in report.check("ip.whitelist").fix[2]

    async def test_no_ip_whitelist(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("no_ip_whitelist"))
        assert_report(
            report,
            ConnectionStatus.CONNECTED_WITH_WARNINGS,
            {
                "ip.whitelist": (W, "Bybit deletes keys without a bound IP after 90 days."),
                "key.expiry": (P, "The key expires in 90 days"),
            },
            others=P,
        )

    async def test_clock_20_s_off_is_measured_compensated_and_flagged(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("clock_skew"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {
                "clock.skew": (F, "Your clock is 20.0 s behind Bybit, so Bybit refused our signed requests."),
                "auth.signature": (P, "accepted"),
                "permissions.required": (P, ""),
            },
        )
        assert report.rounds == 2


class TestAccount:
    async def test_hedge_mode_fails_with_steps(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("hedge_mode"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {"position.mode": (F, "Your Bybit account is in Hedge Mode; TradeDock strategies need One-Way Mode.")},
        )
        assert report.check("position.mode").fix[1] == "Locate the Position Mode settings"

    async def test_hedge_mode_with_position(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("hedge_mode_with_position"))
        assert report.check("position.mode").fix[2].startswith("Select One-Way Mode (Bybit refuses the switch")

    async def test_low_balance(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("low_balance"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {"balance.minimum": (F, "Your Unified Trading wallet holds ≈ $30; TradeDock needs at least $50")},
        )

    async def test_funds_in_funding_wallet(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("funds_in_funding_wallet"))
        assert_report(
            report, ConnectionStatus.ACTION_REQUIRED, {"balance.minimum": (F, "Your Funding wallet holds 120 USDT.")}
        )
        assert report.check("balance.minimum").fix == (
            "On Bybit, open Assets → Transfer and move 100 USDT from Funding to Unified Trading",
        )

    async def test_classic_account(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("classic_account"))
        assert_report(
            report,
            ConnectionStatus.CONNECTED,
            {
                "account.mode": (P, "Your Bybit account is in Classic mode"),
                "balance.minimum": (P, "Your Derivatives wallet holds ≈ $500"),
            },
            others=P,
        )

    async def test_isolated_margin_is_recorded(self, bybit: SimExchange) -> None:
        report = await bybit.verify(await bybit.scenario("isolated_margin"))
        assert_report(report, ConnectionStatus.CONNECTED, {"margin.mode": (P, "Margin mode: isolated margin")})
