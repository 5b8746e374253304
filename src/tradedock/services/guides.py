"""Step-by-step setup guides for creating an API key on each exchange, in TradeDock's own words.

What belongs here: the guide text as data (sections of steps), with the operator's egress IPs filled in, so the
CLI, the API and the web show the same guide. What does not: rendering (each shell formats it) or anything
that talks to an exchange.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tradedock.domain import ExchangeId


@dataclass(frozen=True)
class GuideSection:
    title: str
    steps: tuple[str, ...]
    warning: str | None = None


@dataclass(frozen=True)
class Guide:
    exchange: ExchangeId
    title: str
    summary: str
    sections: tuple[GuideSection, ...]
    credentials: tuple[str, ...]  # what the user will paste into TradeDock, in order

    def to_dict(self) -> dict[str, object]:
        return {
            "exchange": self.exchange.value,
            "title": self.title,
            "summary": self.summary,
            "credentials": list(self.credentials),
            "sections": [{"title": s.title, "steps": list(s.steps), "warning": s.warning} for s in self.sections],
        }


def _ip_steps(egress_ips: Sequence[str], where: str) -> tuple[str, ...]:
    if egress_ips:
        listed = ", ".join(egress_ips)
        return (
            f"In {where}, add exactly these IP addresses (this platform's servers): {listed}.",
            "Add no other addresses: a key bound to the platform's IPs is useless to anyone who steals it.",
        )
    return (
        f"In {where}, add the IP addresses of the platform that will use the key "
        "(the operator has not configured TRADEDOCK_EGRESS_IPS yet, so TradeDock cannot list them here).",
    )


def _bitget(egress_ips: Sequence[str]) -> Guide:
    return Guide(
        exchange=ExchangeId.BITGET,
        title="Create a Bitget API key for TradeDock",
        summary=(
            "You need three things from Bitget: the API key, the secret key and the passphrase you choose. "
            "For futures, keep at least 150 USDT in the futures (USDT-M) wallet."
        ),
        credentials=("api_key", "secret", "passphrase"),
        sections=(
            GuideSection(
                "Before you start",
                (
                    "Turn on two-factor authentication (Google Authenticator or SMS) in Bitget's Security "
                    "settings; Bitget will not let you create API keys without it.",
                    "Decide what you will trade: Spot, Futures (USDT-M, USDC-M or COIN-M) or both.",
                ),
            ),
            GuideSection(
                "Create the key",
                (
                    "Log in to Bitget, click your profile icon (top right) and choose API Management (API Keys).",
                    "Click Create API Key and choose System-generated API key.",
                    "Name it after the platform, for example 'TradeDock'.",
                    "Choose a passphrase and write it down somewhere safe. TradeDock will ask for it.",
                ),
                warning=(
                    "Bitget cannot show or recover the passphrase later. If you lose it, delete the key and "
                    "create a new one. It is not your Bitget login password."
                ),
            ),
            GuideSection(
                "Set permissions: read + trade only",
                (
                    "Enable Read.",
                    "For futures: enable Futures trading (Orders and Holdings, read-write).",
                    "Also tick Spot as read-only: Bitget shows a key its own permission list only when it may "
                    "read Spot, and TradeDock reads that list to confirm Withdraw and Transfer are off.",
                    "For spot: enable Spot trading (read-write).",
                    "Leave Withdraw OFF and Transfer OFF. TradeDock refuses keys that can move funds out.",
                ),
            ),
            GuideSection("Bind the platform's IPs (strongly recommended)", _ip_steps(egress_ips, "IP whitelist")),
            GuideSection(
                "Confirm and copy",
                (
                    "Complete the email / SMS / authenticator verification and click Confirm.",
                    "Copy the API Key and the Secret Key now; the secret is shown only once.",
                    "Run: tradedock connect bitget --scope futures --contract usdt_m",
                ),
            ),
        ),
    )


def _bybit(egress_ips: Sequence[str]) -> Guide:
    return Guide(
        exchange=ExchangeId.BYBIT,
        title="Create a Bybit API key for TradeDock",
        summary=(
            "You need the API key and the secret key. Bybit strategies here require One-Way position mode "
            "and at least 50–100 USDT in the derivatives (Unified Trading) wallet."
        ),
        credentials=("api_key", "secret"),
        sections=(
            GuideSection(
                "Create the key",
                (
                    "Log in to Bybit, click your profile icon and choose API Management.",
                    "Click Create New Key and choose System-generated API key.",
                    "Choose 'API Transaction' use, name it 'TradeDock', and pick Read-Write.",
                ),
            ),
            GuideSection(
                "Set permissions: read + contract trading only",
                (
                    "Unified Trading Account: tick Contracts (Orders, Positions); for spot also tick Spot "
                    "(Trade). Standard (classic) account: tick the Standard Account contract permissions.",
                    "Leave everything under Wallet OFF: no Withdrawal, no Account Transfer, no Subaccount Transfer.",
                ),
                warning="A key with Withdrawal or Transfer permission is refused by default.",
            ),
            GuideSection(
                "Bind the platform's IPs (recommended)",
                (
                    *_ip_steps(egress_ips, "'Only IPs with permissions granted are allowed to access'"),
                    "Keys without a bound IP stop working after 90 days (and 7 days after a password change).",
                ),
            ),
            GuideSection(
                "Switch to One-Way mode (required)",
                (
                    "Open the Derivatives trading screen.",
                    "Open the settings (gear) → Position Mode and choose One-Way Mode for USDT perpetuals.",
                    "Bybit refuses the switch while you have open positions or orders: close them first.",
                ),
                warning="Hedge Mode is not supported for these strategies.",
            ),
            GuideSection(
                "Confirm and copy",
                (
                    "Complete the email and authenticator verification.",
                    "Copy the API Key and the Secret now; the secret is shown only once.",
                    "Run: tradedock connect bybit --scope futures",
                ),
            ),
        ),
    )


def _aster(egress_ips: Sequence[str]) -> Guide:
    return Guide(
        exchange=ExchangeId.ASTER,
        title="Create an Aster API wallet for TradeDock",
        summary=(
            "Aster (V3) uses an API wallet: a separate address whose private key signs requests for your main "
            "wallet. You need the API wallet address, its private key, and your main wallet address."
        ),
        credentials=("api_wallet", "private_key", "main_wallet"),
        sections=(
            GuideSection(
                "Create the API wallet",
                (
                    "Open Aster and connect your wallet (e.g. MetaMask).",
                    "Click More → API Management, open the Pro API tab, and click Authorize new API wallet.",
                    "Label it 'TradeDock' and click Generate.",
                    "Copy the API wallet address and its private key now; the key is shown only once.",
                ),
                warning=("Never paste your MAIN wallet's private key anywhere. TradeDock detects it and refuses it."),
            ),
            GuideSection(
                "Set restrictions",
                (
                    "Read: on. Perps trading: on for futures. Spot trading: on for spot.",
                    "Withdrawal: OFF.",
                    "Days valid: the maximum the page allows; TradeDock warns 14 days before it expires.",
                    *_ip_steps(egress_ips, "IP Restrictions"),
                    "Click Authorize and sign the approval with your main wallet.",
                ),
            ),
            GuideSection(
                "Copy your main wallet address",
                (
                    "Click your account (top right) and copy the Main Wallet (Main Account) address.",
                    "Run: tradedock connect aster --scope futures",
                ),
            ),
        ),
    )


def get_guide(exchange: ExchangeId, *, egress_ips: Sequence[str] = ()) -> Guide:
    """The setup guide for one exchange, with the platform IPs to whitelist filled in."""
    builders = {ExchangeId.BITGET: _bitget, ExchangeId.BYBIT: _bybit, ExchangeId.ASTER: _aster}
    return builders[exchange](egress_ips)
