"""The connections under every exchange request: one aiohttp session per exchange origin, over a connector that can
open connections ahead of the requests.

What belongs here: `PooledTransport` (an ``aiohttp.ClientSession`` with keep-alive, its C HTTP parser, no cookies,
no environment proxies, no automatic Content-Type; `send` returns a small `Answer`) and `SpareConnector`, the
``aiohttp.TCPConnector`` that hands requests the connections `preconnect` opened (TCP and TLS handshakes done)
before it dials new ones. What does not: which origins exist and when they close (``pool.py``), or what is sent and
what an answer means (``http.py``).

Why aiohttp and not httpx/httpcore underneath: a warm verification is 6–8 small requests over kept-alive
connections, and httpx + httpcore (pure-Python h11 parsing, request/URL models, the connection pool's scans of its
connections before and after every request — encode/httpcore#1035) cost ~430 µs of CPU per request against
~120 µs for aiohttp (measured in-process against the simulators; see bench/NOTES.md). aiohttp speaks HTTP/1.1 only:
a verification's first round uses up to `FIRST_ROUND_CONNECTIONS` kept-alive connections per host instead of one
multiplexed HTTP/2 connection, opened in parallel, so a cold path still pays its handshakes once.
"""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
import weakref
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp.client_proto import ResponseHandler
from multidict import CIMultiDictProxy
from yarl import URL

#: A spare connection not taken within this long is closed instead (servers close idle connections after about a
#: minute; a spare is for the requests that follow right after it was asked for).
SPARE_TTL_S = 20.0

_SpareKey = tuple[str, int, bool]


class Answer:
    """One response, read in full: status, headers (case-insensitive ``get``) and body (decompressed)."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: CIMultiDictProxy[str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class SpareConnector(aiohttp.TCPConnector):
    """aiohttp's TCP connector, plus spare connections opened ahead of time (`preconnect`), which a request needing
    a new connection takes (waiting for one still opening) before dialling its own."""

    def __init__(self, *, ssl_context: ssl.SSLContext, limit: int, keepalive_s: float) -> None:
        super().__init__(ssl=ssl_context, limit=limit, keepalive_timeout=keepalive_s, ttl_dns_cache=60)
        self._ssl_context = ssl_context
        self._spare: dict[_SpareKey, list[tuple[float, asyncio.Task[ResponseHandler]]]] = {}
        self._made: dict[_SpareKey, weakref.WeakSet[ResponseHandler]] = {}

    def open_count(self, key: _SpareKey) -> int:
        """Connections to ``key`` this connector made that are still open (idle in the pool or in use)."""
        return sum(1 for proto in self._made.get(key, ()) if proto.is_connected())

    def preconnect(self, key: _SpareKey, count: int, *, timeout_s: float | None) -> int:
        """Start opening connections (and their TLS handshakes) to ``key`` = (host, port, TLS) in the background
        until ``count`` are open or opening; return how many were started."""
        spare = self._spare.setdefault(key, [])
        loop = asyncio.get_running_loop()
        for born, task in list(spare):
            if loop.time() - born > SPARE_TTL_S:
                spare.remove((born, task))
                task.add_done_callback(_close_spare)
        missing = max(0, count - self.open_count(key) - len(spare))
        for _ in range(missing):
            task = loop.create_task(self._dial(key, timeout_s))
            task.add_done_callback(_quiet)
            spare.append((loop.time(), task))
        return missing

    async def _dial(self, key: _SpareKey, timeout_s: float | None) -> ResponseHandler:
        host, port, secure = key
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout_s):
            _, proto = await loop.create_connection(
                functools.partial(ResponseHandler, loop=loop),
                host,
                port,
                ssl=self._ssl_context if secure else None,
                server_hostname=host if secure else None,
            )
        return proto

    async def _create_connection(
        self,
        req: Any,
        traces: Any,
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 (aiohttp's signature)
    ) -> ResponseHandler:
        key: _SpareKey = (req.host, req.port, req.is_ssl())
        spare = self._spare.get(key)
        loop = asyncio.get_running_loop()
        while spare and not req.proxy:
            born, task = spare.pop(0)
            if loop.time() - born > SPARE_TTL_S:
                task.add_done_callback(_close_spare)
                continue
            try:
                async with asyncio.timeout(timeout.sock_connect):
                    proto = await asyncio.shield(task)  # a spare still opening is ahead of a new dial
            except TimeoutError:
                task.add_done_callback(_close_spare)
                raise aiohttp.ConnectionTimeoutError(f"no connection within {timeout.sock_connect} s") from None
            except (OSError, ssl.SSLError):
                continue
            if proto.is_connected() and not proto.should_close:  # not closed by the server, nothing arrived unasked
                self._made.setdefault(key, weakref.WeakSet()).add(proto)
                return proto
            proto.close()
        proto = await super()._create_connection(req, traces, timeout)
        self._made.setdefault(key, weakref.WeakSet()).add(proto)
        return proto

    async def close(self, *, abort_ssl: bool = False) -> None:
        for spare in self._spare.values():
            for _, task in spare:
                task.add_done_callback(_close_spare)
        self._spare.clear()
        await super().close(abort_ssl=abort_ssl)


def _quiet(task: asyncio.Task[ResponseHandler]) -> None:
    """A spare that failed to open is skipped when taken; mark its exception retrieved so asyncio does not log it."""
    if not task.cancelled():
        task.exception()


def _close_spare(task: asyncio.Task[ResponseHandler]) -> None:
    if task.cancelled() or task.exception() is not None:
        return
    task.result().close()


class PooledTransport:
    """The process's connections to one exchange origin: an aiohttp session over a `SpareConnector`."""

    def __init__(self, *, ssl_context: ssl.SSLContext, limit: int, keepalive_s: float) -> None:
        self.connector = SpareConnector(ssl_context=ssl_context, limit=limit, keepalive_s=keepalive_s)
        self.session = aiohttp.ClientSession(
            connector=self.connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # exchange APIs authenticate by signature, never by cookie
            trust_env=False,  # no proxy from the environment: requests leave from the egress IP traders whitelist
            skip_auto_headers=("Content-Type",),  # as httpx: a body's type is the caller's header, or none
            auto_decompress=True,
        )

    def preconnect(self, origin: str, count: int, *, timeout_s: float | None = None) -> int:
        """Open ``count`` connections to ``origin`` (``scheme://host[:port]``) ahead of the requests that will need
        them, counting those already open. Returns how many were started."""
        url = URL(origin)
        secure = url.scheme == "https"
        port = url.port or (443 if secure else 80)
        return self.connector.preconnect((url.raw_host or "", port, secure), count, timeout_s=timeout_s)

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: str | bytes | None,
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 (aiohttp's per-request timeouts)
    ) -> Answer:
        """Send one request (``url`` already encoded: its query string leaves byte for byte) and read the answer.
        Raises aiohttp's exceptions (`TimeoutError` subclasses for timeouts, `aiohttp.ClientError` otherwise)."""
        data = body.encode() if isinstance(body, str) else body
        async with self.session.request(
            method, URL(url, encoded=True), headers=headers, data=data, timeout=timeout, allow_redirects=False
        ) as response:
            content = await response.read()
            return Answer(response.status, response.headers, content)

    async def aclose(self) -> None:
        await self.session.close()
