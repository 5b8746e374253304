"""Accounts: users, passwords (argon2id), browser sessions, personal API tokens and sign-in rate limits.

What belongs here: the rules of signing in and of proving who a request is from. Passwords are hashed with
argon2id (argon2-cffi's defaults, rehashed when they change); session cookies and API tokens are random values of
which only the SHA-256 is stored, so a stolen database cannot sign anyone in. A token is shown once, at creation.
Sign-in attempts are limited per account and per client IP (the `limits` library's moving window, kept in this
process's memory). Another user's token is `NotFoundError` exactly like a missing one. What does not: HTTP
(cookies, headers, CSRF are the API shell's), or SQL (db.repositories.accounts). Services flush; the shell commits.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from limits import parse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.clock import Clock
from tradedock.db.models import ApiToken, User
from tradedock.db.repositories import AccountRepository, AuditRepository
from tradedock.errors import (
    AuthenticationError,
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    TooManyAttemptsError,
)
from tradedock.services.attempt_windows import AttemptWindows

#: A signed-in session lasts at most this long, and ends earlier after this long without use.
SESSION_LIFETIME = timedelta(days=7)
SESSION_IDLE = timedelta(hours=24)
#: Last-seen / last-used times are written at most this often (a read must not write on every request).
TOUCH_EVERY = timedelta(minutes=1)
#: Personal API tokens start with this, so secret scanners and people recognise them.
TOKEN_PREFIX = "tdp_"
PASSWORD_MIN = 10
PASSWORD_MAX = 1024
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
TOKEN_NAME_PATTERN = re.compile(r"[A-Za-z0-9 ._:@/-]{1,100}")
#: The browser session cookie (HttpOnly; the API and the dashboard share it).
SESSION_COOKIE = "tradedock_session"

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@functools.cache
def _dummy_hash() -> str:
    """Compared against when the e-mail is unknown, so a wrong e-mail costs the same time as a wrong password.
    Made on first use: hashing at import would slow every CLI start."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def token_hash(token: str) -> str:
    """What is stored of an API token (and looked up): the SHA-256 of the token as sent, trimmed."""
    return _sha256(token.strip())


def cookie_hash(cookie: str) -> str:
    """What is stored of a session cookie (and looked up): its SHA-256."""
    return _sha256(cookie)


def session_usable(expires_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
    """A session ends at its expiry, or after `SESSION_IDLE` unused."""
    return expires_at > now and last_seen_at + SESSION_IDLE > now


def touch_due(last: datetime | None, now: datetime) -> bool:
    """Whether a token's last-used (a session's last-seen) time is due a write (at most once a minute)."""
    return last is None or now - last >= TOUCH_EVERY


def invalid_token() -> AuthenticationError:
    return AuthenticationError(
        "this API token is not valid (unknown or revoked)", fix="Create a new token and use that."
    )


def signed_out() -> AuthenticationError:
    return AuthenticationError("you are not signed in (or the session ended)", fix="Sign in again.")


def normalize_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 200 or not EMAIL_PATTERN.fullmatch(email):
        raise InvalidInputError("email", "this is not an e-mail address", fix="Use an address like trader@example.com.")
    return email


def check_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise InvalidInputError(
            "password", f"the password is too short ({len(password)} characters)", fix=f"Use at least {PASSWORD_MIN}."
        )
    if len(password) > PASSWORD_MAX:
        raise InvalidInputError("password", "the password is too long", fix=f"Use at most {PASSWORD_MAX} characters.")
    return password


class UserView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    email: str
    is_operator: bool
    created_at: datetime


class TokenView(BaseModel):
    """A token as listed: its name and first characters, never the token."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    hint: str
    created_at: datetime
    last_used_at: datetime | None


class NewToken(TokenView):
    """A token just created: the only time its value is ever shown."""

    token: str


@dataclass(frozen=True, repr=False)
class NewSession:
    """A signed-in session; ``cookie`` is the value for the browser and is never shown anywhere else."""

    cookie: str
    user: UserView
    expires_at: datetime

    def __repr__(self) -> str:
        return f"NewSession(user={self.user.email!r}, expires_at={self.expires_at.isoformat()!r}, cookie=***)"


@dataclass(frozen=True)
class Principal:
    """Who a request is from, and how it proved it (a session cookie or a token)."""

    user_id: str
    email: str
    is_operator: bool
    session_id: str | None = None
    token_id: str | None = None


class LoginLimiter:
    """Sign-in attempts allowed per account and per client IP (moving windows in `AttemptWindows`: this process's
    memory, or a Redis every server process shares)."""

    def __init__(
        self, per_account: str = "5/minute", per_ip: str = "20/minute", *, windows: AttemptWindows | None = None
    ) -> None:
        self._windows = windows or AttemptWindows()
        self._per_account = parse(per_account)
        self._per_ip = parse(per_ip)

    async def attempt(self, email: str, ip: str) -> None:
        """Count one attempt; raise `TooManyAttemptsError` when either window is full."""
        for item, key in ((self._per_ip, f"ip:{ip}"), (self._per_account, f"account:{email}")):
            if not await self._windows.hit(item, "signin", key):
                raise TooManyAttemptsError(
                    "too many sign-in attempts",
                    retry_after_s=float(item.get_expiry()),
                    fix="Wait a minute and try again.",
                )


def _user_view(user: User) -> UserView:
    return UserView(id=user.id, email=user.name, is_operator=user.is_operator, created_at=user.created_at)


def _token_view(row: ApiToken) -> TokenView:
    return TokenView(id=row.id, name=row.name, hint=row.hint, created_at=row.created_at, last_used_at=row.last_used_at)


class AccountService:
    """Accounts inside the caller's transaction."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.clock = clock
        self.repo = AccountRepository(session, clock)
        self.audit_log = AuditRepository(session, clock)

    # --- users ---------------------------------------------------------------------------------------------

    async def create_user(self, email: str, password: str | None, *, is_operator: bool = False) -> UserView:
        """A new user; without a password the user can use tokens only (made with `tradedock token create`)."""
        email = normalize_email(email)
        hashed = await asyncio.to_thread(_hasher.hash, check_password(password)) if password is not None else None
        user = await self.repo.create_user(email, hashed, is_operator=is_operator)
        await self.audit_log.append(owner_id=user.id, action="user_create", detail={"operator": is_operator})
        return _user_view(user)

    async def list_users(self, principal: Principal, *, limit: int, offset: int) -> list[UserView]:
        """Every user (operators only: `NotAllowedError` otherwise), oldest first. Never a password hash."""
        if not principal.is_operator:
            raise NotAllowedError("only an operator can list the users", fix="Ask the operator of this TradeDock.")
        return [_user_view(user) for user in await self.repo.list_users(limit=limit, offset=offset)]

    async def user(self, principal: Principal) -> UserView:
        user = await self.repo.user(principal.user_id)
        if user is None:
            raise AuthenticationError("this account no longer exists", fix="Sign in again.")
        return _user_view(user)

    # --- sessions ------------------------------------------------------------------------------------------

    async def sign_in(self, email: str, password: str, *, ip: str, limiter: LoginLimiter) -> NewSession:
        """Check the password (rate limited) and open a session. The same error for every wrong detail."""
        normalized = email.strip().lower()
        await limiter.attempt(normalized, ip)
        user = await self.repo.user_by_name(normalized)
        if user is not None and user.password_hash:
            stored = user.password_hash
        else:
            stored = await asyncio.to_thread(_dummy_hash)
        try:
            await asyncio.to_thread(_hasher.verify, stored, password)
            ok = user is not None and user.password_hash is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or user is None:
            raise AuthenticationError("the e-mail or the password is wrong", fix="Check both and try again.")
        if _hasher.check_needs_rehash(stored):
            await self.repo.set_password_hash(user.id, await asyncio.to_thread(_hasher.hash, password))
        now = self.clock.now()
        await self.repo.delete_expired_sessions(now)
        cookie = secrets.token_urlsafe(32)
        expires_at = now + SESSION_LIFETIME
        await self.repo.add_session(user.id, _sha256(cookie), expires_at)
        await self.audit_log.append(owner_id=user.id, action="sign_in", detail={"ip": ip})
        return NewSession(cookie=cookie, user=_user_view(user), expires_at=expires_at)

    async def from_session(self, cookie: str) -> Principal:
        """The principal of a session cookie; `AuthenticationError` when unknown, expired or signed out."""
        found, touch_due = await self.check_session(cookie)
        if touch_due:
            await self.touch(found)
        return found

    async def check_session(self, cookie: str) -> tuple[Principal, bool]:
        """Like `from_session` without writing: the principal, and whether its last-seen time is due a `touch`
        (at most once a minute). Read-only, so a request can authenticate in a read transaction."""
        row = await self.repo.session_by_hash(cookie_hash(cookie))
        now = self.clock.now()
        if row is None or not session_usable(row.expires_at, row.last_seen_at, now):
            raise signed_out()
        user = await self.repo.user(row.user_id)
        if user is None:
            raise signed_out()
        found = Principal(user.id, user.name, user.is_operator, session_id=row.id)
        return found, touch_due(row.last_seen_at, now)

    async def touch(self, principal: Principal) -> None:
        """Record that the principal's session or token was used now (sessions expire when idle)."""
        now = self.clock.now()
        if principal.session_id is not None:
            await self.repo.touch_session(principal.session_id, now)
        elif principal.token_id is not None:
            await self.repo.touch_token(principal.token_id, now)

    async def sign_out(self, principal: Principal) -> None:
        """End the session server-side: the cookie is worthless from now on, wherever it was copied to."""
        if principal.session_id is not None:
            await self.repo.delete_session(principal.user_id, principal.session_id)
            await self.audit_log.append(owner_id=principal.user_id, action="sign_out", detail={})

    # --- tokens --------------------------------------------------------------------------------------------

    async def from_token(self, token: str) -> Principal:
        """The principal of an API token; `AuthenticationError` when unknown or revoked."""
        found, touch_due = await self.check_token(token)
        if touch_due:
            await self.touch(found)
        return found

    async def check_token(self, token: str) -> tuple[Principal, bool]:
        """Like `from_token` without writing: the principal, and whether its last-used time is due a `touch`."""
        found_row = await self.repo.token_with_user(token_hash(token))
        if found_row is None:
            raise invalid_token()
        row, user = found_row
        found = Principal(user.id, user.name, user.is_operator, token_id=row.id)
        return found, touch_due(row.last_used_at, self.clock.now())

    async def create_token(self, principal: Principal, name: str) -> NewToken:
        return await self._create_token(principal.user_id, name)

    async def existing_user(self, email: str) -> UserView:
        """The user with this e-mail (the CLI acting for an API user with ``--user``); never creates one."""
        user = await self.repo.user_by_name(normalize_email(email))
        if user is None:
            raise InvalidInputError(
                "user", f"there is no user {email.strip()!r}", fix="Create it: tradedock user create"
            )
        return _user_view(user)

    async def create_token_for(self, email: str, name: str) -> NewToken:
        """The CLI's way (operator on the server's machine): a token for the user with this e-mail."""
        return await self._create_token((await self.existing_user(email)).id, name)

    async def _create_token(self, user_id: str, name: str) -> NewToken:
        name = name.strip()
        if not TOKEN_NAME_PATTERN.fullmatch(name):
            raise InvalidInputError(
                "name", "a token name is 1–100 letters, digits, spaces or . _ : @ / -", fix="Choose a simpler name."
            )
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = await self.repo.add_token(user_id, name, _sha256(token), token[: len(TOKEN_PREFIX) + 4])
        await self.audit_log.append(owner_id=user_id, action="token_create", detail={"token_id": row.id, "name": name})
        return NewToken(**_token_view(row).model_dump(), token=token)

    async def list_tokens(self, principal: Principal, *, limit: int, offset: int) -> list[TokenView]:
        rows = await self.repo.list_tokens(principal.user_id, limit=limit, offset=offset)
        return [_token_view(row) for row in rows]

    async def revoke_token(self, principal: Principal, token_id: str) -> None:
        if not await self.repo.delete_token(principal.user_id, token_id):
            raise NotFoundError("no such API token", fix="List your tokens to see their ids.")
        await self.audit_log.append(owner_id=principal.user_id, action="token_revoke", detail={"token_id": token_id})


def csrf_token_for(cookie: str) -> str:
    """The CSRF token of a session: derived from the HttpOnly cookie, which another site can neither read nor
    guess, so only a page of ours (told the token at sign-in, or by ``GET /me``) can send it back."""
    digest = hashlib.sha256(b"tradedock-csrf\x00" + cookie.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def csrf_matches(cookie: str, given: str) -> bool:
    """Whether ``given`` is the CSRF token of the session ``cookie`` (constant-time comparison)."""
    return secrets.compare_digest(given.encode("utf-8"), csrf_token_for(cookie).encode("utf-8"))


def same_origin(origin: str | None, host: str, scheme: str) -> bool:
    """Whether a request's ``Origin`` header (when the browser sent one) names this site."""
    if origin is None:  # not sent by every client; the CSRF token is the real check
        return True
    return origin in (f"{scheme}://{host}", f"https://{host}", f"http://{host}")
