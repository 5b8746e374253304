"""The connections under every exchange request: keep-alive HTTP/1.1 connections per origin (``h1.Connection``),
and spare connections opened ahead of the requests.

What belongs here: `PooledTransport` — which connection a request takes (an idle kept-alive one, else a spare
`preconnect` opened, TCP and TLS handshakes done, waiting for one still opening, else a new one), the connection
limit, keep-alive expiry, the DNS cache, timeouts (`Timeouts`) — and `send`, which returns an ``h1.Answer``. No
cookies, no proxies from the environment, no redirects followed, no automatic Content-Type. What does not: one
connection's bytes and parsing (``h1.py``), which origins exist and when they close (``pool.py``), or what is sent
and what an answer means (``http.py``).

Why hand-written on httptools, not a client library: a warm verification is 6–8 small requests over kept-alive
connections, and every µs per request is paid ~6 times per check. httpx + httpcore (pure-Python h11, request/URL
models, pool scans per request, encode/httpcore#1035) cost ~430 µs of CPU per request; aiohttp's ClientSession
(request/response models, its connector's bookkeeping, timers) 58–66 µs in a micro-benchmark (16 streams × 300 GETs
to the Bybit simulator, uvloop/asyncio) and ~90 µs per request in the fleet profile; this client, a protocol over
httptools' C parser writing each request's bytes itself, 26–33 µs in the same micro-benchmark, most of it the
socket's send and receive (docs/architecture.md, "Outbound HTTP"). HTTP/1.1 only: a verification's first round uses
up to `FIRST_ROUND_CONNECTIONS` kept-alive connections per host, opened in parallel, so a cold path pays its
handshakes once.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import os
import socket
import ssl
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tradedock.exchanges.h1 import Answer, Connection, TransportFault, request_bytes

#: A spare connection not taken within this long is closed instead (servers close idle connections after about a
#: minute; a spare is for the requests that follow right after it was asked for).
SPARE_TTL_S = 20.0
#: How long a host's resolved addresses are reused.
DNS_TTL_S = 60.0


@dataclass(frozen=True, slots=True)
class Timeouts:
    """A request's time limits (None: no limit)."""

    wait_s: float | None  # for a free connection when `PooledTransport`'s limit is reached
    connect_s: float | None  # for a new connection (DNS, TCP and TLS) or a spare still opening
    read_s: float | None  # between two reads of the answer, starting when the request is sent


@dataclass(frozen=True, slots=True)
class _Origin:
    host: str  # as resolved and sent by SNI: no brackets, lower case
    port: int
    secure: bool
    host_header: str
    literal: bool  # an IP address: nothing to resolve


@functools.lru_cache(maxsize=256)
def _origin(prefix: str) -> _Origin:
    """``scheme://host[:port]`` → where to connect and what to send as ``Host``."""
    parts = urlsplit(prefix)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise ValueError(f"not an http(s) origin: {prefix!r}")
    secure = parts.scheme == "https"
    default = 443 if secure else 80
    host = parts.hostname
    try:
        ipaddress.ip_address(host)
        literal = True
    except ValueError:
        literal = False
    host_header = f"[{host}]" if ":" in host else host
    if parts.port is not None and parts.port != default:
        host_header = f"{host_header}:{parts.port}"
    return _Origin(host, parts.port or default, secure, host_header, literal)


def _split(url: str) -> tuple[_Origin, str]:
    """An absolute URL → its origin and its request target (path and query string, byte for byte)."""
    start = url.find("://") + 3
    cut = url.find("/", start)
    if cut < 0:
        cut = len(url)
    query = url.find("?", start, cut)
    if query >= 0:
        cut = query
    target = url[cut:]
    if "#" in target:
        target = target.partition("#")[0]
    return _origin(url[:cut]), target if target.startswith("/") else "/" + target


@dataclass(slots=True)
class _Pool:
    """One origin's connections."""

    idle: deque[Connection] = field(default_factory=deque)  # kept alive between requests, oldest first
    opened: set[Connection] = field(default_factory=set)  # handed to a request once and still open
    spares: list[tuple[float, asyncio.Task[Connection]]] = field(default_factory=list)  # (started, opening)


class PooledTransport:
    """Keep-alive HTTP/1.1 connections to exchange origins: at most ``limit`` requests at once, idle connections
    closed after ``keepalive_s``, TLS with ``ssl_context`` (SNI: the URL's host)."""

    def __init__(self, *, ssl_context: ssl.SSLContext, limit: int, keepalive_s: float) -> None:
        self._ssl_context = ssl_context
        self._keepalive_s = keepalive_s
        self._slots = asyncio.Semaphore(limit)
        self._pools: dict[_Origin, _Pool] = {}
        self._dns: dict[tuple[str, int], tuple[float, asyncio.Task[list[tuple[int, tuple[str, int]]]]]] = {}
        self._sweep_timer: asyncio.TimerHandle | None = None

    def open_count(self, origin: str) -> int:
        """Connections to ``origin`` handed to requests that are still open (idle or in use); spares not counted."""
        pool = self._pools.get(_origin(origin))
        return len(pool.opened) if pool is not None else 0

    def preconnect(self, origin: str, count: int, *, timeout_s: float | None = None) -> int:
        """Open ``count`` connections to ``origin`` (``scheme://host[:port]``) ahead of the requests that will need
        them, in the background and in parallel, counting those already open or opening. Returns how many were
        started."""
        where = _origin(origin)
        pool = self._pool(where)
        loop = asyncio.get_running_loop()
        now = loop.time()
        if pool.spares:
            for born, task in list(pool.spares):
                if now - born > SPARE_TTL_S:
                    pool.spares.remove((born, task))
                    _close_spare(task)
        missing = max(0, count - len(pool.opened) - len(pool.spares))
        for _ in range(missing):
            task = loop.create_task(self._dial(where, timeout_s))
            task.add_done_callback(_quiet)
            pool.spares.append((now, task))
        return missing

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: str | bytes | None,
        timeout: Timeouts,  # noqa: ASYNC109 (three limits, applied where each belongs)
    ) -> Answer:
        """Send one request (``url`` already encoded: its query string leaves byte for byte) and read the answer.
        Raises `TimeoutError` for timeouts and `h1.TransportFault` for every other transport failure; never sends
        a request twice."""
        where, target = _split(url)
        data = body.encode() if isinstance(body, str) else body
        raw = request_bytes(method, target, where.host_header, headers, data)
        pool = self._pools.get(where) or self._pool(where)
        if self._slots.locked():
            async with asyncio.timeout(timeout.wait_s):
                await self._slots.acquire()
        else:
            await self._slots.acquire()  # free: returns at once
        try:
            connection = self._idle(pool) or await self._new(pool, where, timeout.connect_s)
            try:
                answer = await connection.exchange(raw, read_s=timeout.read_s, head_only=method == "HEAD")
            except BaseException:
                connection.close()  # half-read, timed out or cancelled: never reused
                raise
            if connection.reusable():
                self._keep(pool, connection)
            else:
                connection.close()
            return answer
        finally:
            self._slots.release()

    async def aclose(self) -> None:
        """Close every connection, spare and lookup; the transport is not used afterwards."""
        if self._sweep_timer is not None:
            self._sweep_timer.cancel()
            self._sweep_timer = None
        for pool in self._pools.values():
            for _, task in pool.spares:
                _close_spare(task)
            for connection in (*pool.idle, *pool.opened):
                connection.close()
        for _, lookup in self._dns.values():
            lookup.cancel()
        self._pools.clear()
        self._dns.clear()
        await asyncio.sleep(0)  # let the transports' close callbacks run

    # which connection a request takes

    def _pool(self, where: _Origin) -> _Pool:
        pool = self._pools.get(where)
        if pool is None:
            pool = self._pools[where] = _Pool()
        return pool

    def _idle(self, pool: _Pool) -> Connection | None:
        """The most recently used kept-alive connection still fit for a request; expired or closed ones are closed."""
        idle = pool.idle
        if not idle:
            return None
        oldest_kept = asyncio.get_running_loop().time() - self._keepalive_s
        while idle:
            connection = idle.pop()
            if connection.released_at > oldest_kept and connection.reusable():
                return connection
            connection.close()
        return None

    async def _new(self, pool: _Pool, where: _Origin, connect_s: float | None) -> Connection:
        """A spare (waiting for one still opening rather than dialling beside it), else a new connection."""
        spares = pool.spares
        loop = asyncio.get_running_loop()
        while spares:
            born, task = spares.pop(0)
            if loop.time() - born > SPARE_TTL_S:
                _close_spare(task)
                continue
            if not task.done():
                try:
                    async with asyncio.timeout(connect_s):
                        await asyncio.wait((task,))  # not cancelled if this request stops waiting
                except TimeoutError:
                    _close_spare(task)
                    raise TimeoutError(f"no connection within {connect_s:g} s") from None
            if task.cancelled() or task.exception() is not None:  # it failed or timed out opening: skipped
                continue
            connection = task.result()
            if connection.is_open():  # not closed by the server, nothing arrived unasked
                self._adopt(pool, connection)
                return connection
            connection.close()
        connection = await self._dial(where, connect_s)
        self._adopt(pool, connection)
        return connection

    def _adopt(self, pool: _Pool, connection: Connection) -> None:
        pool.opened.add(connection)
        connection.on_lost = pool.opened.discard

    def _keep(self, pool: _Pool, connection: Connection) -> None:
        """Back to the idle connections; the sweep closes it if no request takes it within the keep-alive time."""
        loop = asyncio.get_running_loop()
        connection.released_at = loop.time()
        pool.idle.append(connection)
        if self._sweep_timer is None:
            self._sweep_timer = loop.call_at(connection.released_at + self._keepalive_s, self._sweep)

    def _sweep(self) -> None:
        """Close the connections idle for longer than the keep-alive time; come back when the next one will be."""
        self._sweep_timer = None
        loop = asyncio.get_running_loop()
        oldest_kept = loop.time() - self._keepalive_s
        next_due: float | None = None
        for pool in self._pools.values():
            idle = pool.idle
            while idle and idle[0].released_at <= oldest_kept:
                idle.popleft().close()
            if idle:
                due = idle[0].released_at + self._keepalive_s
                next_due = due if next_due is None else min(next_due, due)
        if next_due is not None:
            self._sweep_timer = loop.call_at(next_due, self._sweep)

    # opening connections

    async def _dial(self, where: _Origin, timeout_s: float | None) -> Connection:
        """A new connection to ``where``, TCP and TLS handshakes done. `TimeoutError` past ``timeout_s``,
        `TransportFault` if no address of the host accepts it."""
        loop = asyncio.get_running_loop()
        factory = functools.partial(Connection, loop)
        tls = self._ssl_context if where.secure else None
        try:
            async with asyncio.timeout(timeout_s):
                addresses: list[tuple[int, tuple[str, int]]]
                if where.literal:
                    addresses = [(socket.AF_UNSPEC, (where.host, where.port))]
                else:
                    addresses = await self._resolve(where.host, where.port)
                failure: OSError | None = None
                for family, (address, port) in addresses:
                    try:
                        _, connection = await loop.create_connection(
                            factory,
                            address,
                            port,
                            family=family,
                            ssl=tls,
                            server_hostname=where.host if tls is not None else None,
                        )
                        return connection
                    except OSError as exc:
                        failure = exc
                raise failure or OSError(f"no address for {where.host}")
        except TimeoutError:
            raise
        except OSError as exc:  # refused, reset, unreachable, TLS failures (ssl.SSLError), DNS (socket.gaierror)
            raise TransportFault(f"could not connect to {where.host}:{where.port} ({_why(exc)})") from exc

    async def _resolve(self, host: str, port: int) -> list[tuple[int, tuple[str, int]]]:
        """``host``'s addresses, looked up once per `DNS_TTL_S` (concurrent dials share the lookup)."""
        loop = asyncio.get_running_loop()
        key = (host, port)
        entry = self._dns.get(key)
        if entry is None or entry[0] < loop.time():
            lookup = loop.create_task(_lookup(host, port))
            lookup.add_done_callback(_quiet)
            entry = self._dns[key] = (loop.time() + DNS_TTL_S, lookup)
        try:
            return await asyncio.shield(entry[1])
        except OSError:
            if self._dns.get(key) is entry:
                del self._dns[key]  # the next dial asks again
            raise


async def _lookup(host: str, port: int) -> list[tuple[int, tuple[str, int]]]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(family, (str(address[0]), int(address[1]))) for family, _, _, _, address in infos]


def _quiet(task: asyncio.Task[object]) -> None:
    """A spare or lookup that failed is skipped when taken; mark its exception retrieved so asyncio does not log it."""
    if not task.cancelled():
        task.exception()


def _close_spare(task: asyncio.Task[Connection]) -> None:
    """Close a spare now, or once it has opened; cancel it if still opening."""
    if not task.done():
        task.cancel()
    elif not task.cancelled() and task.exception() is None:
        task.result().close()


def _why(exc: OSError) -> str:
    """Why a connection could not be opened, in words: "Connection refused", not asyncio's "Connect call failed"."""
    if isinstance(exc, socket.gaierror):
        return f"the name does not resolve: {exc.strerror or exc}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc.reason or exc}"
    if exc.errno:
        return os.strerror(exc.errno)
    return str(exc) or type(exc).__name__
