"""Bitget key permissions in Bitget's own vocabulary: validation for `POST /_sim/keys` and endpoint checks.

What belongs here: the Classic (V2) authority codes, the UTA (V3) permission codes, how a stored permission list
is reported (`authorities` / `permType` + `permissions`) and which permission a write endpoint needs. What does
not: HTTP handling.

Sources (bitget.md §2):
- V2 authority codes (suffix r = read, w = read-write): https://www.bitget.com/api-doc/spot/account/Get-Account-Info;
  the legacy values "trade" and "readonly" appear in that page's own example, so they are accepted too.
- V3 codes uta_mgt / uta_trade / withdraw / copy_futures_*: https://www.bitget.com/api-doc/uta/account/Get-Account-Info
  (`permType` is read-only or read-and-write).
Which permission each read endpoint needs (`READ_RULES`, switchable in `rules.py`):
- spot reads (`spot/account/info`, `spot/account/assets`): newer copies of Get-Account-Info say "SPOT read or
  SPOT read/write permission needed", and a public log shows a futures-only key refused on a spot read with
  40014 "Incorrect permissions, need spot order read or spot order write permissions" (GunbotAMA issue #169).
  So by default a spot read needs `stor`/`stow`; rule `spot_read: any_key` restores "every key reads".
- futures reads (`mix/account/*`, `mix/position/*`): by analogy they need a futures code (`coor`, `coow`,
  `cpor`, `cpow`); UNCONFIRMED, rule `futures_read: any_key` lifts it.
The legacy values "trade"/"readonly" (from the docs' own example) read everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradedock_sim.core.state import ControlInputError

CLASSIC_CODES = frozenset(
    {
        "coor", "coow", "cpor", "cpow", "stor", "stow", "smor", "smow", "ttor", "ttow", "wtor", "wtow", "wwow",
        "chor", "chow", "p2p", "p2pr", "p2pw", "taxr", "taxw", "pllr", "pllw",
        "trade", "readonly",  # legacy values from the Get-Account-Info example response
    }
)  # fmt: skip
UTA_CODES = frozenset({"uta_mgt", "uta_trade", "withdraw", "copy_futures_position", "copy_futures_order"})
#: Marks a UTA key whose `permType` is read-only (the simulator's own convention for `POST /_sim/keys`).
UTA_READ_ONLY_MARKERS = frozenset({"read-only", "read_only"})

#: Futures position/margin settings: a third-party mock answers "40014 need future pos write permissions"
#: (bitget.md §2), so `cpow` (futures holdings read-write) is required; `coow` and legacy "trade" also pass.
#: Which one Bitget really checks is UNCONFIRMED.
FUTURES_SETTINGS_WRITE = frozenset({"cpow", "coow", "trade"})


def validate(raw: object) -> list[str]:
    """Check a `permissions` payload: a list of Bitget codes (V2 authorities or V3 permissions)."""
    if not isinstance(raw, list) or not all(isinstance(code, str) for code in raw):
        raise ControlInputError(
            "permissions",
            'must be a list of Bitget codes, e.g. ["coow", "cpow"] (classic) or ["uta_mgt", "uta_trade"] (unified)',
        )
    known = CLASSIC_CODES | UTA_CODES | UTA_READ_ONLY_MARKERS
    codes: list[str] = []
    for index, code in enumerate(raw):
        code = code.strip()
        if code not in known:
            raise ControlInputError(
                f"permissions.{index}",
                f"unknown Bitget permission {code!r}; classic codes: {', '.join(sorted(CLASSIC_CODES))}; "
                f"unified codes: {', '.join(sorted(UTA_CODES))} (add 'read-only' for a read-only unified key)",
            )
        if code not in codes:
            codes.append(code)
    return codes


def classic_authorities(stored: object) -> list[str]:
    """`authorities` as GET /api/v2/spot/account/info reports them."""
    return [code for code in _codes(stored) if code not in UTA_READ_ONLY_MARKERS]


@dataclass(frozen=True)
class UtaPermissions:
    perm_type: str  # "read-only" or "read-and-write"
    permissions: list[str]


def uta_permissions(stored: object) -> UtaPermissions:
    """`permType` and `permissions` as GET /api/v3/account/info reports them."""
    codes = _codes(stored)
    read_only = any(code in UTA_READ_ONLY_MARKERS or code == "readonly" for code in codes)
    listed = [code for code in codes if code in UTA_CODES]
    return UtaPermissions("read-only" if read_only or not listed else "read-and-write", listed)


def can_write_futures_settings(stored: object) -> bool:
    codes = set(_codes(stored))
    return bool(codes & FUTURES_SETTINGS_WRITE) and "readonly" not in codes


#: Codes that let a key read each area; "trade"/"readonly" are legacy keys that read everything.
SPOT_READ = frozenset({"stor", "stow", "trade", "readonly"})
FUTURES_READ = frozenset({"coor", "coow", "cpor", "cpow", "trade", "readonly"})
#: The 40014 wording for each area: spot as seen live (GunbotAMA #169); futures by analogy (UNCONFIRMED).
#: "uta_mgt": V3 assets and funding assets say "Permission: UTA mgt. (read)" (Get-Account, Get-Account-Funding-
#: Assets pages); the 40014 wording for it is UNCONFIRMED.
READ_REFUSALS = {
    "spot": "spot order read or spot order write",
    "futures": "futures order read or futures order write",
    "uta_mgt": "UTA mgt. (read)",
}


def can_read(stored: object, area: str) -> bool:
    """Whether a key may read `area`: "spot"/"futures" (classic, when that area's read rule is enforced) or
    "uta_mgt" (unified: read-only or read-write UTA management)."""
    codes = set(_codes(stored))
    if area == "uta_mgt":
        return "uta_mgt" in codes
    return bool(codes & (SPOT_READ if area == "spot" else FUTURES_READ))


def can_manage_uta(stored: object) -> bool:
    """POST /api/v3/account/set-hold-mode needs "UTA mgt. (read & write)" (Change-Position-Mode page)."""
    uta = uta_permissions(stored)
    return uta.perm_type == "read-and-write" and "uta_mgt" in uta.permissions


def _codes(stored: object) -> list[str]:
    if isinstance(stored, list):
        return [str(code) for code in stored]
    return []
