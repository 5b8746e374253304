"""Process-wide connection pools: one long-lived pooled transport (``netstream.PooledTransport``) per exchange
origin, one SSL context, and the rate budgets, shared by every adapter in the process.

What belongs here: building and caching the pooled transports (keep-alive HTTP/1.1), the one SSL context (loading
the CA bundle costs tens of milliseconds of CPU, so it is built once), `preconnect` and `aclose_clients()` for
shutdown. What does not: sending requests or mapping their outcome (``http.py``), or the limits themselves
(``budgets.py``).

Connections (asyncio transports) and aiolimiter limiters belong to the event loop they were first used on, so the
pools are kept per running loop; a server or a CLI command has one loop, so in practice one pool per process. A
connection opened by one verification is reused by the next.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import weakref
from dataclasses import dataclass, field

import httpx

from tradedock.exchanges.budgets import Budgets
from tradedock.exchanges.netstream import PooledTransport

#: Idle kept-alive connections are closed after this long (exchanges' front ends keep them about a minute; closing
#: ours first avoids sending on a connection the server is closing).
KEEPALIVE_EXPIRY_S = 30.0
#: Connections per exchange origin at most (in use or idle); a request beyond waits for one to free.
MAX_CONNECTIONS = 100


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """The one TLS context of the process (the certifi CA bundle, as httpx chooses it), built on first use; it
    offers HTTP/1.1 only (ALPN), the protocol the pooled transports speak."""
    context = httpx.create_ssl_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


@dataclass
class LoopPool:
    """Transports and budgets of one event loop."""

    transports: dict[str, PooledTransport] = field(default_factory=dict)
    budgets: Budgets = field(default_factory=Budgets)


_POOLS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopPool] = weakref.WeakKeyDictionary()


def loop_pool() -> LoopPool:
    """The pool of the running event loop."""
    loop = asyncio.get_running_loop()
    pool = _POOLS.get(loop)
    if pool is None:
        pool = _POOLS[loop] = LoopPool()
    return pool


@functools.lru_cache(maxsize=1024)
def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL: what a connection (and a per-IP budget) is for."""
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


def transport_for(
    host: str, seam: httpx.AsyncBaseTransport | None = None
) -> PooledTransport | httpx.AsyncBaseTransport:
    """The pooled transport for ``host`` (an `origin`); ``seam`` (`HttpOptions.transport`, the test seam, e.g. an
    ``httpx.ASGITransport``) is used as given and stays its owner's to close."""
    return seam if seam is not None else _pooled(host)


def _pooled(host: str) -> PooledTransport:
    pool = loop_pool()
    transport = pool.transports.get(host)
    if transport is None:
        transport = PooledTransport(ssl_context=ssl_context(), limit=MAX_CONNECTIONS, keepalive_s=KEEPALIVE_EXPIRY_S)
        pool.transports[host] = transport
    return transport


def preconnect(url: str, count: int, *, timeout_s: float | None = None) -> int:
    """Start opening the connections requests to ``url``'s origin will need, in the background and in parallel
    (up to ``count`` in all, counting those already open); see `netstream.PooledTransport.preconnect`. Returns how
    many were started: none on a warm pool."""
    host = origin(url)
    return _pooled(host).preconnect(host, count, timeout_s=timeout_s)


async def aclose_clients() -> None:
    """Close the running loop's pooled connections (at shutdown); later requests open new ones. Budgets are kept."""
    pool = _POOLS.get(asyncio.get_running_loop())
    if pool is not None:
        transports = list(pool.transports.values())
        pool.transports.clear()  # the rate budgets stay: what was sent still counts against the exchange's limits
        for transport in transports:
            await transport.aclose()
