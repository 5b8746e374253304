"""Sliding-window rate limiter shared by the simulators (per-IP budgets, per-UID per-endpoint budgets).

Belongs here: counting requests in time windows and telling how many remain and when the window frees up.
Does not belong here: what an exchange answers when a limit is hit (that is the plugin's wire format).
Windows use the monotonic clock, not the simulated exchange clock, so `POST /_sim/clock` never unblocks a limit.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RateLimit:
    """`limit` requests per `window_ms`; when breached, the bucket stays blocked for `ban_ms` (0 = until the
    window frees up)."""

    limit: int
    window_ms: int
    ban_ms: int = 0


@dataclass(frozen=True)
class LimitDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_at_ms: int  # wall-clock ms when a slot frees up (or the ban ends)


def _monotonic_ms() -> int:
    return int(time.monotonic() * 1000)


def _wall_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class SlidingWindowLimiter:
    """Counts hits per bucket key. `hit()` records a request and says whether it is within budget.

    `monotonic_ms` is injectable so tests can freeze time instead of racing the window.
    """

    monotonic_ms: Callable[[], int] = _monotonic_ms
    _hits: dict[str, deque[int]] = field(default_factory=dict)
    _banned_until: dict[str, int] = field(default_factory=dict)

    def hit(self, bucket: str, rule: RateLimit) -> LimitDecision:
        now = self.monotonic_ms()
        wall_offset = _wall_ms() - now
        banned_until = self._banned_until.get(bucket, 0)
        if now < banned_until:
            return LimitDecision(False, rule.limit, 0, banned_until + wall_offset)
        window = self._hits.setdefault(bucket, deque())
        while window and window[0] <= now - rule.window_ms:
            window.popleft()
        if len(window) >= rule.limit:
            if rule.ban_ms:
                self._banned_until[bucket] = now + rule.ban_ms
                return LimitDecision(False, rule.limit, 0, now + rule.ban_ms + wall_offset)
            return LimitDecision(False, rule.limit, 0, window[0] + rule.window_ms + wall_offset)
        window.append(now)
        return LimitDecision(True, rule.limit, rule.limit - len(window), now + wall_offset)
