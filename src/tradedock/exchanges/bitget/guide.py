"""How to create a Bitget API key for TradeDock, step by step, in TradeDock's own words (`GUIDE`).

What belongs here: the guide text as data. What does not: the platform's IPs (the `IpSteps` placeholder is
filled from settings) or the balance minimum and position mode (appended from `PROFILE` and the operator's
policy by ``services/guides.py``, so the guide never disagrees with the check).
"""

from __future__ import annotations

from tradedock.exchanges.guide import GuideSection, GuideText, IpSteps

GUIDE = GuideText(
    title="Create a Bitget API key for TradeDock",
    summary="You need three things from Bitget: the API key, the secret key and the passphrase you choose.",
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
        GuideSection("Bind the platform's IPs (strongly recommended)", (IpSteps("IP whitelist"),)),
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
