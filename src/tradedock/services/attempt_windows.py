"""Moving windows of attempts (sign-ins, strategy signals), counted where every server process can see them.

What belongs here: `AttemptWindows` — counts hits in moving windows with the `limits` library, in the storage
``TRADEDOCK_RATE_LIMIT_STORAGE`` names: ``memory://`` (the default: this process alone, right for one ``serve``)
or ``redis://host:6379/0`` (every ``serve`` process of the platform counts together, so running four does not
allow four times the sign-in attempts). When that storage cannot be reached, a hit is counted in this process's
memory instead and the outage logged once: the limits still hold per process and nobody is locked out by it.
What does not: which windows apply (`services.accounts.LoginLimiter`, `api.rate_limits.SignalLimiter`).
"""

from __future__ import annotations

import logging

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

_log = logging.getLogger(__name__)

#: A storage that does not answer within this long is treated as down for that hit (sign-in must not hang on it).
STORAGE_TIMEOUT_S = 0.5


def open_storage(url: str) -> Storage:
    """The `limits` storage ``url`` names (redis-py's asyncio client for Redis; nothing is connected yet)."""
    scheme = url.split("://", 1)[0].lower()
    if scheme in ("redis", "rediss"):
        return RedisStorage(
            f"async+{url}",
            implementation="redispy",
            socket_timeout=STORAGE_TIMEOUT_S,
            socket_connect_timeout=STORAGE_TIMEOUT_S,
        )
    return MemoryStorage()


class AttemptWindows:
    """Hits per (namespace, key) in moving windows, shared through the configured storage."""

    def __init__(self, storage_url: str = "memory://") -> None:
        self._storage = open_storage(storage_url)
        self._limiter = MovingWindowRateLimiter(self._storage)
        #: Where hits are counted while a shared storage is down; None when the storage is this process's memory.
        self._fallback = None if isinstance(self._storage, MemoryStorage) else MovingWindowRateLimiter(MemoryStorage())
        self._down = False

    async def hit(self, item: RateLimitItem, namespace: str, key: str) -> bool:
        """Count one attempt; False when ``item``'s window is already full (the attempt is then not counted)."""
        if self._fallback is None:
            return await self._limiter.hit(item, namespace, key)
        try:
            allowed = await self._limiter.hit(item, namespace, key)
        except Exception as exc:  # the storage's own errors (connection, timeout) vary by client
            if not self._down:
                _log.warning("rate-limit storage unreachable (%s); counting in this process", type(exc).__name__)
            self._down = True
            return await self._fallback.hit(item, namespace, key)
        if self._down:
            _log.warning("rate-limit storage reachable again")
        self._down = False
        return allowed

    async def aclose(self) -> None:
        """Close the storage's client (Redis: its connection pool)."""
        client = getattr(getattr(self._storage, "bridge", None), "storage", None)
        close = getattr(client, "aclose", None)
        if close is not None:
            await close()
