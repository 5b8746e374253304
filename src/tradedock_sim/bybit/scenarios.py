"""Bybit scenario presets: one per failure mode in reference/peers-and-failure-modes.md a simulator can show.

Belongs here: data only (`Scenario` values). Applying them is `tradedock_sim.core.scenarios`. Every key is
bound to "$caller" (the IP applying the scenario) unless the scenario is about IPs, so a healthy key has no
90-day expiry and passes the IP check from the machine that set it up. The fault presets (`http_500`,
`http_503_html`, `timeout`, `rate_limit`, `geo_block`) come from the core (healthy + that fault).
"""

from __future__ import annotations

from tradedock_sim.core import DAY_MS, Scenario

TRADE = {"ContractTrade": ["Order", "Position"], "Derivatives": ["DerivativesTrade"]}
FUNDED = {"UNIFIED": {"USDT": "1000"}}
BOUND = ["$caller"]
OTHER_IP = "198.51.100.23"  # TEST-NET-2: never the caller


def _key(**changes: object) -> dict[str, object]:
    key: dict[str, object] = {"permissions": TRADE, "ips": BOUND, "label": "tradedock"}
    key.update(changes)
    return key


SCENARIOS: dict[str, Scenario] = {
    "healthy": Scenario(
        "UTA 2.0 Pro, 1000 USDT in UNIFIED, one-way, cross margin; key: read+contract trade, IP-bound to you",
        "connected",
        account={"balances": FUNDED},
        key=_key(),
    ),
    "withdraw_enabled": Scenario(
        "healthy, but the key also has Wallet.Withdraw",
        "invalid or action_required: permissions.forbidden fails (withdraw)",
        account={"balances": FUNDED},
        key=_key(permissions={**TRADE, "Wallet": ["AccountTransfer", "Withdraw"]}),
    ),
    "transfer_enabled": Scenario(
        "healthy, but the key has Wallet.AccountTransfer",
        "permissions.forbidden warns or fails (transfer) per policy",
        account={"balances": FUNDED},
        key=_key(permissions={**TRADE, "Wallet": ["AccountTransfer"]}),
    ),
    "read_only": Scenario(
        "key is read-only (readOnly=1) although ContractTrade is listed",
        "permissions.required fails: cannot trade",
        account={"balances": FUNDED},
        key=_key(read_only=True),
    ),
    "spot_only": Scenario(
        "key has Spot.SpotTrade but no ContractTrade",
        "permissions.required fails: futures_trade missing",
        account={"balances": FUNDED},
        key=_key(permissions={"Spot": ["SpotTrade"]}),
    ),
    "ip_not_whitelisted": Scenario(
        f"key bound to {OTHER_IP}; every signed call answers 10010",
        "ip.whitelist fails (10010 Unmatched IP)",
        account={"balances": FUNDED},
        key=_key(ips=[OTHER_IP]),
    ),
    "no_ip_whitelist": Scenario(
        "key without IP binding (ips ['*']): expires 90 days after creation",
        "ip.whitelist warns; key.expiry warns (~90 days)",
        account={"balances": FUNDED},
        key=_key(ips=["*"]),
    ),
    "expired": Scenario(
        "unbound key whose 90 days ran out one day ago: signed calls answer 33004",
        "key.expiry fails (33004)",
        account={"balances": FUNDED},
        key=_key(ips=["*"]),
        key_expires_in_ms=-DAY_MS,
    ),
    "expiring_in_5_days": Scenario(
        "unbound key expiring in 5 days (deadlineDay 5)",
        "key.expiry warns (5 days left)",
        account={"balances": FUNDED},
        key=_key(ips=["*"]),
        key_expires_in_ms=5 * DAY_MS,
    ),
    "revoked": Scenario(
        "key deleted on the exchange: signed calls answer 10003",
        "auth fails: unknown key (10003)",
        account={"balances": FUNDED},
        key=_key(),
        delete_key=True,
    ),
    "wrong_environment": Scenario(
        "a Demo Trading key: 10003 on the live root, works under /demo",
        "environment.match fails: key belongs to demo",
        account={"balances": FUNDED},
        key=_key(environment="demo"),
    ),
    "hedge_mode": Scenario(
        "healthy, but USDT perpetuals are in hedge mode (positionIdx 1/2)",
        "position.mode warns/fails (hedge, one-way required)",
        account={"balances": FUNDED, "position_mode": "hedge"},
        key=_key(),
    ),
    "hedge_mode_with_position": Scenario(
        "hedge mode with an open BTCUSDT position: switch-mode answers 110024",
        "position.mode fails and cannot be switched until the position is closed",
        account={"balances": FUNDED, "position_mode": "hedge", "open_positions": True},
        key=_key(),
    ),
    "low_balance": Scenario(
        "only 30 USDT in UNIFIED",
        "balance.minimum warns/fails (30 USDT below the minimum)",
        account={"balances": {"UNIFIED": {"USDT": "30"}}},
        key=_key(),
    ),
    "funds_in_funding_wallet": Scenario(
        "120 USDT in FUND, 0.5 USDT in UNIFIED",
        "balance.minimum fails with 'move USDT from Funding to Unified'",
        account={"balances": {"UNIFIED": {"USDT": "0.5"}, "FUND": {"USDT": "120"}}},
        key=_key(),
    ),
    "classic_account": Scenario(
        "classic (non-UTA) account, 500 USDT in CONTRACT; UNIFIED wallet reads answer HTTP 400",
        "account.mode fails or warns: classic account",
        account={"account_mode": "classic", "balances": {"CONTRACT": {"USDT": "500"}}},
        key=_key(),
    ),
    "isolated_margin": Scenario(
        "healthy, but margin mode is ISOLATED_MARGIN",
        "margin.mode warns if cross is required",
        account={"balances": FUNDED, "margin_mode": "ISOLATED_MARGIN"},
        key=_key(),
    ),
    "clock_skew": Scenario(
        "exchange clock 20 s ahead of yours: signed calls answer 10002 (recv_window 5000)",
        "clock.skew fails (about 20 s)",
        account={"balances": FUNDED},
        key=_key(),
        clock_offset_ms=20_000,
    ),
}
