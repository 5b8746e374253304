"""The verification checklist: requirements as data, small registered checks, one concurrent round of reads.

Public API (the connection service calls exactly this): `verify`, `VerificationRequest`, `Policy`,
`AdapterProvider`, `Report`, `CheckResult`, `Facts`, `Outcome`, `CHECK_IDS`, `status_from`. The status rule is
documented in `report` and docs/verification.md. This package imports only `tradedock.domain`, `errors`,
`clock`, `config` and `tradedock.exchanges.base`.
"""

from tradedock.verification.engine import verify
from tradedock.verification.profiles import PROFILES, ExchangeProfile, profile_for
from tradedock.verification.report import CHECK_IDS, CheckResult, Facts, Outcome, Report, status_from
from tradedock.verification.request import AdapterProvider, Policy, VerificationRequest

__all__ = [
    "CHECK_IDS",
    "PROFILES",
    "AdapterProvider",
    "CheckResult",
    "ExchangeProfile",
    "Facts",
    "Outcome",
    "Policy",
    "Report",
    "VerificationRequest",
    "profile_for",
    "status_from",
    "verify",
]
