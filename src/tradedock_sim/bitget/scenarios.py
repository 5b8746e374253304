"""Bitget scenario presets for `POST /_sim/scenarios/{name}`: one account, usually one key, port settings.

What belongs here: the data of each preset and what a verifier should conclude from it (`expect`, written with
DESIGN's statuses and check ids). What does not: applying them (the core's `scenarios.py`).

Wallet names are Bitget's: spot, USDT-FUTURES, USDC-FUTURES, COIN-FUTURES. Permissions are Bitget's own codes
(classic `coow`/`cpow`/`stow`/`wtow`/`wwow`/`readonly`; unified `uta_mgt`/`uta_trade`/`withdraw`).
"$caller" in `ips` is bound to the IP that applied the preset.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from tradedock_sim.core import Scenario

#: The key the guide asks for: futures orders and holdings read-write, plus Spot read-only (`stor`) so the key can
#: read its own permission list (GET /api/v2/spot/account/info needs a spot permission: rule `spot_read`).
FUTURES_KEY = ["coow", "cpow", "stor"]
HEALTHY_ACCOUNT: Mapping[str, Any] = {"account_mode": "classic", "balances": {"USDT-FUTURES": {"USDT": "200"}}}
#: An address from TEST-NET-3 (RFC 5737): never the caller, so the whitelist check fails.
FOREIGN_IP = "203.0.113.10"


def _key(**overrides: Any) -> dict[str, Any]:
    return {"permissions": list(FUTURES_KEY), "ips": ["$caller"], "label": "tradedock", **overrides}


def _fault(error: str, description: str) -> Scenario:
    return Scenario(
        description=f"healthy classic account and key, but {description}",
        expect="unreachable (exchange.reachable fails; never invalid)",
        account=HEALTHY_ACCOUNT,
        key=_key(),
        faults={"error": error, "paths": ["/api"]},
    )


SCENARIOS: Mapping[str, Scenario] = MappingProxyType(
    {
        "healthy": Scenario(
            description="classic account, key coow+cpow+stor bound to the caller's IP, 200 USDT in USDT-FUTURES",
            expect="connected",
            account=HEALTHY_ACCOUNT,
            key=_key(),
        ),
        "futures_only": Scenario(
            description="healthy, but the key has only futures permissions (coow+cpow, no Spot read): with rule "
            "spot_read=spot_permission (default) GET /api/v2/spot/account/info answers 40014",
            expect="connected_with_warnings (permissions.forbidden warns: Withdraw cannot be confirmed off; "
            "connected under spot_read=any_key)",
            account=HEALTHY_ACCOUNT,
            key=_key(permissions=["coow", "cpow"]),
        ),
        "unified_account": Scenario(
            description="unified (UTA) account, key uta_mgt+uta_trade bound to the caller's IP, 200 USDT; "
            "V2 endpoints answer 40085, V3 works",
            expect="connected (account.mode reports unified; V2 calls answer 40085)",
            account={"account_mode": "unified", "balances": {"USDT-FUTURES": {"USDT": "200"}}},
            key=_key(permissions=["uta_mgt", "uta_trade"]),
        ),
        "wrong_passphrase": Scenario(
            description="healthy key, but the credentials handed out carry a wrong passphrase",
            expect="invalid (auth.signature fails: 40012 apikey/password is incorrect)",
            account=HEALTHY_ACCOUNT,
            key=_key(tamper="passphrase"),
        ),
        "bad_secret": Scenario(
            description="healthy key, but the credentials handed out carry a wrong secret",
            expect="invalid (auth.signature fails: 40009 sign signature error)",
            account=HEALTHY_ACCOUNT,
            key=_key(tamper="secret"),
        ),
        "unknown_key": Scenario(
            description="the credentials handed out name an API key Bitget does not know",
            expect="invalid (auth.signature fails: 40037 Apikey does not exist)",
            account=HEALTHY_ACCOUNT,
            key=_key(tamper="api_key"),
        ),
        "revoked": Scenario(
            description="a healthy key that was deleted right after creation",
            expect="invalid (auth.signature fails: 40037 Apikey does not exist)",
            account=HEALTHY_ACCOUNT,
            key=_key(),
            delete_key=True,
        ),
        "demo_key_on_live": Scenario(
            description="a demo-trading key used without the paptrading header (live)",
            expect="invalid (environment.match fails: 40099 exchange environment is incorrect)",
            account=HEALTHY_ACCOUNT,
            key=_key(environment="demo"),
        ),
        "demo_account": Scenario(
            description="a healthy demo-trading key: works only with the header paptrading: 1",
            expect="connected when verified with environment demo",
            account=HEALTHY_ACCOUNT,
            key=_key(environment="demo"),
        ),
        "withdraw_enabled": Scenario(
            description="healthy key that can also withdraw (wwow)",
            expect="action_required (permissions.forbidden fails: withdraw)",
            account=HEALTHY_ACCOUNT,
            key=_key(permissions=[*FUTURES_KEY, "wwow"]),
        ),
        "transfer_enabled": Scenario(
            description="healthy key that can also transfer between wallets (wtow)",
            expect="permissions.forbidden flags transfer (warn or fail per the requirement set)",
            account=HEALTHY_ACCOUNT,
            key=_key(permissions=[*FUTURES_KEY, "wtow"]),
        ),
        "read_only": Scenario(
            description="a read-only key (readonly): reads work, futures settings answer 40014",
            expect="action_required (permissions.required fails: futures_trade)",
            account=HEALTHY_ACCOUNT,
            key=_key(permissions=["readonly"]),
        ),
        "spot_only": Scenario(
            description="a spot-trading key (stow) without the futures scopes coow/cpow",
            expect="action_required (permissions.required fails: futures_trade)",
            account=HEALTHY_ACCOUNT,
            key=_key(permissions=["stow"]),
        ),
        "ip_not_whitelisted": Scenario(
            description=f"key bound to {FOREIGN_IP} only: every private call answers 40018 Invalid IP",
            expect="action_required (ip.whitelist fails: 40018)",
            account=HEALTHY_ACCOUNT,
            key=_key(ips=[FOREIGN_IP]),
        ),
        "no_ip_whitelist": Scenario(
            description="healthy key with no IP bound (ips is empty)",
            expect="connected_with_warnings (ip.whitelist warns: no IP bound)",
            account=HEALTHY_ACCOUNT,
            key=_key(ips=[]),
        ),
        "low_balance": Scenario(
            description="healthy key, only 40 USDT in USDT-FUTURES",
            expect="balance.minimum fails or warns (40 USDT)",
            account={"account_mode": "classic", "balances": {"USDT-FUTURES": {"USDT": "40"}}},
            key=_key(),
        ),
        "funds_in_spot_wallet": Scenario(
            description="healthy key, 300 USDT in the spot wallet and nothing in USDT-FUTURES",
            expect="balance.minimum fails with a transfer hint (300 USDT sit in spot)",
            account={"account_mode": "classic", "balances": {"spot": {"USDT": "300"}, "USDT-FUTURES": {"USDT": "0"}}},
            key=_key(),
        ),
        "funds_in_funding_wallet": Scenario(
            description="healthy key, 300 USDT in the funding wallet and nothing in USDT-FUTURES",
            expect="balance.minimum fails with a transfer hint (300 USDT sit in funding)",
            account={
                "account_mode": "classic",
                "balances": {"funding": {"USDT": "300"}, "USDT-FUTURES": {"USDT": "0"}},
            },
            key=_key(),
        ),
        "hedge_mode": Scenario(
            description="healthy key, USDT-FUTURES in hedge mode (posMode hedge_mode)",
            expect="position.mode fails or warns (hedge_mode)",
            account={**HEALTHY_ACCOUNT, "position_mode": "hedge"},
            key=_key(),
        ),
        "hedge_mode_locked": Scenario(
            description="hedge mode with an open position: set-position-mode answers 40920",
            expect="position.mode fails; switching is refused while a position is open",
            account={**HEALTHY_ACCOUNT, "position_mode": "hedge", "open_positions": True},
            key=_key(),
        ),
        "isolated_margin": Scenario(
            description="healthy key, margin mode isolated",
            expect="margin.mode warns or fails (isolated)",
            account={**HEALTHY_ACCOUNT, "margin_mode": "isolated"},
            key=_key(),
        ),
        "clock_skew": Scenario(
            description="the exchange clock runs 45 s ahead: unadjusted requests answer 40008",
            expect="clock.skew fails (about 45 s); signed calls answer 40008 unless the offset is applied",
            account=HEALTHY_ACCOUNT,
            key=_key(),
            clock_offset_ms=45_000,
        ),
        "exchange_down": _fault("http_500", "every API call answers HTTP 500"),
        "maintenance": _fault("http_503_html", "every API call answers an HTML 503 maintenance page"),
        "timeout": _fault("timeout", "every API call hangs"),
        "rate_limited": _fault("rate_limit", "every API call answers HTTP 429 (code 429)"),
        "geo_blocked": _fault("geo_block", "every API call answers a CloudFront 403 geo-block page"),
    }
)
