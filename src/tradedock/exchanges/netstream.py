"""httpcore's network layer on plain asyncio protocols: the sockets under every pooled exchange connection.

What belongs here: `AsyncioBackend` (opens TCP connections, upgrades them to TLS) and its stream, implementing
httpcore's ``AsyncNetworkBackend``/``AsyncNetworkStream`` interface, and `PooledTransport`, the
``httpx.AsyncHTTPTransport`` that uses them. What does not: which connections exist or how long they live
(``pool.py``, httpcore's pool), or what is sent on them (``http.py``).

Why not httpcore's default (anyio) backend: before every request httpcore asks each pooled connection whether its
socket became readable while idle (a closed connection), and anyio answers that by building its typed-attribute
table and polling the socket each time. Over a warm pool that bookkeeping cost more CPU than sending the request.
Here the protocol already knows: data or end-of-file arrived while idle, or not. Reads, writes, TLS and timeouts
are asyncio's own; failures map to httpcore's exceptions, which httpx maps to its own as for any transport.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

_SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


class _Protocol(asyncio.Protocol):
    """Collects what arrives and wakes the one reader; tracks end-of-file and write flow control."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.on_lost: Callable[[], None] | None = None  # the backend's count of live connections
        self.buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self.reader: asyncio.Future[None] | None = None
        self.writable: asyncio.Future[None] | None = None  # set while the transport asked us to pause writing

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._wake_reader()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake_reader()
        return False  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake_reader()
        self.resume_writing()
        on_lost, self.on_lost = self.on_lost, None
        if on_lost is not None:
            on_lost()

    def pause_writing(self) -> None:
        if self.writable is None:
            self.writable = self.loop.create_future()

    def resume_writing(self) -> None:
        waiter, self.writable = self.writable, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_reader(self) -> None:
        waiter, self.reader = self.reader, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection (plain TCP, or TLS after `start_tls`)."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol, *, tls_ready: bool = False) -> None:
        self._transport = transport
        self._protocol = protocol
        self._tls_ready = tls_ready  # opened ahead of time with TLS already done (`AsyncioBackend.preconnect`)

    @property
    def usable(self) -> bool:
        """Open, and nothing arrived unasked (a spare connection the server closed or wrote to is not reused)."""
        return not (self._transport.is_closing() or self._protocol.eof or self._protocol.buffer)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109 (httpcore's API)
        protocol = self._protocol
        if not protocol.buffer and not protocol.eof:
            protocol.reader = waiter = protocol.loop.create_future()
            try:
                async with asyncio.timeout(timeout):
                    await waiter
            except TimeoutError:
                raise httpcore.ReadTimeout(f"no data within {timeout} s") from None
        if protocol.buffer:
            data = bytes(protocol.buffer[:max_bytes])
            del protocol.buffer[:max_bytes]
            return data
        if protocol.error is not None:
            raise httpcore.ReadError(str(protocol.error) or type(protocol.error).__name__)
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        if not buffer:
            return
        if self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        waiter = self._protocol.writable
        if waiter is not None:
            try:
                async with asyncio.timeout(timeout):
                    await waiter
            except TimeoutError:
                raise httpcore.WriteTimeout(f"could not write within {timeout} s") from None

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> httpcore.AsyncNetworkStream:
        if self._tls_ready:
            return self
        loop = self._protocol.loop
        try:
            async with asyncio.timeout(timeout):
                tls = await loop.start_tls(
                    self._transport, self._protocol, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError:
            self._transport.close()
            raise httpcore.ConnectTimeout(f"TLS handshake not done within {timeout} s") from None
        except (OSError, ssl.SSLError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from None
        if tls is None:  # pragma: no cover - only for transports that cannot do TLS
            raise httpcore.ConnectError("the connection could not be upgraded to TLS")
        return AsyncioStream(tls, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # asked of every idle pooled connection before each request: keep it cheap
            return self._protocol.eof or bool(self._protocol.buffer)
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens connections with ``loop.create_connection`` (asyncio sets TCP_NODELAY on TCP sockets), and keeps
    spare ones opened ahead of time (`preconnect`) for httpcore to take before opening new ones."""

    def __init__(self) -> None:
        self._spare: dict[tuple[str, int], list[tuple[float, asyncio.Task[AsyncioStream]]]] = {}
        self._live: dict[tuple[str, int], int] = {}  # connections handed to httpcore and still open

    def preconnect(
        self, host: str, port: int, count: int, *, tls: ssl.SSLContext | None, timeout_s: float | None
    ) -> int:
        """Start opening connections (and their TLS handshakes) to ``host:port`` in the background until
        ``count`` are open or opening; return how many were started. Handshakes then overlap whatever the caller
        does before its requests, and run in parallel. A spare not taken within `SPARE_TTL_S` is closed."""
        key = (host, port)
        spare = self._spare.setdefault(key, [])
        loop = asyncio.get_running_loop()
        for born, task in list(spare):
            if loop.time() - born > SPARE_TTL_S:
                spare.remove((born, task))
                task.add_done_callback(_close_spare)
        missing = max(0, count - self._live.get(key, 0) - len(spare))
        for _ in range(missing):
            task = loop.create_task(self._dial(host, port, timeout_s, tls=tls))
            task.add_done_callback(_quiet)
            spare.append((loop.time(), task))
        return missing

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        key = (host, port)
        spare = self._spare.get(key)
        loop = asyncio.get_running_loop()
        while spare and local_address is None and not socket_options:
            born, task = spare.pop(0)
            if loop.time() - born > SPARE_TTL_S:
                task.add_done_callback(_close_spare)
                continue
            try:
                async with asyncio.timeout(timeout):
                    stream = await asyncio.shield(task)  # a spare still opening is ahead of a new dial
            except TimeoutError:
                task.add_done_callback(_close_spare)
                raise httpcore.ConnectTimeout(f"no connection within {timeout} s") from None
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue
            if stream.usable:
                return self._adopt(key, stream)
            await stream.aclose()
        stream = await self._dial(host, port, timeout, local_address=local_address, socket_options=socket_options)
        return self._adopt(key, stream)

    def _adopt(self, key: tuple[str, int], stream: AsyncioStream) -> AsyncioStream:
        self._live[key] = self._live.get(key, 0) + 1

        def lost() -> None:
            self._live[key] -= 1

        stream._protocol.on_lost = lost
        return stream

    async def _dial(
        self,
        host: str,
        port: int,
        timeout_s: float | None,
        *,
        tls: ssl.SSLContext | None = None,
        local_address: str | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> AsyncioStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout_s):
                transport, protocol = await loop.create_connection(
                    lambda: _Protocol(loop), host, port, local_addr=local
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection within {timeout_s} s") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from None
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            if isinstance(sock, socket.socket):
                sock.setsockopt(*option)
        stream = AsyncioStream(transport, protocol)
        if tls is None:
            return stream
        secured = await stream.start_tls(tls, server_hostname=host, timeout=timeout_s)
        assert isinstance(secured, AsyncioStream)
        secured._tls_ready = True
        return secured

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - exchanges are reached over TCP
        raise httpcore.ConnectError("unix sockets are not used for exchange connections")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def aclose(self) -> None:
        """Close the spare connections nobody took."""
        for spare in self._spare.values():
            for _, task in spare:
                task.add_done_callback(_close_spare)
        self._spare.clear()


#: A spare connection not taken within this long is closed instead (servers close idle connections after about a
#: minute; a spare is for the requests that follow right after it was asked for).
SPARE_TTL_S = 20.0


def _quiet(task: asyncio.Task[AsyncioStream]) -> None:
    """A spare that failed to open is skipped when taken; mark its exception retrieved so asyncio does not log it."""
    if not task.cancelled():
        task.exception()


def _close_spare(task: asyncio.Task[AsyncioStream]) -> None:
    if task.cancelled() or task.exception() is not None:
        return
    task.result()._transport.close()


class PooledTransport(httpx.AsyncHTTPTransport):
    """httpx's HTTP transport (its request/response mapping and error translation) over httpcore's connection
    pool with `AsyncioBackend` underneath."""

    def __init__(self, *, ssl_context: ssl.SSLContext, http2: bool, limits: httpx.Limits) -> None:
        super().__init__(verify=ssl_context, http2=http2, limits=limits)
        self._ssl_context = ssl_context
        self._http2 = http2
        self._backend = AsyncioBackend()
        # httpx builds the same pool but offers no network_backend option; replace it before first use.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=self._backend,
        )

    def preconnect(self, origin: str, count: int, *, timeout_s: float | None = None) -> int:
        """Open connections to ``origin`` (``scheme://host[:port]``) ahead of the requests that will need them:
        over TLS with HTTP/2 one (every request shares it), else ``count``. Returns how many were started."""
        url = httpx.URL(origin)
        secure = url.scheme == "https"
        tls = None
        if secure:
            tls = self._ssl_context
            # What httpcore sets before its own handshakes on this (shared) context: the same ALPN offer.
            tls.set_alpn_protocols(["http/1.1", "h2"] if self._http2 else ["http/1.1"])
        port = url.port or (443 if secure else 80)
        wanted = 1 if secure and self._http2 else count
        return self._backend.preconnect(url.host, port, wanted, tls=tls, timeout_s=timeout_s)

    async def aclose(self) -> None:
        await self._backend.aclose()
        await super().aclose()
