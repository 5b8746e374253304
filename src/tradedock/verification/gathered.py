"""What the engine gathered from the exchange, read by read, and what it tells about the key's authentication.

What belongs here: `Read` (one call's value or error), `Gathered` (every read of a verification, the
timestamp-retry and environment-probe outcomes) and `auth_state()`, the single place that decides whether the
exchange accepted the key, refused it, or could not tell. What does not: any network call (the engine does
those) or any wording for users (the checks do that).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tradedock.domain import AccountInfo, Balance, Environment, KeyInfo, PositionSettings, ServerTime
from tradedock.errors import (
    AccountModeMismatchError,
    AgentNotApprovedError,
    BadSignatureError,
    CredentialsRejectedError,
    ExchangeUnreachableError,
    IpNotAllowedError,
    KeyExpiredError,
    PermissionDeniedError,
    TimestampRejectedError,
    UnknownKeyError,
    WrongEnvironmentError,
    WrongPassphraseError,
)

T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class Read(Generic[T_co]):
    """The outcome of one adapter call: a value, an error, or not run (``ran`` False)."""

    value: T_co | None = None
    error: Exception | None = None
    ran: bool = True

    @property
    def ok(self) -> bool:
        return self.ran and self.error is None

    def failed_with(self, *kinds: type[Exception]) -> bool:
        return self.error is not None and isinstance(self.error, kinds)


NOT_RUN: Read[Any] = Read(ran=False)

#: Errors that prove the exchange recognised the key and its signature (the call itself was refused for another
#: reason), so authentication passed.
AUTH_PASSING_ERRORS: tuple[type[Exception], ...] = (PermissionDeniedError, AccountModeMismatchError)

#: Errors from a probed environment that prove the key exists there.
KEY_KNOWN_ERRORS: tuple[type[Exception], ...] = (
    PermissionDeniedError,
    AccountModeMismatchError,
    IpNotAllowedError,
    TimestampRejectedError,
    BadSignatureError,
    WrongPassphraseError,
    KeyExpiredError,
)

#: Errors on key_info that mean "this key is not known here" and make the engine probe the other environments.
#: Aster answers an API wallet unknown in this environment as "not an agent of this main wallet" (-1000).
PROBE_TRIGGERS: tuple[type[Exception], ...] = (UnknownKeyError, WrongEnvironmentError, AgentNotApprovedError)


@dataclass(frozen=True)
class Gathered:
    """Everything the remote rounds produced. Reads reflect the final attempt (after a timestamp retry)."""

    server_time: Read[ServerTime]
    key_info: Read[KeyInfo]
    account_info: Read[AccountInfo]
    balances: Read[tuple[Balance, ...]]
    position: Read[PositionSettings]
    #: Names of signed reads that the exchange refused for their timestamp in the first round.
    timestamp_rejected: tuple[str, ...] = ()
    #: Offset (ms) given to the adapter before the retry, if a retry happened.
    offset_applied_ms: int | None = None
    #: Alternative environments probed with key_info, in order, and what each said.
    probes: tuple[tuple[Environment, Read[KeyInfo]], ...] = ()

    def signed_reads(self) -> Iterator[tuple[str, Read[object]]]:
        yield "key_info", self.key_info
        yield "account_info", self.account_info
        yield "balances", self.balances
        yield "position_settings", self.position

    @property
    def found_in(self) -> Environment | None:
        """The first probed environment where the key is known."""
        for environment, read in self.probes:
            if read.ok or read.failed_with(*KEY_KNOWN_ERRORS):
                return environment
        return None


class AuthState(enum.StrEnum):
    PASSED = "passed"  # a signed read succeeded, or was refused for a reason other than the credentials
    REJECTED = "rejected"  # the exchange refused the credentials
    WRONG_ENVIRONMENT = "wrong_environment"  # the key lives in another environment
    CLOCK = "clock"  # timestamps refused even after compensating
    IP_REFUSED = "ip_refused"  # the exchange refused our IP before judging the key
    UNREACHABLE = "unreachable"  # an exchange fault kept every signed read from answering
    UNEXPECTED = "unexpected"  # an answer we could not understand
    NOT_RUN = "not_run"  # nothing was sent (credentials failed the local check)


def auth_state(gathered: Gathered | None) -> tuple[AuthState, Exception | None]:
    """Whether the exchange accepted the key, with the deciding error (None when passed or not run).

    Priority among mixed failures: credentials > environment > IP > clock > exchange fault > unexpected.
    """
    if gathered is None:
        return AuthState.NOT_RUN, None
    reads = [read for _, read in gathered.signed_reads() if read.ran]
    if not reads:
        return AuthState.NOT_RUN, None
    if any(read.ok or read.failed_with(*AUTH_PASSING_ERRORS) for read in reads):
        return AuthState.PASSED, None
    errors = [read.error for read in reads if read.error is not None]

    def first(*kinds: type[Exception]) -> Exception | None:
        return next((e for e in errors if isinstance(e, kinds)), None)

    wrong_env = first(WrongEnvironmentError)
    unknown_here = first(*PROBE_TRIGGERS)
    if wrong_env is not None or (unknown_here is not None and gathered.found_in is not None):
        return AuthState.WRONG_ENVIRONMENT, wrong_env or unknown_here
    for kinds, state in (
        ((CredentialsRejectedError, AgentNotApprovedError), AuthState.REJECTED),
        ((IpNotAllowedError,), AuthState.IP_REFUSED),
        ((TimestampRejectedError,), AuthState.CLOCK),
        ((ExchangeUnreachableError,), AuthState.UNREACHABLE),
    ):
        found = first(*kinds)
        if found is not None:
            return state, found
    return AuthState.UNEXPECTED, errors[0] if errors else None
