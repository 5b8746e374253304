"""`SignalLimiter`: how many signals one strategy may post (moving windows in `AttemptWindows`).

What belongs here: the per-strategy windows of ``POST /strategies/{id}/signals``, counted before the body is
read or the secret checked, so a flood (or a sender stuck in a loop) costs no database work; over the limit is
`TooManyAttemptsError` (429 with ``Retry-After``). What does not: sign-in limits (`services.accounts.LoginLimiter`).
Like those, the windows live in this process's memory, or in the Redis ``TRADEDOCK_RATE_LIMIT_STORAGE`` names, where
every ``serve`` process counts together.
"""

from __future__ import annotations

from limits import parse

from tradedock.errors import TooManyAttemptsError
from tradedock.services.attempt_windows import AttemptWindows

#: A TradingView alert fires at most a few times a minute; bursts of several alerts on one bar are normal.
PER_STRATEGY = ("10/second", "120/minute")


class SignalLimiter:
    def __init__(self, *windows: str, counts: AttemptWindows | None = None) -> None:
        self._counts = counts or AttemptWindows()
        self._windows = [parse(w) for w in (windows or PER_STRATEGY)]

    async def hit(self, strategy_id: str) -> None:
        """Count one signal for the strategy; raise `TooManyAttemptsError` when a window is full."""
        for item in self._windows:
            if not await self._counts.hit(item, "signals", strategy_id):
                raise TooManyAttemptsError(
                    f"too many signals for this strategy (at most {item.amount} per {item.GRANULARITY.name})",
                    retry_after_s=float(item.get_expiry()),
                    fix="Send fewer signals; nothing was ordered for this one. Retry after the Retry-After seconds.",
                )
