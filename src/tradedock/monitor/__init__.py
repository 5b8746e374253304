"""The monitor shell: the loop that runs `services.monitor` rounds, in `tradedock serve` or `tradedock worker`.

What belongs here: running rounds until told to stop, sleeping when nothing is due, surviving any error of one
round. What does not: rules (services.monitor, services.notifications). Imports services and config only.
"""

from tradedock.monitor.runner import MonitorRunner

__all__ = ["MonitorRunner"]
