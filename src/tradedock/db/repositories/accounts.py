"""Accounts: users who sign in, their browser sessions and their personal API tokens.

What belongs here: every query on ``api_sessions`` and ``api_tokens`` and the sign-in columns of ``users``.
Sessions and tokens are found by the SHA-256 of their secret value (the value itself is never stored); every
read or delete that takes a client-supplied id is scoped by owner in the query itself, so another user's
token looks exactly like a missing one. What does not: hashing or comparing passwords (services.accounts).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.clock import Clock, SystemClock
from tradedock.db.models import ApiSession, ApiToken, User, new_id
from tradedock.db.repositories.support import rowcount, violates
from tradedock.errors import InvalidInputError


class AccountRepository:
    def __init__(self, session: AsyncSession, clock: Clock | None = None) -> None:
        self._session = session
        self._clock = clock or SystemClock()

    # --- users ---------------------------------------------------------------------------------------------

    async def user(self, user_id: str) -> User | None:
        return await self._session.get(User, user_id)

    async def user_by_name(self, name: str) -> User | None:
        return (await self._session.execute(select(User).where(User.name == name))).scalar_one_or_none()

    async def create_user(self, name: str, password_hash: str | None, *, is_operator: bool) -> User:
        """A new user; `InvalidInputError` on ``email`` when the name is taken (safe when two callers race)."""
        user = User(
            id=new_id(), name=name, created_at=self._clock.now(), password_hash=password_hash, is_operator=is_operator
        )
        try:
            async with self._session.begin_nested():
                self._session.add(user)
                await self._session.flush()
        except IntegrityError as exc:
            if violates(exc, "name"):
                raise InvalidInputError(
                    "email", "a user with this e-mail already exists", fix="Sign in, or choose another e-mail."
                ) from None
            raise
        return user

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self._session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))

    async def list_users(self, *, limit: int, offset: int) -> list[User]:
        """Every user, oldest first (the operator's list)."""
        query = select(User).order_by(User.created_at, User.name).limit(limit).offset(offset)
        return list((await self._session.execute(query)).scalars())

    async def count_users(self) -> int:
        return int((await self._session.execute(select(func.count()).select_from(User))).scalar_one())

    # --- sessions ------------------------------------------------------------------------------------------

    async def add_session(self, user_id: str, token_hash: str, expires_at: datetime) -> ApiSession:
        now = self._clock.now()
        row = ApiSession(
            id=new_id(), user_id=user_id, token_hash=token_hash, created_at=now, expires_at=expires_at, last_seen_at=now
        )
        self._session.add(row)
        await self._session.flush()
        return row

    async def session_by_hash(self, token_hash: str) -> ApiSession | None:
        query = select(ApiSession).where(ApiSession.token_hash == token_hash)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def touch_session(self, session_id: str, at: datetime) -> None:
        await self._session.execute(update(ApiSession).where(ApiSession.id == session_id).values(last_seen_at=at))

    async def delete_session(self, user_id: str, session_id: str) -> None:
        await self._session.execute(
            delete(ApiSession).where(ApiSession.id == session_id, ApiSession.user_id == user_id)
        )

    async def delete_expired_sessions(self, now: datetime) -> None:
        await self._session.execute(delete(ApiSession).where(ApiSession.expires_at <= now))

    # --- tokens --------------------------------------------------------------------------------------------

    async def add_token(self, user_id: str, name: str, token_hash: str, hint: str) -> ApiToken:
        row = ApiToken(
            id=new_id(), user_id=user_id, name=name, token_hash=token_hash, hint=hint, created_at=self._clock.now()
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
                await self._session.flush()
        except IntegrityError as exc:
            if violates(exc, "name"):
                raise InvalidInputError(
                    "name", f"you already have a token named {name!r}", fix="Choose another name, or revoke that one."
                ) from None
            raise
        return row

    async def token_with_user(self, token_hash: str) -> tuple[ApiToken, User] | None:
        """The token with this hash and its user, in one query (every API request authenticates with it)."""
        query = select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == token_hash)
        found = (await self._session.execute(query)).first()
        return None if found is None else (found[0], found[1])

    async def token_by_hash(self, token_hash: str) -> ApiToken | None:
        query = select(ApiToken).where(ApiToken.token_hash == token_hash)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def touch_token(self, token_id: str, at: datetime) -> None:
        await self._session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=at))

    async def list_tokens(self, user_id: str, *, limit: int, offset: int) -> list[ApiToken]:
        query = (
            select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id)
            .limit(limit)
            .offset(offset)
        )
        return list((await self._session.execute(query)).scalars())

    async def find_token(self, user_id: str, token_id: str) -> ApiToken | None:
        query = select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def delete_token(self, user_id: str, token_id: str) -> bool:
        """Revoke the owner's token; False when there is no such token of this owner."""
        result = await self._session.execute(
            delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
        )
        return bool(rowcount(result))
