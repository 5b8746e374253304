"""One exchange server-time reading shared by the verifications of a monitor batch.

What belongs here: `SharedServerTime`, which a caller passes to `verify()` so that the verifications it runs share
one reading per exchange host (exchange, environment, flavour): the first to need it sends the public time request,
those arriving while it is in flight wait for the same answer, and later ones reuse a successful reading for at
most `REUSE_MS`. An exchange's clock is a fact about its host, not about a key, and the offset between two clocks
does not move in a few seconds, so the clock check and the timestamp retry judge and compensate exactly as with a
reading of their own. A failed reading is handed to the verifications that waited for it (each judges it as its
own failed reading) and is not kept: the next one asks again. What does not: judging the reading (the engine and
the clock check do) or the request itself (the adapter's ``server_time``).

Only the monitor's scheduled re-checks share readings; an interactive check (CLI, API, dashboard) measures fresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable

from tradedock.clock import Clock
from tradedock.domain import ServerTime

#: How long a successful reading is reused (measured from when its request was sent).
REUSE_MS = 5_000


class SharedServerTime:
    """Server-time readings per host, shared while in flight and reused for `REUSE_MS` once read."""

    def __init__(self, clock: Clock, reuse_ms: int = REUSE_MS) -> None:
        self._clock = clock
        self._reuse_ms = reuse_ms
        #: host → (when the reading was asked for, in ms; the reading, done or in flight)
        self._readings: dict[Hashable, tuple[int, asyncio.Future[ServerTime]]] = {}

    def ready(self, host: Hashable) -> ServerTime | None:
        """The host's fresh successful reading, if there is one (no request, no waiting)."""
        entry = self._readings.get(host)
        if entry is None:
            return None
        asked_ms, reading = entry
        if not reading.done() or reading.cancelled() or reading.exception() is not None:
            return None
        if self._clock.now_ms() - asked_ms > self._reuse_ms:
            return None
        return reading.result()

    async def read(self, host: Hashable, measure: Callable[[], Awaitable[ServerTime]]) -> ServerTime:
        """The host's shared reading: the one in flight, a fresh successful one, or a new one from ``measure``.
        Raises what ``measure`` raised for every caller that waited for that reading."""
        now = self._clock.now_ms()
        entry = self._readings.get(host)
        if entry is None or _spent(entry[1]) or now - entry[0] > self._reuse_ms:
            entry = (now, asyncio.ensure_future(measure()))
            self._readings[host] = entry
        # Shielded: one verification cancelled does not cancel the reading the others wait for.
        return await asyncio.shield(entry[1])


def _spent(reading: asyncio.Future[ServerTime]) -> bool:
    """A reading that failed: never handed to a later caller."""
    return reading.done() and (reading.cancelled() or reading.exception() is not None)
