"""The registered checks in report order (DESIGN.md check ids). One module per area; each check is a small
function ``(CheckContext) -> Verdict`` decorated with ``@check(id, title=...)``.

Adding a check: write it in its area module, add it to `ALL_CHECKS` in the DESIGN order, document it in
docs/verification.md. `ALL_CHECKS` must cover `report.CHECK_IDS` exactly (a test enforces it).
"""

from __future__ import annotations

from tradedock.verification.checks.account import account_mode, margin_mode, position_mode
from tradedock.verification.checks.balance import balance_minimum
from tradedock.verification.checks.base import Check, CheckContext, Verdict, check
from tradedock.verification.checks.connectivity import auth_signature, clock_skew, environment_match, exchange_reachable
from tradedock.verification.checks.credentials import credentials_format
from tradedock.verification.checks.permissions import permissions_forbidden, permissions_required
from tradedock.verification.checks.security import ip_whitelist, key_expiry

ALL_CHECKS: tuple[Check, ...] = (
    credentials_format,
    exchange_reachable,
    auth_signature,
    clock_skew,
    environment_match,
    permissions_required,
    permissions_forbidden,
    ip_whitelist,
    key_expiry,
    account_mode,
    position_mode,
    margin_mode,
    balance_minimum,
)

__all__ = ["ALL_CHECKS", "Check", "CheckContext", "Verdict", "check"]
