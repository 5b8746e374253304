"""How to create a Aster API key for TradeDock, step by step, in TradeDock's own words (`GUIDE`).

What belongs here: the guide text as data. What does not: the platform's IPs (the `IpSteps` placeholder is
filled from settings) or the balance minimum and position mode (appended from `PROFILE` and the operator's
policy by ``services/guides.py``, so the guide never disagrees with the check).
"""

from __future__ import annotations

from tradedock.exchanges.guide import GuideSection, GuideText, IpSteps

GUIDE = GuideText(
    title="Create an Aster API wallet for TradeDock",
    summary=(
        "Aster (V3) uses an API wallet: a separate address whose private key signs requests for your main "
        "wallet. You need the API wallet address, its private key, and your main wallet address."
    ),
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
                IpSteps("IP Restrictions"),
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
