"""`SignalLimiter`: how many signals one strategy may post (moving windows, this process's memory).

What belongs here: the per-strategy windows of ``POST /strategies/{id}/signals``, counted before the body is
read or the secret checked, so a flood (or a sender stuck in a loop) costs no database work; over the limit is
`TooManyAttemptsError` (429 with ``Retry-After``). What does not: sign-in limits (`services.accounts.LoginLimiter`).
Like those, the windows live in one server process's memory: several ``serve`` processes count separately.
"""

from __future__ import annotations

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from tradedock.errors import TooManyAttemptsError

#: A TradingView alert fires at most a few times a minute; bursts of several alerts on one bar are normal.
PER_STRATEGY = ("10/second", "120/minute")


class SignalLimiter:
    def __init__(self, *windows: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._windows = [parse(w) for w in (windows or PER_STRATEGY)]

    def hit(self, strategy_id: str) -> None:
        """Count one signal for the strategy; raise `TooManyAttemptsError` when a window is full."""
        for item in self._windows:
            if not self._limiter.hit(item, "signals", strategy_id):
                raise TooManyAttemptsError(
                    f"too many signals for this strategy (at most {item.amount} per {item.GRANULARITY.name})",
                    retry_after_s=float(item.get_expiry()),
                    fix="Send fewer signals; nothing was ordered for this one. Retry after the Retry-After seconds.",
                )
