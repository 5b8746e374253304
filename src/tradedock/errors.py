"""The domain error tree, grouped by what the caller should do. No HTTP status codes here.

::

    TradeDockError
    ├── ExchangeUnreachableError ........ retry later; never means the key is bad → status `unreachable`
    │   ├── ExchangeUnavailableError .... 5xx, HTML error page, maintenance
    │   ├── ExchangeTimeoutError ........ connect/read timeout, DNS failure, connection refused
    │   ├── RateLimitedError ............ 429 / rate-limit codes / IP ban (``retry_after_s``)
    │   └── GeoBlockedError ............. HTML 403 from a CDN: the exchange blocks this server's location
    ├── UserFixableError ................ the user (or operator) must change something
    │   ├── InvalidInputError ........... a field is missing or malformed (``field``, ``fix``)
    │   │   └── SignalRefusedError ...... a strategy signal refused (``reason``: replay, stale, …); nothing ordered
    │   ├── CredentialsRejectedError .... the exchange refused the credentials
    │   │   ├── UnknownKeyError ......... the exchange does not know this key
    │   │   ├── BadSignatureError ....... the key exists; the secret / private key is wrong
    │   │   ├── WrongPassphraseError .... Bitget: the passphrase is wrong
    │   │   ├── KeyExpiredError ......... the key (or Aster agent) has expired or was revoked
    │   │   └── WrongEnvironmentError ... the key belongs to another environment (demo / testnet / live)
    │   ├── TimestampRejectedError ...... our clock is outside the exchange's window
    │   ├── IpNotAllowedError ........... the request's IP is not on the key's whitelist
    │   ├── PermissionDeniedError ....... the key lacks a permission for this call
    │   ├── AccountModeMismatchError .... unified-only endpoint on a classic account or the reverse
    │   ├── AgentNotApprovedError ....... Aster: the API wallet is not an approved agent of the main wallet
    │   ├── AlreadyConnectedError ....... this key is already connected (owner never revealed)
    │   ├── AccountChangedError ......... a replacement key belongs to another exchange account
    │   ├── NotFoundError ............... no such connection (or token, webhook) for this owner
    │   ├── ConflictError ............... another command changed the connection meanwhile; nothing changed
    │   ├── BotNotReadyError ............ a bot cannot start: its connection is unhealthy, in hedge mode, unfunded
    │   ├── AuthenticationError ......... not signed in: wrong e-mail/password, unknown or revoked token
    │   ├── NotAllowedError ............. signed in, but this needs an operator (or an operator setting)
    │   ├── TooManyAttemptsError ........ sign-in attempts rate limited (``retry_after_s``)
    │   └── OrderRejectedError .......... the exchange refused an order (rules, reduce-only, duplicate id)
    │       └── InsufficientMarginError . not enough available margin for the order
    └── InternalError ................... a bug or a broken deployment; report it
        ├── VaultError .................. sealing/opening failed
        │   ├── MasterKeyError .......... master key missing, malformed or not the one the data was sealed with
        │   └── VaultIntegrityError ..... a connection's stored secrets were altered outside TradeDock
        └── UnexpectedResponseError ..... the exchange answered in a shape we do not understand

Every error carries a plain message; exchange errors also carry the exchange's own ``code`` and message as
evidence. Messages must never contain a secret: callers pass only public facts.
"""

from __future__ import annotations


class TradeDockError(Exception):
    """Base of every error TradeDock raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        native_message: str | None = None,
        exchange: str | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.native_message = native_message
        self.exchange = exchange
        self.fix = fix

    def evidence(self) -> dict[str, str]:
        """Public facts about the error, fit for a report or a log line."""
        out: dict[str, str] = {"error": type(self).__name__}
        if self.exchange:
            out["exchange"] = self.exchange
        if self.code is not None:
            out["code"] = str(self.code)
        if self.native_message:
            out["exchange_message"] = self.native_message
        return out


# --- retry later -------------------------------------------------------------------------------------------


class ExchangeUnreachableError(TradeDockError):
    """The exchange could not give an answer about the key. Never a reason to call a key invalid."""


class ExchangeUnavailableError(ExchangeUnreachableError):
    pass


class ExchangeTimeoutError(ExchangeUnreachableError):
    pass


#: `RateLimitedError.code` when this server held the request back (its own rate budget, the request never sent).
HELD_BACK = "budget"


class RateLimitedError(ExchangeUnreachableError):
    """Too many requests: the exchange said so (HTTP 429 / 418), or this server held the request back because its own
    share of the exchange's limit was used up (``code`` `HELD_BACK`: nothing was sent, nothing was learned)."""

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kwargs: str | None) -> None:
        super().__init__(message, **kwargs)
        self.retry_after_s = retry_after_s

    @property
    def held_back(self) -> bool:
        return self.code == HELD_BACK

    def evidence(self) -> dict[str, str]:
        out = super().evidence()
        if self.retry_after_s is not None:
            out["retry_after_s"] = f"{self.retry_after_s:g}"
        return out


class GeoBlockedError(ExchangeUnreachableError):
    pass


# --- the user must fix ---------------------------------------------------------------------------------------


class UserFixableError(TradeDockError):
    pass


class InvalidInputError(UserFixableError):
    def __init__(self, field: str, message: str, *, fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.field = field

    def evidence(self) -> dict[str, str]:
        return {**super().evidence(), "field": self.field}


class SignalRefusedError(InvalidInputError):
    """A strategy signal was refused and nothing was ordered. ``reason`` is one of ``malformed``, ``replay``,
    ``stale``, ``future``, ``unknown_symbol``, ``not_accepting``, ``holds_secret`` (docs/architecture.md, "Bots and
    strategies")."""

    def __init__(self, field: str, reason: str, message: str, *, fix: str | None = None) -> None:
        super().__init__(field, message, fix=fix)
        self.reason = reason

    def evidence(self) -> dict[str, str]:
        return {**super().evidence(), "reason": self.reason}


class CredentialsRejectedError(UserFixableError):
    pass


class UnknownKeyError(CredentialsRejectedError):
    pass


class BadSignatureError(CredentialsRejectedError):
    pass


class WrongPassphraseError(CredentialsRejectedError):
    pass


class KeyExpiredError(CredentialsRejectedError):
    pass


class WrongEnvironmentError(CredentialsRejectedError):
    pass


class TimestampRejectedError(UserFixableError):
    pass


class IpNotAllowedError(UserFixableError):
    pass


class PermissionDeniedError(UserFixableError):
    pass


class AccountModeMismatchError(UserFixableError):
    pass


class AgentNotApprovedError(UserFixableError):
    pass


class AlreadyConnectedError(UserFixableError):
    pass


class AccountChangedError(UserFixableError):
    pass


class NotFoundError(UserFixableError):
    pass


class AuthenticationError(UserFixableError):
    pass


class NotAllowedError(UserFixableError):
    pass


class TooManyAttemptsError(UserFixableError):
    def __init__(self, message: str, *, retry_after_s: float, fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.retry_after_s = retry_after_s


class OrderRejectedError(UserFixableError):
    """The exchange refused an order or a trading setting; ``code``/``native_message`` say which rule."""


class InsufficientMarginError(OrderRejectedError):
    pass


class ConflictError(UserFixableError):
    """Another command changed the connection while this one worked (e.g. two replaces at once); nothing was
    changed by this one. Run it again."""


class BotNotReadyError(UserFixableError):
    """A bot refused to start (or was paused): its connection is not connected, is in hedge mode where one-way
    is required, or lacks balance. ``reason`` is a short code; ``problems`` the connection's failing checks."""

    def __init__(self, message: str, *, reason: str, problems: list[str] | None = None, fix: str | None = None):
        super().__init__(message, fix=fix)
        self.reason = reason
        self.problems = list(problems or [])


# --- bugs and broken deployments -----------------------------------------------------------------------------


class InternalError(TradeDockError):
    pass


class VaultError(InternalError):
    pass


class MasterKeyError(VaultError):
    pass


class VaultIntegrityError(VaultError):
    """One connection's sealed set fails its integrity check (a row deleted, rolled back, swapped or altered).

    Never a verdict on the exchange key: the connection's status is left as it was. ``connection_id`` names the
    connection (public); the message names field names and reasons only, never a value.
    """

    def __init__(self, message: str, *, connection_id: str, reason: str, fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.connection_id = connection_id
        self.reason = reason

    def evidence(self) -> dict[str, str]:
        return {**super().evidence(), "connection_id": self.connection_id, "reason": self.reason}


class UnexpectedResponseError(InternalError):
    pass
