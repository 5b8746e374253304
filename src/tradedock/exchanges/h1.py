"""One HTTP/1.1 client connection: an ``asyncio.Protocol`` that writes a request's bytes and parses the answer with
httptools (llhttp, the C parser uvicorn uses), and the `Answer` it gives back.

What belongs here: the request's bytes (`request_bytes`), `Connection` (one request at a time; read timeout
between two reads; Content-Length, chunked and read-until-close bodies; gzip/deflate decoded; whether the
connection may carry another request), `Answer`, `Headers` and `TransportFault`. What does not: which connection a
request takes, opening connections, keep-alive expiry, spares (``netstream.py``).

A connection is reusable only when its answer was read in full, the server did not ask to close it (``Connection:
close``, HTTP/1.0), it is still open and nothing arrived that was not asked for; anything else closes it.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

import httptools

#: Methods whose request always states its body's length, even an empty one (as aiohttp and httpx send them).
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class TransportFault(Exception):
    """A request failed below HTTP: the connection was refused, reset or closed early, TLS failed, or the answer was
    malformed. The request may have reached the server."""


class Headers(Mapping[str, str]):
    """An answer's headers: names case-insensitive; a header sent twice keeps its first value."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values  # lower-case names

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Headers({self._values!r})"


class Answer:
    """One response, read in full: status, headers (case-insensitive ``get``) and body (decompressed)."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: Headers, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


def request_bytes(method: str, target: str, host: str, headers: Mapping[str, str], body: bytes | None) -> bytes:
    """The bytes of one request: ``target`` (path and query string, already encoded) is sent as given; ``Host`` is
    ours, the other headers the caller's; ``Content-Length`` when there is a body (or the method expects one)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None or method in _BODY_METHODS:
        lines.append(f"Content-Length: {len(body) if body else 0}")
    head = "\r\n".join(lines)
    if head.count("\n") != len(lines) - 1 or head.count("\r") != len(lines) - 1 or " " in target:
        raise ValueError("a header or the request target contains a line break or a space")
    raw = (head + "\r\n\r\n").encode()
    return raw + body if body else raw


def _decoded(encoding: str, content: bytes) -> bytes:
    """The body of an answer sent with ``Content-Encoding: encoding``; an encoding we did not offer is left as is."""
    encoding = encoding.strip().lower()
    if not content or encoding == "identity":
        return content
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(content, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            try:
                return zlib.decompress(content)  # zlib-wrapped, as the RFC says
            except zlib.error:
                return zlib.decompress(content, -zlib.MAX_WBITS)  # raw deflate, as some servers send it
    except zlib.error as exc:
        raise TransportFault(f"the answer's {encoding} body could not be decoded ({exc})") from None
    return content


class Connection(asyncio.Protocol):
    """One kept-alive HTTP/1.1 connection carrying one request at a time (`exchange`)."""

    __slots__ = (
        "_answer",
        "_body",
        "_broken",
        "_head_only",
        "_headers",
        "_headers_done",
        "_keep_alive",
        "_last_read",
        "_loop",
        "_parser",
        "_read_s",
        "_timer",
        "_transport",
        "on_lost",
        "released_at",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._answer: asyncio.Future[Answer] | None = None  # the answer being read; None between requests
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._headers_done = False
        self._head_only = False
        self._keep_alive = False
        self._broken = False
        self._read_s: float | None = None
        self._last_read = 0.0
        self._timer: asyncio.TimerHandle | None = None
        #: Called once when the connection closes (the pool forgets it).
        self.on_lost: Callable[[Connection], None] | None = None
        #: When the connection last went idle (`loop.time()`), for keep-alive expiry.
        self.released_at = 0.0

    # The connection's state, as the pool asks for it.

    def reusable(self) -> bool:
        """Open, its last answer read in full, the server keeps it alive, nothing arrived unasked."""
        transport = self._transport
        return (
            self._keep_alive
            and not self._broken
            and self._answer is None
            and transport is not None
            and not transport.is_closing()
        )

    def is_open(self) -> bool:
        """Open and never used, or `reusable` (what a spare must be to be handed to a request)."""
        transport = self._transport
        return not self._broken and self._answer is None and transport is not None and not transport.is_closing()

    def close(self) -> None:
        self._broken = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._transport is not None:
            self._transport.close()
        self._forget()

    async def exchange(self, raw: bytes, *, read_s: float | None, head_only: bool = False) -> Answer:
        """Send one request's bytes and read its answer. ``read_s`` bounds the wait for each read of the answer
        (`TimeoutError`); `TransportFault` if the connection fails. The caller closes the connection on either."""
        assert self._transport is not None and self._answer is None, "one request at a time on a connection"
        if self._broken or self._transport.is_closing():  # closed while it was being handed over: nothing sent
            raise TransportFault("the connection closed before the request was sent")
        loop = self._loop
        answer: asyncio.Future[Answer] = loop.create_future()
        self._answer = answer
        self._headers = {}
        self._body = []
        self._headers_done = self._keep_alive = False
        self._head_only = head_only
        self._transport.write(raw)
        self._read_s = read_s
        if read_s is not None:
            now = self._last_read = loop.time()
            # One timer per connection, kept armed across requests (each firing re-arms it from the last read while
            # an answer is awaited): no timer scheduled and cancelled per request.
            timer = self._timer
            if timer is None or timer.when() > now + read_s:
                if timer is not None:
                    timer.cancel()
                self._timer = loop.call_at(now + read_s, self._check_read)
        try:
            return await answer
        finally:
            self._answer = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio.Transport instances

    def data_received(self, data: bytes) -> None:
        answer = self._answer
        if answer is None or answer.done():  # bytes nobody asked for: the connection is out of step
            self.close()
            return
        self._last_read = self._loop.time()
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            self._fail(TransportFault(f"malformed answer ({type(exc).__name__})"))

    def eof_received(self) -> None:
        return None  # the server closed its side: close ours (connection_lost follows)

    def connection_lost(self, exc: Exception | None) -> None:
        self._broken = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        answer = self._answer
        if answer is not None and not answer.done():
            if self._headers_done and self._until_close():
                self._finish()
            else:
                self._fail(TransportFault("the server closed the connection before its answer was complete"))
        self._forget()

    # httptools callbacks

    def on_message_begin(self) -> None:
        answer = self._answer
        if answer is None or answer.done():  # a second answer to one request: parsed aside, then the connection ends
            self._broken = True
            self._headers = {}
            self._body = []

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        if key not in self._headers:
            self._headers[key] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self._headers_done = True
        if self._head_only and self._parser.get_status_code() >= 200:
            self._broken = True  # llhttp would wait for the body a HEAD answer never has: this connection ends here
            self._finish()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._parser.get_status_code() < 200:  # 1xx: an interim answer, the real one follows
            self._headers = {}
            self._headers_done = False
            return
        self._keep_alive = self._parser.should_keep_alive()
        self._finish()

    # internals

    def _forget(self) -> None:
        """Tell the pool, once, that this connection is closed."""
        if self.on_lost is not None:
            on_lost, self.on_lost = self.on_lost, None
            on_lost(self)

    def _until_close(self) -> bool:
        """The answer's body is delimited by the server closing the connection (no length, not chunked)."""
        headers = self._headers
        return "content-length" not in headers and "chunked" not in headers.get("transfer-encoding", "").lower()

    def _finish(self) -> None:
        answer = self._answer
        if answer is None or answer.done():
            return
        body = self._body
        content = body[0] if len(body) == 1 else b"".join(body)
        encoding = self._headers.get("content-encoding")
        if encoding is not None:
            try:
                content = _decoded(encoding, content)
            except TransportFault as exc:
                self._fail(exc)
                return
        answer.set_result(Answer(self._parser.get_status_code(), Headers(self._headers), content))

    def _fail(self, exc: BaseException) -> None:
        answer = self._answer
        if answer is not None and not answer.done():
            answer.set_exception(exc)
        self.close()

    def _check_read(self) -> None:
        self._timer = None
        answer, read_s = self._answer, self._read_s
        if answer is None or answer.done() or read_s is None:
            return
        due = self._last_read + read_s
        if self._loop.time() < due:  # data arrived since the timer was set: wait the rest from the last read
            self._timer = self._loop.call_at(due, self._check_read)
            return
        self._fail(TimeoutError(f"no data from the server within {read_s:g} s"))
