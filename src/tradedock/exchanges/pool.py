"""Process-wide connection pools: one long-lived ``httpx.AsyncClient`` per exchange origin, one SSL context, and
the rate budgets, shared by every adapter in the process.

What belongs here: building and caching the pooled clients (keep-alive, HTTP/2 over TLS when ``h2`` is installed
and the exchange offers it), the one SSL context (loading the CA bundle costs tens of milliseconds of CPU, so it
is built once), and `aclose_clients()` for shutdown. What does not: sending requests or mapping their outcome
(``http.py``), or the limits themselves (``budgets.py``).

httpx clients and aiolimiter limiters belong to the event loop they were first used on, so the pools are kept per
running loop; a server or a CLI command has one loop, so in practice one pool per process. A connection opened by
one verification is reused by the next, and concurrent requests over HTTP/2 share one connection (one handshake).
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import ssl
import weakref
from dataclasses import dataclass, field

import httpx

from tradedock.exchanges.budgets import Budgets

#: Idle kept-alive connections are closed after this long (exchanges' front ends keep them about a minute; closing
#: ours first avoids sending on a connection the server is closing).
KEEPALIVE_EXPIRY_S = 30.0
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=32, keepalive_expiry=KEEPALIVE_EXPIRY_S)


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """The one TLS context of the process (system/certifi CA bundle as httpx chooses it), built on first use."""
    return httpx.create_ssl_context()


@functools.cache
def http2_available() -> bool:
    return importlib.util.find_spec("h2") is not None


@dataclass
class LoopPool:
    """Clients and budgets of one event loop."""

    clients: dict[tuple[str, int], httpx.AsyncClient] = field(default_factory=dict)
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


def client_for(url: str, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The pooled client for ``url``'s origin (``transport``, the test seam, gets a client of its own)."""
    pool = loop_pool()
    key = (origin(url), id(transport) if transport is not None else 0)  # origin() is cached: no parse per request
    client = pool.clients.get(key)
    if client is None or client.is_closed:
        secure = key[0].startswith("https://")
        client = httpx.AsyncClient(
            transport=transport,
            verify=ssl_context(),  # also for http://: httpx would otherwise build (and load) a context per client
            http2=secure and http2_available(),
            limits=LIMITS,
            follow_redirects=False,
        )
        pool.clients[key] = client
    return client


async def aclose_clients() -> None:
    """Close the running loop's pooled clients (at shutdown); later requests open new ones. Budgets are kept."""
    pool = _POOLS.get(asyncio.get_running_loop())
    if pool is not None:
        clients = list(pool.clients.values())
        pool.clients.clear()  # the rate budgets stay: what was sent still counts against the exchange's limits
        for client in clients:
            await client.aclose()
