"""The verification checklist: requirements as data, small registered checks, one concurrent round of reads.

Public API (the connection service calls exactly this): `verify`, `VerificationRequest`, `Policy`,
`AdapterProvider`, `CheckCallback`, `Report`, `CheckResult`, `Facts`, `Outcome`, `CHECK_IDS`, `CHECK_TITLES`,
`status_from`. The status rule is documented in `report` and docs/verification.md. This package imports only
`tradedock.domain`, `errors`, `clock`, `config`, `tradedock.exchanges.base` and `tradedock.exchanges.profile`;
each exchange's profile comes with its spec (`ExchangeSpec.profile`).
"""

from tradedock.verification.checks import CHECK_TITLES
from tradedock.verification.engine import CheckCallback, verify
from tradedock.verification.report import CHECK_IDS, CheckResult, Facts, Outcome, Report, status_from
from tradedock.verification.request import AdapterProvider, Policy, VerificationRequest

__all__ = [
    "CHECK_IDS",
    "CHECK_TITLES",
    "AdapterProvider",
    "CheckCallback",
    "CheckResult",
    "Facts",
    "Outcome",
    "Policy",
    "Report",
    "VerificationRequest",
    "status_from",
    "verify",
]
