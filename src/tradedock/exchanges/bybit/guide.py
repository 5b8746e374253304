"""How to create a Bybit API key for TradeDock, step by step, in TradeDock's own words (`GUIDE`).

What belongs here: the guide text as data. What does not: the platform's IPs (the `IpSteps` placeholder is
filled from settings) or the balance minimum and position mode (appended from `PROFILE` and the operator's
policy by ``services/guides.py``, so the guide never disagrees with the check).
"""

from __future__ import annotations

from tradedock.exchanges.guide import GuideSection, GuideText, IpSteps

GUIDE = GuideText(
    title="Create a Bybit API key for TradeDock",
    summary="You need the API key and the secret key.",
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
                IpSteps("'Only IPs with permissions granted are allowed to access'"),
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
