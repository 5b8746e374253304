"""Aster scenario presets for `POST /_sim/scenarios/{name}`: one account, usually one API wallet, port settings.

Belongs here: the presets as data (`Scenario`), each saying what it sets up and what a verifier should
report. Does not belong here: how a preset is applied (`tradedock_sim.core.scenarios`) or credential
variants' mechanics (`plugin.AsterSim.mint_credentials`, driven by the account's `sim_credentials`).

`expect` names the DESIGN.md status and the check ids that should carry the finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradedock_sim.core import DAY_MS, Scenario

CALLER = "$caller"  # replaced by the IP the exchange sees for the request applying the preset

FUNDED = {"futures": {"USDT": "1000"}, "spot": {"USDT": "50"}}
TRADING = {"canRead": True, "canSpotTrade": True, "canPerpTrade": True, "canWithdraw": False}
HEALTHY_KEY: Mapping[str, Any] = {"permissions": TRADING, "ips": [CALLER], "label": "tradedock"}
HEALTHY_LIFETIME_MS = 300 * DAY_MS
# The signed paths that answered HTTP 500 HTML on sapi (https://github.com/asterdex/api-docs/issues/110).
SPOT_SIGNED_PATHS = ["/api/v3/account", "/api/v3/openOrders", "/api/v3/commissionRate"]


def _healthy(description: str, expect: str, **overrides: Any) -> Scenario:
    """A funded one-way account with a trading agent bound to the caller's IP, adjusted by `overrides`."""
    fields: dict[str, Any] = {
        "description": description,
        "expect": expect,
        "account": {"balances": FUNDED},
        "key": HEALTHY_KEY,
        "key_expires_in_ms": HEALTHY_LIFETIME_MS,
    }
    fields.update(overrides)
    return Scenario(**fields)


SCENARIOS: Mapping[str, Scenario] = {
    "healthy": _healthy(
        "Funded futures wallet, one-way mode, single-asset margin; API wallet with read + perp + spot trade, no "
        "withdraw, bound to the caller's IP, valid 300 days.",
        "connected",
    ),
    "main_wallet_key": _healthy(
        "The API wallet is approved, but the private key handed out is the MAIN wallet's (a common paste mistake).",
        "invalid: credentials.format (private key derives to main_wallet, not api_wallet); signed calls -1000",
        account={"balances": FUNDED, "sim_credentials": "main_wallet_key"},
    ),
    "other_api_wallet_key": _healthy(
        "Two approved API wallets; api_wallet names one, private_key belongs to the other.",
        "invalid: credentials.format (private key derives to a different address); signed calls -1000",
        account={"balances": FUNDED, "sim_credentials": "other_api_wallet_key"},
    ),
    "agent_not_approved": _healthy(
        "A well-formed API wallet and key that were never approved as an agent of main_wallet.",
        "invalid: auth.signature (-1000 Signature check failed)",
        delete_key=True,
    ),
    "other_main_wallet": _healthy(
        "The API wallet is approved for one main wallet; credentials name another existing main wallet.",
        "invalid: auth.signature (-1000: signer is not an agent of user)",
        account={"balances": FUNDED, "sim_credentials": "other_main_wallet"},
    ),
    "expired_agent": _healthy(
        "The API wallet's approval expired a day ago.",
        "invalid: key.expiry / auth.signature (-1000 Signature check failed)",
        key_expires_in_ms=-DAY_MS,
    ),
    "expiring_in_5_days": _healthy(
        "Healthy, but the API wallet expires in 5 days.",
        "connected_with_warnings: key.expiry",
        key_expires_in_ms=5 * DAY_MS,
    ),
    "withdraw_enabled": _healthy(
        "The API wallet can withdraw (canWithdraw true; whitelisted to the caller as Aster requires).",
        "action_required: permissions.forbidden (canWithdraw)",
        key={**HEALTHY_KEY, "permissions": {**TRADING, "canWithdraw": True}},
    ),
    "read_only": _healthy(
        "The API wallet can only read (no spot or perp trading).",
        "action_required: permissions.required (canPerpTrade); trade calls -4088",
        key={**HEALTHY_KEY, "permissions": {"canRead": True}},
    ),
    "spot_only": _healthy(
        "The API wallet can trade spot but not perpetuals.",
        "action_required: permissions.required (canPerpTrade); futures trade calls -4088",
        key={**HEALTHY_KEY, "permissions": {"canRead": True, "canSpotTrade": True, "canPerpTrade": False}},
    ),
    "ip_not_whitelisted": _healthy(
        "The API wallet is whitelisted to 203.0.113.77 and 198.51.100.0/24 only; the caller is elsewhere.",
        "action_required: ip.whitelist (-1011 This IP cannot access this route.)",
        key={**HEALTHY_KEY, "ips": ["203.0.113.77 198.51.100.0/24"]},
    ),
    "testnet_key_on_live": _healthy(
        "The API wallet was approved on Aster testnet; used against mainnet it is unknown.",
        "invalid: environment.match (live calls -1000; the same credentials work under /testnet)",
        key={**HEALTHY_KEY, "environment": "testnet"},
    ),
    "hedge_mode": _healthy(
        "Account in hedge (dual-side) position mode, no open orders or positions (switching is possible).",
        "action_required: position.mode (dualSidePosition true) when one-way is required",
        account={"balances": FUNDED, "position_mode": "hedge"},
    ),
    "hedge_mode_with_position": _healthy(
        "Hedge mode with an open BTCUSDT position and open orders: switching to one-way is refused.",
        "action_required: position.mode; POST positionSide/dual answers -4067 (open orders) / -4068",
        account={"balances": FUNDED, "position_mode": "hedge", "open_positions": True, "open_orders": True},
    ),
    "multi_assets_margin": _healthy(
        "Account in Multi-Assets margin mode.",
        "depends on the required margin mode: margin.mode reports multiAssetsMargin true",
        account={"balances": FUNDED, "margin_mode": "multi_assets"},
    ),
    "low_balance": _healthy(
        "Only 5 USDT in the futures wallet.",
        "action_required: balance.minimum",
        account={"balances": {"futures": {"USDT": "5"}}},
    ),
    "zero_balance": _healthy(
        "Nothing in either wallet.",
        "action_required: balance.minimum",
        account={},
    ),
    "funds_in_spot_wallet": _healthy(
        "500 USDT in the spot wallet, nothing in futures.",
        "action_required: balance.minimum (funds are in spot: transfer to futures)",
        account={"balances": {"spot": {"USDT": "500"}}},
    ),
    "clock_skew": _healthy(
        "The exchange clock runs 15 s ahead of the caller: nonces from an unsynced clock fall outside ±10 s.",
        "clock.skew fail (unsynced nonces -4225 Nonce Expired); connected once nonces follow /fapi/v3/time",
        clock_offset_ms=15_000,
    ),
    "exchange_down": _healthy(
        "Every exchange path answers HTTP 503 with an HTML maintenance page.",
        "unreachable: exchange.reachable",
        faults={"error": "http_503_html"},
    ),
    "exchange_500": _healthy(
        "Every exchange path answers HTTP 500 with an HTML body.",
        "unreachable: exchange.reachable",
        faults={"error": "http_500"},
    ),
    "exchange_timeout": _healthy(
        "Every exchange path hangs until the client times out.",
        "unreachable: exchange.reachable",
        faults={"error": "timeout"},
    ),
    "rate_limited": _healthy(
        "Every exchange path answers HTTP 429 -1003 (too many requests).",
        "unreachable: exchange.reachable (rate limited)",
        faults={"error": "rate_limit"},
    ),
    "geo_blocked": _healthy(
        "Every exchange path answers a CloudFront HTTP 403 HTML page (server location blocked).",
        "unreachable: exchange.reachable (geo-block)",
        faults={"error": "geo_block"},
    ),
    "spot_signed_get_500": _healthy(
        "Healthy futures; spot signed GETs answer HTTP 500 HTML as reported in api-docs issue 110.",
        "connected_with_warnings at worst: spot status unknown, futures checks pass",
        faults={"error": "http_500", "paths": SPOT_SIGNED_PATHS},
    ),
}
