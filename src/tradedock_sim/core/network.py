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

The handshake starts when the client connects, not when it sends its first request: the servers record when they
accepted each connection (`connection_accepted`, called by ``server.py``'s protocol), and the first request pays
only what is left of the handshake, ``max(0, accepted + handshake − now)``. A client that opens its connections
ahead of time (while it does local work) therefore gains exactly what it would over a real network. Requests
without a recorded accept (in-process ASGI tests) pay the whole handshake.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Round trips a new connection costs before its first request, per handshake model.
HANDSHAKE_ROUNDS: Mapping[str, int] = {"none": 0, "tcp": 1, "tls1.3": 2, "tls1.2": 3}
#: How many connections are remembered; the oldest are forgotten first (a port reused after that pays again).
MAX_REMEMBERED_CONNECTIONS = 65_536


#: When each live TCP connection was accepted (``time.monotonic()``), by peer (host, port); one registry per
#: process (a client's (host, port) names one connection, whichever simulator it reached).
_ACCEPTED: OrderedDict[tuple[str, int], float] = OrderedDict()


def connection_accepted(peer: Any) -> None:
    """Record that a connection from ``peer`` (host, port, ...) was accepted now."""
    if isinstance(peer, tuple | list) and len(peer) >= 2:
        _ACCEPTED[(str(peer[0]), int(peer[1]))] = time.monotonic()
        if len(_ACCEPTED) > MAX_REMEMBERED_CONNECTIONS:
            _ACCEPTED.popitem(last=False)


def connection_closed(peer: Any) -> None:
    """Forget ``peer``'s accept time when its connection closes without a request (a later connection from the
    same port must not inherit it)."""
    if isinstance(peer, tuple | list) and len(peer) >= 2:
        _ACCEPTED.pop((str(peer[0]), int(peer[1])), None)


def _accepted_at(peer: tuple[str, int]) -> float | None:
    return _ACCEPTED.pop(peer, None)


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

    def handshake_left_ms(self, client: Any, latency_ms: int) -> int:
        """What the first request on ``client``'s new connection still waits: the handshake minus the time since
        the connection was accepted (the whole handshake when no accept was recorded)."""
        full = self.handshake_ms(latency_ms)
        accepted = _accepted_at((str(client[0]), int(client[1]))) if isinstance(client, tuple | list) else None
        if accepted is None or not full:
            return full
        return max(0, round(full - (time.monotonic() - accepted) * 1000))

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
