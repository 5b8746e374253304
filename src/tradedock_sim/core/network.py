"""The network model: what opening a TCP connection (and its TLS handshake) costs before the first request.

Belongs here: `NetworkModel` (the handshake setting, the connections seen, the delay a request pays). Does not
belong here: the `/_sim/network` control route (``control.py``), per-request latency or errors (``faults.py``), or
when the delay is applied (``middleware.py``).

A real client pays one round trip for TCP's SYN/SYN-ACK, then one more for a TLS 1.3 handshake or two for TLS 1.2,
before its first request on a new connection can even be sent; later requests on the same (kept-alive)
connection pay nothing extra. The simulators speak plain HTTP on loopback, where all of that is free, so the model
charges it: the first request seen on a new connection waits ``handshake round trips × round_trip_ms``. A
connection is identified by the ASGI scope's ``client`` (peer host, port), which is one TCP connection under
uvicorn. ``round_trip_ms`` defaults to the fault latency (`POST /_sim/faults` ``latency_ms``), which is what one
request/response exchange costs in the simulator.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Round trips a new connection costs before its first request, per handshake model.
HANDSHAKE_ROUNDS: Mapping[str, int] = {"none": 0, "tcp": 1, "tls1.3": 2, "tls1.2": 3}
#: How many connections are remembered; the oldest are forgotten first (a port reused after that pays again).
MAX_REMEMBERED_CONNECTIONS = 65_536


@dataclass
class NetworkModel:
    """The handshake setting of one simulated exchange and the TCP connections it has seen."""

    handshake: str = "none"
    #: One round trip in ms; None = the fault latency (``FaultConfig.latency_ms``).
    round_trip_ms: int | None = None
    #: New connections seen on exchange paths since the last reset (counted whatever the handshake setting).
    connections: int = 0
    _seen: OrderedDict[tuple[str, int], None] = field(default_factory=OrderedDict, repr=False)

    def first_request(self, client: Any) -> bool:
        """Record a request from ASGI ``client`` (host, port); True when it is the first on that connection."""
        if not isinstance(client, tuple | list) or len(client) != 2:
            return False
        peer = (str(client[0]), int(client[1]))
        if peer in self._seen:
            self._seen.move_to_end(peer)
            return False
        self._seen[peer] = None
        if len(self._seen) > MAX_REMEMBERED_CONNECTIONS:
            self._seen.popitem(last=False)
        self.connections += 1
        return True

    def handshake_ms(self, latency_ms: int) -> int:
        """What a new connection costs before its first request, given the current fault latency."""
        rtt = latency_ms if self.round_trip_ms is None else self.round_trip_ms
        return HANDSHAKE_ROUNDS[self.handshake] * rtt

    def to_json(self, latency_ms: int) -> dict[str, Any]:
        return {
            "handshake": self.handshake,
            "round_trip_ms": self.round_trip_ms,
            "handshake_ms": self.handshake_ms(latency_ms),
            "connections": self.connections,
        }
