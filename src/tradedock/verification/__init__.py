"""The verification checklist: requirements as data, small registered checks, one concurrent round of reads.

Public API (the connection service calls exactly this): `verify`, `VerificationRequest`, `Policy`,
`AdapterProvider`, `CheckCallback`, `SharedServerTime` (the monitor's batches), `Report`, `CheckResult`, `Facts`,
`Outcome`, `CHECK_IDS`, `CHECK_TITLES`, `status_from`. The status rule is documented in `report` and
docs/verification.md. This package imports only `tradedock.domain`, `errors`, `clock`, `config`,
`tradedock.exchanges.base` and `tradedock.exchanges.profile`; each exchange's profile comes with its spec
(`ExchangeSpec.profile`).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tradedock.verification.engine import CheckCallback, verify
    from tradedock.verification.report import CHECK_IDS, CHECK_TITLES, CheckResult, Facts, Outcome, Report, status_from
    from tradedock.verification.request import AdapterProvider, Policy, VerificationRequest
    from tradedock.verification.server_time import SharedServerTime

#: Where each public name lives: loaded on first use (PEP 562), so that reading the checks' titles
#: (`tradedock show`: a table in `report`) imports neither the checks nor the engine and asyncio.
_HOME = {
    "CheckCallback": "engine",
    "verify": "engine",
    **{
        name: "report"
        for name in ("CHECK_IDS", "CHECK_TITLES", "CheckResult", "Facts", "Outcome", "Report", "status_from")
    },
    **{name: "request" for name in ("AdapterProvider", "Policy", "VerificationRequest")},
    "SharedServerTime": "server_time",
}

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
    "SharedServerTime",
    "VerificationRequest",
    "status_from",
    "verify",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
