"""Users: get-or-create by name (the CLI's local operator, API principals).

What belongs here: every query on ``users``. What does not: authentication (a later shell concern).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tradedock.clock import Clock, SystemClock
from tradedock.db.models import User, new_id


class UserRepository:
    def __init__(self, session: AsyncSession, clock: Clock | None = None) -> None:
        self._session = session
        self._clock = clock or SystemClock()

    async def get(self, user_id: str) -> User | None:
        return await self._session.get(User, user_id)

    async def get_by_name(self, name: str) -> User | None:
        return (await self._session.execute(select(User).where(User.name == name))).scalar_one_or_none()

    async def get_or_create(self, name: str) -> User:
        """The user called ``name``, created if missing (safe when two callers race)."""
        name = name.strip()
        if not name:
            raise ValueError("a user needs a non-empty name")
        existing = await self.get_by_name(name)
        if existing is not None:
            return existing
        user = User(id=new_id(), name=name, created_at=self._clock.now())
        try:
            async with self._session.begin_nested():
                self._session.add(user)
        except IntegrityError:
            raced = await self.get_by_name(name)
            if raced is None:
                raise
            return raced
        return user
