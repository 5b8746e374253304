"""Every Aster simulator scenario, verified end to end: the real Aster adapter against the real Aster simulator
(in-process over httpx.ASGITransport), driven through the simulator's control API only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tradedock.domain import ConnectionStatus, Environment
from tradedock.verification import Outcome

from .conftest import SimExchange
from .scenario_support import assert_no_secret, assert_report, assert_unreachable

F, W, P, S = Outcome.FAIL, Outcome.WARN, Outcome.PASS, Outcome.SKIP
SimFactory = Callable[[str], Awaitable[SimExchange]]


@pytest.fixture
async def aster(sim_exchange: SimFactory) -> SimExchange:
    return await sim_exchange("aster")


class TestKeys:
    async def test_healthy_api_wallet(self, aster: SimExchange) -> None:
        creds = await aster.scenario("healthy")
        report = await aster.verify(creds)
        assert_no_secret(report, creds, ("private_key",))
        assert_report(
            report,
            ConnectionStatus.CONNECTED,
            {
                "account.mode": (P, "Your Aster account"),
                "key.expiry": (P, "The key expires in 300 days"),
                "balance.minimum": (P, "Your Perpetual (futures) wallet holds ≈ $1000. No minimum balance applies"),
            },
            others=P,
        )
        assert report.rounds == 1

    async def test_stray_spaces(self, aster: SimExchange) -> None:
        creds = await aster.scenario("healthy")
        report = await aster.verify({**creds, "private_key": "\t" + creds["private_key"] + "\n"})
        assert_report(
            report,
            ConnectionStatus.CONNECTED_WITH_WARNINGS,
            {"credentials.format": (W, "We removed pasted spaces or line breaks from the API wallet private key.")},
            others=P,
        )

    async def test_main_wallet_private_key_fails_locally(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("main_wallet_key"))
        assert_report(report, ConnectionStatus.INVALID, {"credentials.format": (F, "MAIN wallet's private key")})
        assert report.rounds == 0

    @pytest.mark.parametrize("reading", ["refuse", "accept"])
    async def test_main_wallet_as_its_own_signer_is_refused_locally_under_both_readings(
        self, aster: SimExchange, reading: str
    ) -> None:
        """ccxt's model (user = signer = main wallet): the simulator rule main_wallet_signer picks whether Aster
        accepts it (UNCONFIRMED); TradeDock's answer must not depend on it and must never reach the exchange."""
        handed_out = await aster.scenario("main_wallet_key")  # private_key is the main wallet's
        await aster.control.set_rules(main_wallet_signer=reading)
        main = handed_out["main_wallet"]
        report = await aster.verify({"api_wallet": main, "private_key": handed_out["private_key"], "main_wallet": main})
        assert_report(report, ConnectionStatus.INVALID, {"credentials.format": (F, "")})
        assert report.check("credentials.format").message == (
            "The API wallet address and the main wallet address are the same. The API wallet is a separate address "
            "that Aster creates for API trading. That is a main wallet signing for itself: TradeDock signs only "
            "with an API wallet's key, whether or not Aster accepts a main wallet as its own signer. If that "
            "address is your login wallet, the private key you pasted is your MAIN wallet's key — never paste it "
            "anywhere."
        )
        assert report.rounds == 0
        assert_no_secret(report, handed_out, ("private_key",))

    async def test_private_key_of_another_api_wallet_fails_locally(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("other_api_wallet_key"))
        assert_report(report, ConnectionStatus.INVALID, {"credentials.format": (F, "belongs to another API wallet")})
        assert report.rounds == 0

    @pytest.mark.parametrize("scenario", ["agent_not_approved", "other_main_wallet"])
    async def test_agent_not_approved_for_that_main_wallet(self, aster: SimExchange, scenario: str) -> None:
        creds = await aster.scenario(scenario)
        report = await aster.verify(creds)
        assert_report(
            report,
            ConnectionStatus.INVALID,
            {
                "auth.signature": (
                    F,
                    f"This API wallet is not an approved API wallet of the main wallet {creds['main_wallet']}",
                ),
                "environment.match": (S, "the key is not in Aster testnet (simulated) either"),
            },
        )

    async def test_expired_agent(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("expired_agent"))
        assert_report(report, ConnectionStatus.INVALID, {"auth.signature": (F, "(or its approval expired)")})

    async def test_expiring_in_5_days(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("expiring_in_5_days"))
        assert_report(
            report,
            ConnectionStatus.CONNECTED_WITH_WARNINGS,
            {"key.expiry": (W, "The key expires in 5 days (")},
            others=P,
        )

    async def test_testnet_wallet_on_live(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("testnet_key_on_live"))
        assert_report(
            report,
            ConnectionStatus.INVALID,
            {
                "environment.match": (F, "This key belongs to Aster testnet (simulated), not the Aster sandbox."),
                "auth.signature": (S, "another environment"),
            },
        )
        assert report.facts.key_environment is Environment.TESTNET


class TestPermissions:
    async def test_withdraw_enabled(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("withdraw_enabled"))
        assert_report(report, ConnectionStatus.ACTION_REQUIRED, {"permissions.forbidden": (F, "can withdraw funds")})

    async def test_read_only(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("read_only"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {"permissions.required": (F, "This key is read-only, so it cannot place orders.")},
        )
        assert report.check("permissions.required").evidence["missing"] == ["futures_trade"]

    async def test_spot_only_key_for_futures(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("spot_only"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {"permissions.required": (F, "This key is missing Perps trading. Futures trading needs Read and Perps")},
        )


class TestIpAndClock:
    async def test_ip_not_whitelisted(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("ip_not_whitelisted"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {"ip.whitelist": (F, "Aster refused requests from this server's IP address")},
        )

    async def test_clock_off(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("clock_skew"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {
                "clock.skew": (F, "Your clock is 15.0 s behind Aster, so Aster refused our signed requests."),
                "auth.signature": (P, "accepted"),
            },
        )


class TestAccount:
    @pytest.mark.parametrize("scenario", ["hedge_mode", "hedge_mode_with_position"])
    async def test_hedge_mode_is_recorded(self, aster: SimExchange, scenario: str) -> None:
        report = await aster.verify(await aster.scenario(scenario))
        assert_report(report, ConnectionStatus.CONNECTED, {"position.mode": (P, "Hedge Mode (recorded")})

    async def test_multi_assets_margin_is_recorded(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("multi_assets_margin"))
        assert_report(report, ConnectionStatus.CONNECTED, {"margin.mode": (P, "multi-assets margin")})

    async def test_low_balance_has_no_minimum_on_aster(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("low_balance"))
        assert_report(report, ConnectionStatus.CONNECTED, {"balance.minimum": (P, "holds ≈ $5. No minimum")})

    async def test_zero_balance_warns(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("zero_balance"))
        assert_report(
            report,
            ConnectionStatus.CONNECTED_WITH_WARNINGS,
            {"balance.minimum": (W, "Your Perpetual (futures) wallet is empty, so TradeDock cannot trade yet.")},
        )

    async def test_funds_in_spot_wallet(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("funds_in_spot_wallet"))
        assert_report(
            report,
            ConnectionStatus.CONNECTED_WITH_WARNINGS,
            {"balance.minimum": (W, "Your Spot wallet holds 500 USDT.")},
        )
        assert report.check("balance.minimum").fix == (
            "On Aster, open Transfer and move 500 USDT from Spot to Perpetual (futures)",
        )


class TestExchangeFaults:
    @pytest.mark.parametrize(
        ("scenario", "reason"),
        [
            ("exchange_down", "Aster answered with an error page (an outage or maintenance)"),
            ("exchange_500", "Aster answered with an error page (an outage or maintenance)"),
            ("rate_limited", "Aster is rate-limiting this server (too many requests)"),
            ("geo_blocked", "Aster blocks requests from this server's location"),
        ],
    )
    async def test_faults_are_unreachable_never_invalid(self, aster: SimExchange, scenario: str, reason: str) -> None:
        assert_unreachable(await aster.verify(await aster.scenario(scenario)), reason)

    async def test_spot_signed_gets_failing_only_warn(self, aster: SimExchange) -> None:
        report = await aster.verify(await aster.scenario("spot_signed_get_500"))
        assert_report(
            report,
            ConnectionStatus.CONNECTED_WITH_WARNINGS,
            {
                "exchange.reachable": (W, "Aster answered, but not every read"),
                "auth.signature": (P, "accepted"),
                "balance.minimum": (S, "Could not be checked: Aster answered with an error page"),
            },
        )
