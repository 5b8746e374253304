"""Aster's per-IP request-weight budget: 2400 weight per minute, HTTP 429, then a 418 IP ban.

Belongs here: weighing requests per client IP and deciding between pass, 429 and 418. Does not belong here:
the per-endpoint weights (`endpoints.py`) or the answer bodies (`errors.py`).

Rules (https://github.com/asterdex/api-docs, `V3(Recommended)/EN/aster-finance-futures-api-v3.md`, "Limits";
shared/reference/exchanges/aster.md §5-6): limits are per IP; `X-MBX-USED-WEIGHT-1M` reports the weight used
in the current minute; breaking the limit answers 429; "repeatedly violating rate limits and/or failing to back
off after receiving 429s will result in an automated IP ban (HTTP status 418)", bans lasting 2 minutes to
3 days. The simulator bans for 2 minutes once an IP has drawn `BAN_AFTER_429S` 429s inside one minute
(the docs give no count: UNCONFIRMED). Windows use the monotonic clock, so `POST /_sim/clock` never unblocks.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from tradedock_sim.aster import errors

WEIGHT_LIMIT_PER_MINUTE = 2400  # futures V3 exchangeInfo "REQUEST_WEIGHT" example
WINDOW_MS = 60_000
BAN_AFTER_429S = 5
BAN_MS = 120_000


def _monotonic_ms() -> int:
    return int(time.monotonic() * 1000)


@dataclass
class _IpWindow:
    spent: deque[tuple[int, int]] = field(default_factory=deque)  # (at_ms, weight)
    refusals: deque[int] = field(default_factory=deque)  # when each 429 was answered
    banned_until: int = 0

    def used(self, now: int) -> int:
        while self.spent and self.spent[0][0] <= now - WINDOW_MS:
            self.spent.popleft()
        while self.refusals and self.refusals[0] <= now - WINDOW_MS:
            self.refusals.popleft()
        return sum(weight for _, weight in self.spent)


@dataclass
class WeightLimiter:
    """Charges each request's weight to its client IP; raises the 429/418 `AsterError` when over budget."""

    limit: int = WEIGHT_LIMIT_PER_MINUTE
    _ips: dict[str, _IpWindow] = field(default_factory=dict)

    def charge(self, ip: str, weight: int) -> int:
        """Spend `weight` for `ip`; return the weight used this minute (for `X-MBX-USED-WEIGHT-1M`)."""
        now = _monotonic_ms()
        window = self._ips.setdefault(ip, _IpWindow())
        if now < window.banned_until:
            raise errors.ip_banned(_wall_ms(now, window.banned_until), _seconds(window.banned_until - now))
        used = window.used(now)
        if used + weight > self.limit:
            window.refusals.append(now)
            if len(window.refusals) >= BAN_AFTER_429S:
                window.banned_until = now + BAN_MS
                raise errors.ip_banned(_wall_ms(now, window.banned_until), _seconds(BAN_MS))
            frees_at = window.spent[0][0] + WINDOW_MS if window.spent else now
            raise errors.too_many_requests(self.limit, _seconds(frees_at - now))
        window.spent.append((now, weight))
        return used + weight

    def used(self, ip: str) -> int:
        window = self._ips.get(ip)
        return window.used(_monotonic_ms()) if window else 0


def _wall_ms(now_monotonic: int, at_monotonic: int) -> int:
    return int(time.time() * 1000) + (at_monotonic - now_monotonic)


def _seconds(ms: int) -> int:
    return max(1, -(-ms // 1000))
