"""Every Bitget simulator scenario, verified end to end: the real Bitget adapter against the real Bitget simulator
(in-process over httpx.ASGITransport), driven through the simulator's control API only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tradedock.domain import AccountMode, ConnectionStatus, ContractType, Environment
from tradedock.verification import Outcome

from .conftest import SimExchange
from .scenario_support import assert_no_secret, assert_report, assert_unreachable

F, W, P, S = Outcome.FAIL, Outcome.WARN, Outcome.PASS, Outcome.SKIP
SimFactory = Callable[[str], Awaitable[SimExchange]]
NO_EXPIRY = "Not available: Bitget's account-info endpoints report no expiry date for API keys."


@pytest.fixture
async def bitget(sim_exchange: SimFactory) -> SimExchange:
    return await sim_exchange("bitget")


class TestKeys:
    async def test_healthy_key(self, bitget: SimExchange) -> None:
        creds = await bitget.scenario("healthy")
        report = await bitget.verify(creds)
        assert_no_secret(report, creds, ("secret", "passphrase"))
        assert_report(
            report,
            ConnectionStatus.CONNECTED,
            {
                "key.expiry": (S, NO_EXPIRY),  # capability flag: Bitget cannot report it
                "account.mode": (P, "Your Bitget account is in Classic mode"),
                "balance.minimum": (P, "Your USDT-M Futures wallet holds ≈ $200 (minimum $150)."),
            },
            others=P,
        )
        assert report.rounds == 1

    async def test_unified_account(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("unified_account"))
        assert_report(
            report,
            ConnectionStatus.CONNECTED,
            {
                "account.mode": (P, "Your Bitget account is in Unified mode"),
                "balance.minimum": (P, "Your Unified account wallet holds ≈ $200"),
                "key.expiry": (S, NO_EXPIRY),
            },
            others=P,
        )
        assert report.facts.account_mode is AccountMode.UNIFIED

    async def test_stray_spaces_in_the_passphrase(self, bitget: SimExchange) -> None:
        creds = await bitget.scenario("healthy")
        report = await bitget.verify({**creds, "passphrase": creds["passphrase"] + " "})
        assert_report(
            report,
            ConnectionStatus.CONNECTED_WITH_WARNINGS,
            {"credentials.format": (W, "We removed pasted spaces or line breaks from the Passphrase.")},
        )

    async def test_swapped_key_and_secret(self, bitget: SimExchange) -> None:
        creds = await bitget.scenario("healthy")
        report = await bitget.verify({**creds, "api_key": creds["secret"], "secret": creds["api_key"]})
        assert_report(report, ConnectionStatus.INVALID, {"credentials.format": (F, "look swapped")})
        assert report.rounds == 0

    async def test_wrong_passphrase_says_a_lost_one_means_a_new_key(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("wrong_passphrase"))
        assert_report(
            report,
            ConnectionStatus.INVALID,
            {"auth.signature": (F, "Bitget rejected the passphrase (or the Secret key) for this key.")},
        )
        assert any("A lost passphrase cannot be recovered" in step for step in report.check("auth.signature").fix)

    async def test_wrong_secret(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("bad_secret"))
        assert_report(
            report,
            ConnectionStatus.INVALID,
            {"auth.signature": (F, "Bitget knows this API key, but the Secret key does not match it.")},
        )

    @pytest.mark.parametrize("scenario", ["unknown_key", "revoked"])
    async def test_unknown_or_revoked_key(self, bitget: SimExchange, scenario: str) -> None:
        report = await bitget.verify(await bitget.scenario(scenario))
        assert_report(
            report,
            ConnectionStatus.INVALID,
            {
                "auth.signature": (
                    F,
                    "Bitget does not know this API key. We also looked in Bitget demo trading: it is not there either.",
                )
            },
        )

    @pytest.mark.parametrize("scenario", ["demo_key_on_live", "demo_account"])
    async def test_demo_key_on_live(self, bitget: SimExchange, scenario: str) -> None:
        report = await bitget.verify(await bitget.scenario(scenario))
        assert_report(
            report,
            ConnectionStatus.INVALID,
            {
                "environment.match": (
                    F,
                    "This key belongs to Bitget demo trading (simulated), not the Bitget sandbox.",
                ),
                "auth.signature": (S, "another environment"),
            },
        )
        assert report.facts.key_environment is Environment.DEMO


class TestPermissions:
    async def test_withdraw_enabled(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("withdraw_enabled"))
        assert_report(report, ConnectionStatus.ACTION_REQUIRED, {"permissions.forbidden": (F, "can withdraw funds")})
        assert "Disable Withdrawal" in report.check("permissions.forbidden").fix

    async def test_transfer_enabled(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("transfer_enabled"))
        assert_report(report, ConnectionStatus.ACTION_REQUIRED, {"permissions.forbidden": (F, "can transfer funds")})

    async def test_read_only(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("read_only"))
        assert_report(report, ConnectionStatus.ACTION_REQUIRED, {"permissions.required": (F, "This key is read-only")})

    async def test_spot_only_key_for_futures(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("spot_only"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {"permissions.required": (F, "This key is missing Futures trading (Orders and Futures-Holdings).")},
        )
        assert report.check("permissions.required").fix[2] == "Enable Futures trading (Orders and Futures-Holdings)"


HIDDEN = "Bitget did not let this key read its own permission list"
FIX = "add Spot read-only, or confirm in API Management"


class TestFuturesOnlyKey:
    """A "Read + Futures trading" key without Spot read, under both readings of the UNCONFIRMED rule that
    GET /api/v2/spot/account/info needs a Spot permission (simulator rule `spot_read`)."""

    async def test_spot_permission_reading_warns_precisely_instead_of_failing(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("futures_only"))  # spot_read=spot_permission (default)
        assert_report(
            report,
            ConnectionStatus.CONNECTED_WITH_WARNINGS,
            {
                "permissions.required": (W, ""),
                "permissions.forbidden": (W, ""),
                "ip.whitelist": (S, ""),
                "key.expiry": (S, NO_EXPIRY),
                "account.mode": (P, "Your Bitget account is in Classic mode."),
                "balance.minimum": (P, "Your USDT-M Futures wallet holds ≈ $200 (minimum $150)."),
            },
            others=P,
        )
        assert report.check("permissions.forbidden").message == (
            f"{HIDDEN}; we could not confirm Withdrawal and Transfer are off — {FIX}."
        )
        assert report.check("permissions.required").message == (
            f"{HIDDEN}; we could not confirm Futures trading (Orders and Futures-Holdings) is on — {FIX}."
        )
        assert report.check("ip.whitelist").message == (
            f"Not checked: {HIDDEN}, which holds its IP whitelist. Our requests were accepted, so this server's "
            f"address is allowed — {FIX}."
        )
        assert report.check("permissions.forbidden").fix[2:] == (
            "Check that Withdrawal and Transfer are off",
            "Or tick Spot → Read-only on this key: then Bitget shows it its permission list and TradeDock checks it",
        )
        assert report.facts.key_info is not None and report.facts.key_info.ips_known is False

    async def test_any_key_reading_connects(self, bitget: SimExchange) -> None:
        creds = await bitget.scenario("futures_only")
        await bitget.control.set_rules(spot_read="any_key")
        report = await bitget.verify(creds)
        assert_report(
            report,
            ConnectionStatus.CONNECTED,
            {
                "permissions.forbidden": (P, "The key cannot withdraw funds or transfer them between accounts."),
                "key.expiry": (S, NO_EXPIRY),
            },
            others=P,
        )
        assert report.facts.uid

    @pytest.mark.parametrize(
        ("rule", "status", "forbidden"),
        [
            ("spot_permission", ConnectionStatus.CONNECTED_WITH_WARNINGS, (W, f"{HIDDEN}; we could not confirm")),
            ("any_key", ConnectionStatus.ACTION_REQUIRED, (F, "This key can withdraw funds")),
        ],
    )
    async def test_a_hidden_withdraw_permission_is_never_reported_off(
        self, bitget: SimExchange, rule: str, status: ConnectionStatus, forbidden: tuple[Outcome, str]
    ) -> None:
        uid = await bitget.control.create_account(account_mode="classic", balances={"USDT-FUTURES": {"USDT": "200"}})
        created = await bitget.control.create_key(uid, ["coow", "cpow", "wwow"], ips=["203.0.113.7"])
        await bitget.control.set_rules(spot_read=rule)
        report = await bitget.verify({name: created[name] for name in ("api_key", "secret", "passphrase")})
        assert_report(report, status, {"permissions.forbidden": forbidden})

    async def test_a_key_that_reads_neither_spot_nor_futures_lacks_futures_trading(self, bitget: SimExchange) -> None:
        uid = await bitget.control.create_account(account_mode="classic")
        created = await bitget.control.create_key(uid, ["wtor"], ips=["203.0.113.7"])
        report = await bitget.verify({name: created[name] for name in ("api_key", "secret", "passphrase")})
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {
                "permissions.required": (F, "This key is missing Futures trading (Orders and Futures-Holdings)."),
                "permissions.forbidden": (W, f"{HIDDEN}; we could not confirm Withdrawal and Transfer are off"),
            },
        )


class TestIpAndClock:
    async def test_ip_not_whitelisted(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("ip_not_whitelisted"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {"ip.whitelist": (F, "Bitget refused requests from this server's IP address")},
        )

    async def test_no_ip_whitelist(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("no_ip_whitelist"))
        assert_report(
            report,
            ConnectionStatus.CONNECTED_WITH_WARNINGS,
            {"ip.whitelist": (W, "The key is not restricted to IP addresses")},
        )

    async def test_clock_off(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("clock_skew"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {
                "clock.skew": (F, "Your clock is 45.0 s behind Bitget, so Bitget refused our signed requests."),
                "auth.signature": (P, "accepted"),
            },
        )
        assert report.rounds == 2


class TestAccount:
    @pytest.mark.parametrize("scenario", ["hedge_mode", "hedge_mode_locked"])
    async def test_hedge_mode_is_recorded_not_failed(self, bitget: SimExchange, scenario: str) -> None:
        report = await bitget.verify(await bitget.scenario(scenario))
        assert_report(
            report,
            ConnectionStatus.CONNECTED,
            {"position.mode": (P, "Position mode: Hedge Mode (recorded; TradeDock follows it).")},
        )

    async def test_isolated_margin_is_recorded(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("isolated_margin"))
        assert_report(report, ConnectionStatus.CONNECTED, {"margin.mode": (P, "Margin mode: isolated margin")})

    async def test_balance_below_150(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("low_balance"))
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {"balance.minimum": (F, "Your USDT-M Futures wallet holds ≈ $40; TradeDock needs at least $150")},
        )

    async def test_funds_in_spot_wallet(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("funds_in_spot_wallet"))
        assert_report(
            report, ConnectionStatus.ACTION_REQUIRED, {"balance.minimum": (F, "Your Spot wallet holds 300 USDT.")}
        )
        assert report.check("balance.minimum").fix == (
            "On Bitget, open Assets → Transfer and move 150 USDT from Spot to USDT-M Futures",
        )

    async def test_funds_in_funding_wallet(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("funds_in_funding_wallet"))
        assert_report(
            report, ConnectionStatus.ACTION_REQUIRED, {"balance.minimum": (F, "Your Funding wallet holds 300 USDT.")}
        )
        assert report.check("balance.minimum").fix == (
            "On Bitget, open Assets → Transfer and move 150 USDT from Funding to USDT-M Futures",
        )

    async def test_usdc_contract_looks_at_the_usdc_wallet(self, bitget: SimExchange) -> None:
        report = await bitget.verify(await bitget.scenario("healthy"), contract=ContractType.USDC_M)
        assert_report(
            report,
            ConnectionStatus.ACTION_REQUIRED,
            {"balance.minimum": (F, "Your USDC-M Futures wallet holds ≈ $0")},
        )


class TestExchangeFaults:
    @pytest.mark.parametrize(
        ("scenario", "reason"),
        [
            ("exchange_down", "Bitget answered with an error page (an outage or maintenance)"),
            ("maintenance", "Bitget answered with an error page (an outage or maintenance)"),
            ("rate_limited", "Bitget is rate-limiting this server (too many requests)"),
            ("geo_blocked", "Bitget blocks requests from this server's location"),
        ],
    )
    async def test_faults_are_unreachable_never_invalid(self, bitget: SimExchange, scenario: str, reason: str) -> None:
        assert_unreachable(await bitget.verify(await bitget.scenario(scenario)), reason)
