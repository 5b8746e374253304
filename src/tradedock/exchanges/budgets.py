"""Outbound rate budgets: the exchanges' documented limits, read from each exchange's endpoints, enforced before a
request leaves, for every request of the process.

What belongs here: `RateLimit` (one documented limit, parsed from an endpoint's ``rate_limit`` text such as
``"1/s per UID"``), `RateBook` (an exchange's limits: the per-IP budget, each path's own limit and request weight),
and `Budgets`, which turns them into `aiolimiter.AsyncLimiter` instances keyed by exchange + base URL (host and
environment) + account (per-UID limits) or by host alone (per-IP limits: every request of this process leaves from
the same egress IP). What does not: sending requests or reading 429 answers (``http.py``).

The exchanges count in sliding windows ("N requests in any P seconds"); a leaky bucket admits its capacity in a
burst and then its drain rate, so a bucket of capacity ``c`` draining ``r``/s admits up to ``c + r·P`` in a window.
Each budget therefore uses half the limit as the burst and half as the drain (``c + r·P = N``), plus 10 % slack for
the time a request spends on the way; a limit of one request per period waits the whole period plus the slack.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # asyncio and aiolimiter load when a limiter is first built: the specs import this module
    from aiolimiter import AsyncLimiter  # for their rate data, and `tradedock list` reads a spec (~30 ms saved)

#: Extra time on every period: requests are counted when they arrive, not when they leave.
SLACK = 1.1
_SINGLE_SLACK_S = 0.05
#: A long-running process forgets drained limiters once it holds this many (one per account and path).
PRUNE_AT = 10_000

_LIMIT = re.compile(
    r"^\s*(?P<count>\d+)\s*(?:requests?|req)?\s*/\s*(?P<span>\d*)\s*(?P<unit>s|sec|second|min|minute)s?\b"
    r"(?:.*?\bper\s+(?P<scope>uid|ip|key|account)\b)?",
    re.IGNORECASE,
)


@functools.cache
def _asyncio() -> ModuleType:
    """asyncio, imported when a budget is first taken (on a running loop), not when a spec imports this module."""
    import asyncio

    return asyncio


@functools.cache
def _limiter_class() -> type[AsyncLimiter]:
    from aiolimiter import AsyncLimiter

    return AsyncLimiter


class LimitScope(enum.StrEnum):
    UID = "uid"  # per account (the API key stands for its account)
    IP = "ip"  # per egress IP: every request of this process to the host


@dataclass(frozen=True)
class RateLimit:
    """``requests`` per ``period_s`` seconds, counted per ``scope``."""

    requests: int
    period_s: float
    scope: LimitScope

    @classmethod
    def parse(cls, text: str, *, default_scope: LimitScope = LimitScope.UID) -> RateLimit | None:
        """``"1/s per UID"``, ``"20/s per IP"``, ``"600/5s per IP"``, ``"2400/min"``; None when the text gives no
        number (``"IP"``, ``"unknown"``): then only the exchange's per-IP budget applies."""
        match = _LIMIT.match(text)
        if match is None or int(match["count"]) < 1:
            return None
        span = int(match["span"] or 1)
        unit = 60.0 if match["unit"].lower().startswith("m") else 1.0
        scope_text = (match["scope"] or "").lower()
        scope = LimitScope.IP if scope_text == "ip" else LimitScope.UID if scope_text else default_scope
        return cls(int(match["count"]), span * unit, scope)

    def limiter(self) -> AsyncLimiter:
        """A leaky bucket that never admits more than the limit in any window of the period (see module doc)."""
        return _limiter_class()(*self._bucket)

    @functools.cached_property
    def _bucket(self) -> tuple[float, float]:
        """The leaky bucket's capacity and period (computed once: a fleet builds one limiter per account and path)."""
        if self.requests == 1:
            return 1, self.period_s * SLACK + _SINGLE_SLACK_S
        burst = self.requests // 2
        drain_per_s = (self.requests - burst) / self.period_s
        return burst, burst / drain_per_s * SLACK

    def __str__(self) -> str:
        period = f"{self.period_s:g} s" if self.period_s != 1 else "s"
        return f"{self.requests}/{period} per {self.scope.value.upper()}"


@dataclass(frozen=True)
class RateBook:
    """One exchange's documented limits: the per-IP budget, and per path its own limit and request weight."""

    ip: RateLimit | None = None
    paths: Mapping[str, RateLimit] = field(default_factory=lambda: MappingProxyType({}))
    weights: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def collect(
        cls, endpoints: Iterable[Any], *, ip: str | None = None, default_scope: LimitScope = LimitScope.UID
    ) -> RateBook:
        """Read every endpoint that has a ``path`` and a ``rate_limit`` text and/or a request ``weight``.

        Pass ``vars(endpoints_module).values()`` so an endpoint added later is budgeted without another edit."""
        paths: dict[str, RateLimit] = {}
        weights: dict[str, int] = {}
        for endpoint in endpoints:
            path = getattr(endpoint, "path", None)
            if not isinstance(path, str) or not path.startswith("/"):
                continue
            text = getattr(endpoint, "rate_limit", None)
            limit = RateLimit.parse(text, default_scope=default_scope) if isinstance(text, str) else None
            if limit is not None:
                paths[path] = limit
            weight = getattr(endpoint, "weight", None)
            if isinstance(weight, int) and not isinstance(weight, bool) and weight > 0:
                weights[path] = weight
        ip_limit = RateLimit.parse(ip, default_scope=LimitScope.IP) if ip else None
        return cls(ip_limit, MappingProxyType(paths), MappingProxyType(weights))


@dataclass(frozen=True)
class Wait:
    """What a budget would not grant within the bound: which limit, for which path."""

    limit: RateLimit
    path: str


class Budgets:
    """The limiters of one event loop (aiolimiter binds a limiter to its loop), shared by every request on it.

    A budget taken once holds no limiter: a fresh leaky bucket grants any amount up to its capacity at once, so the
    first take of a key only remembers its level and time (`_once`; the monitor takes each account's per-UID budgets
    once a round, long after the last take has drained). A key taken again before its bucket has drained gets an
    `AsyncLimiter` carrying the level left, and from then on waits and refuses exactly as before."""

    def __init__(self) -> None:
        self._limiters: dict[tuple[str, ...], AsyncLimiter] = {}
        #: Budgets taken once, without a limiter: the bucket's level right after the take, the loop time of it and
        #: the bucket's drain per second.
        self._once: dict[tuple[str, ...], tuple[float, float, float]] = {}
        #: How many of each the next prune waits for: at least `PRUNE_AT`, and twice what the last prune kept (a prune
        #: that finds nothing drained is not repeated on every new key).
        self._prune_at = self._prune_once_at = PRUNE_AT
        #: How many processes share the egress IP's per-IP budgets (the monitor sets it to the live workers, from
        #: their heartbeats): each request costs that many tokens, so together they stay within the exchange's
        #: per-IP limit (each gets 1/n of the burst and of the drain). Per-UID budgets are not divided.
        self.ip_share = 1

    def _limiter(self, key: tuple[str, ...], limit: RateLimit) -> AsyncLimiter:
        limiter = self._limiters.get(key)
        if limiter is None:
            if len(self._limiters) >= self._prune_at:
                self._prune()
            limiter = self._limiters[key] = limit.limiter()
        return limiter

    def _prune(self) -> None:
        """Forget limiters whose bucket has drained: they remember nothing a new one would not."""
        for key, limiter in list(self._limiters.items()):
            if limiter.has_capacity(limiter.max_rate):
                del self._limiters[key]
        self._prune_at = max(PRUNE_AT, 2 * len(self._limiters))

    def _prune_once(self, now: float) -> None:
        """Forget budgets taken once whose bucket has drained (the same rule as `_prune`)."""
        self._once = {key: taken for key, taken in self._once.items() if taken[0] > (now - taken[1]) * taken[2]}
        self._prune_once_at = max(PRUNE_AT, 2 * len(self._once))

    async def take(
        self, book: RateBook, *, exchange: str, host: str, base_url: str, account: str, path: str, wait_s: float
    ) -> Wait | None:
        """Wait for this request's turn under every budget that applies; None when granted within ``wait_s``
        seconds, else the budget that was not (nothing is consumed from budgets not yet reached)."""
        own = book.paths.get(path)
        ip = book.ip
        if own is None and ip is None:
            return None
        deadline: list[float] = []  # taken when first needed: the immediate grants before it take no time
        share = float(max(1, self.ip_share))
        if own is not None:
            if own.scope is LimitScope.UID:
                granted = await self._grant((exchange, base_url, account, path), own, 1.0, wait_s, deadline)
            else:
                granted = await self._grant((exchange, host, host, path), own, share, wait_s, deadline)
            if not granted:
                return Wait(own, path)
        if ip is not None:
            amount = float(book.weights.get(path, 1)) * share
            if not await self._grant((exchange, host, "ip"), ip, amount, wait_s, deadline):
                return Wait(ip, path)
        return None

    async def _grant(
        self, key: tuple[str, ...], limit: RateLimit, amount: float, wait_s: float, deadline: list[float]
    ) -> bool:
        """Take ``amount`` from one budget: at once when it has the capacity, else waiting until the deadline."""
        limiter = self._limiters.get(key)
        if limiter is None:
            capacity, period = limit._bucket
            amount = min(amount, capacity)
            now = _asyncio().get_running_loop().time()
            taken = self._once.get(key)
            rate = capacity / period  # as aiolimiter drains: max_rate / time_period per second
            if taken is None or taken[0] <= (now - taken[1]) * rate:  # never taken, or drained since
                if len(self._once) >= self._prune_once_at:
                    self._prune_once(now)
                self._once[key] = (amount, now, rate)  # a drained bucket grants up to its capacity at once
                return True
            # Taken again before its bucket drained: a limiter from here on, holding the level left.
            del self._once[key]
            limiter = self._limiter(key, limit)
            await limiter.acquire(taken[0] - (now - taken[1]) * rate)  # immediate: an empty bucket, below capacity
        amount = min(amount, limiter.max_rate)
        if limiter.has_capacity(amount):
            await limiter.acquire(amount)  # immediate
            return True
        asyncio = _asyncio()
        loop = asyncio.get_running_loop()
        if not deadline:
            deadline.append(loop.time() + wait_s)
        try:
            await asyncio.wait_for(limiter.acquire(amount), max(0.0, deadline[0] - loop.time()))
        except TimeoutError:
            return False
        return True
