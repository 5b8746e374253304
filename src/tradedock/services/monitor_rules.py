"""The monitor's pure rules: its policy, when a connection is checked next, and which expiry warning is due.

What belongs here: values and functions without I/O that `services.monitor` (the worker) and
`services.monitor_batch` (a batch's load and record) share. What does not: claims, transactions, events.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from tradedock.config import Settings
from tradedock.services.notifications import backoff

#: Days before a key's expiry at which `connection.key_expiring` is sent (once each).
EXPIRY_THRESHOLDS = (14, 7, 1)


@dataclass(frozen=True)
class MonitorPolicy:
    interval: timedelta = timedelta(hours=1)
    jitter: float = 0.1
    backoff_base: timedelta = timedelta(minutes=1)
    lease: timedelta = timedelta(minutes=5)
    #: How many due connections one claim statement leases, loaded in one query and recorded in one transaction.
    batch: int = 128
    #: How many verifications a worker runs at once (across its batches in flight).
    concurrency: int = 16
    #: Re-checks in a row that must find the exchange unreachable before a healthy connection is marked so (and
    #: ``connection.status_changed`` sent): 2 confirms an outage with the retry one backoff later; 1 reports at once.
    unreachable_after: int = 2

    @classmethod
    def from_settings(cls, settings: Settings) -> MonitorPolicy:
        return cls(
            interval=timedelta(seconds=settings.monitor_interval_s),
            jitter=settings.monitor_jitter,
            backoff_base=timedelta(seconds=settings.monitor_backoff_s),
            lease=timedelta(seconds=settings.monitor_lease_s),
            batch=settings.monitor_batch,
            unreachable_after=settings.monitor_unreachable_after,
        )


def next_regular(now: datetime, policy: MonitorPolicy, rng: random.Random) -> datetime:
    """The next check after a completed one: the interval, ± ``jitter`` of it at random."""
    factor = 1 + rng.uniform(-policy.jitter, policy.jitter)
    return now + policy.interval * factor


def next_after_failure(now: datetime, failures: int, policy: MonitorPolicy, rng: random.Random) -> datetime:
    """The next check after ``failures`` failed checks in a row: backoff from ``backoff_base``, doubling, never
    later than the regular interval."""
    return now + backoff(failures, policy.backoff_base, policy.interval, rng)


def expiry_level(now: datetime, expires_at: datetime | None) -> int | None:
    """The most urgent threshold reached: 0 (expired), 1, 7 or 14 days; ``None`` when further off or unknown."""
    if expires_at is None:
        return None
    left = expires_at - now
    if left <= timedelta(0):
        return 0
    reached = [days for days in EXPIRY_THRESHOLDS if left <= timedelta(days=days)]
    return min(reached) if reached else None
