"""The pooled transport (``exchanges/netstream.py`` over ``h1.Connection``) against a real server on loopback: plain
TCP and TLS, connection reuse, a connection the server closed while idle, timeouts, refused connections, connections
opened ahead of the requests (`preconnect`), and the answers a server may send (chunked, compressed, read until
close, ``Connection: close``, cut off, stalled, out of step)."""

from __future__ import annotations

import asyncio
import datetime
import gzip
import ipaddress
import ssl
import zlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tradedock.errors import ExchangeTimeoutError
from tradedock.exchanges import netstream, pool
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.h1 import Answer, TransportFault
from tradedock.exchanges.http import ExchangeHttp
from tradedock.exchanges.netstream import PooledTransport, Timeouts

#: What a scripted server sends for one request: given the connection's number and the request's bytes, the answer's
#: bytes, or None to close the connection without answering.
Script = Callable[[int, bytes], bytes | None]


class Server:
    """A minimal HTTP/1.1 server: answers each request with its connection number (or as ``script`` says);
    ``close_after`` closes the connection once that answer is sent; ``silent`` never answers. ``requests`` are the
    requests' bytes as received."""

    def __init__(self) -> None:
        self.connections = 0
        self.close_after = False
        self.silent = False
        self.script: Script | None = None
        self.requests: list[bytes] = []
        self.closed = asyncio.Event()  # set once the server closed a connection
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        self.connections += 1
        number = self.connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head or self.silent:
                    await asyncio.sleep(5)
                    return
                length = [line for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")]
                request = head + (await reader.readexactly(int(length[0][15:])) if length else b"")
                self.requests.append(request)
                if self.script is None:
                    writer.write(_json_answer(f'{{"connection": {number}}}'.encode()))
                else:
                    answer = self.script(number, request)
                    if answer is None:
                        break
                    writer.write(answer)
                await writer.drain()
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            await writer.wait_closed()
            self.closed.set()

    async def start(self, tls: ssl.SSLContext | None = None) -> int:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0, ssl=tls)
        return int(self.server.sockets[0].getsockname()[1])


def _json_answer(body: bytes, extra: bytes = b"") -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n".encode()
    return head + extra + b"\r\n" + body


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    one = Server()
    yield one
    if one.server is not None:
        one.server.close()


def _transport(context: ssl.SSLContext | None = None) -> PooledTransport:
    return PooledTransport(ssl_context=context or ssl.create_default_context(), limit=100, keepalive_s=30)


async def _get(transport: PooledTransport, url: str, timeout_s: float = 5.0) -> int:
    timeout = Timeouts(wait_s=5, connect_s=5, read_s=timeout_s)
    answer = await transport.send("GET", url, headers={}, body=None, timeout=timeout)
    assert answer.status_code == 200
    number: int = answer.json()["connection"]
    return number


def _certificate(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1: the server's context and a client context trusting only it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert_file, key_file)
    client_side = ssl.create_default_context(cafile=str(cert_file))
    return server_side, client_side


class TestPooledTransport:
    async def test_requests_reuse_one_kept_alive_connection(self, server: Server) -> None:
        port = await server.start()
        transport = _transport()
        assert [await _get(transport, f"http://127.0.0.1:{port}/") for _ in range(3)] == [1, 1, 1]
        await transport.aclose()

    async def test_a_connection_the_server_closed_while_idle_is_not_reused(self, server: Server) -> None:
        port = await server.start()
        server.close_after = True
        transport = _transport()
        assert await _get(transport, f"http://127.0.0.1:{port}/") == 1
        await asyncio.wait_for(server.closed.wait(), 5)
        await asyncio.sleep(0.05)  # the server's FIN arrives while the connection is idle in the pool
        assert await _get(transport, f"http://127.0.0.1:{port}/") == 2
        await transport.aclose()

    async def test_tls(self, server: Server, tmp_path: Path) -> None:
        server_side, client_side = _certificate(tmp_path)
        port = await server.start(server_side)
        transport = _transport(client_side)
        assert [await _get(transport, f"https://127.0.0.1:{port}/") for _ in range(2)] == [1, 1]
        await transport.aclose()

    async def test_an_untrusted_certificate_is_refused(self, server: Server, tmp_path: Path) -> None:
        server_side, _ = _certificate(tmp_path)
        port = await server.start(server_side)
        transport = _transport(ssl.create_default_context())
        with pytest.raises(TransportFault) as fault:
            await _get(transport, f"https://127.0.0.1:{port}/")
        assert isinstance(fault.value.__cause__, ssl.SSLCertVerificationError)
        await transport.aclose()

    async def test_a_silent_server_times_out(self, server: Server) -> None:
        port = await server.start()
        server.silent = True
        transport = _transport()
        with pytest.raises(TimeoutError):
            await _get(transport, f"http://127.0.0.1:{port}/", timeout_s=0.2)
        await transport.aclose()

    async def test_preconnected_connections_are_the_ones_requests_use(self, server: Server) -> None:
        port = await server.start()
        transport = _transport()
        assert transport.preconnect(f"http://127.0.0.1:{port}", 3) == 3
        await asyncio.sleep(0.1)
        assert server.connections == 3  # opened ahead of any request, in parallel
        numbers = await asyncio.gather(*(_get(transport, f"http://127.0.0.1:{port}/") for _ in range(3)))
        assert sorted(numbers) == [1, 2, 3] and server.connections == 3  # no new connection for them
        assert transport.preconnect(f"http://127.0.0.1:{port}", 3) == 0  # a warm pool needs none
        await transport.aclose()

    async def test_preconnect_does_the_tls_handshake_too(self, server: Server, tmp_path: Path) -> None:
        server_side, client_side = _certificate(tmp_path)
        port = await server.start(server_side)
        transport = _transport(client_side)
        assert transport.preconnect(f"https://127.0.0.1:{port}", 2) == 2
        numbers = await asyncio.gather(*(_get(transport, f"https://127.0.0.1:{port}/") for _ in range(2)))
        assert sorted(numbers) == [1, 2] and server.connections == 2
        await transport.aclose()

    async def test_requests_wait_for_spares_still_opening_instead_of_dialling(self, server: Server) -> None:
        port = await server.start()
        transport = _transport()
        assert transport.preconnect(f"http://127.0.0.1:{port}", 4) == 4
        numbers = await asyncio.gather(*(_get(transport, f"http://127.0.0.1:{port}/") for _ in range(4)))
        assert sorted(numbers) == [1, 2, 3, 4] and server.connections == 4
        await transport.aclose()

    async def test_connections_stay_pooled_across_requests_and_count_for_preconnect(self, server: Server) -> None:
        port = await server.start()
        transport = _transport()
        numbers = await asyncio.gather(*(_get(transport, f"http://127.0.0.1:{port}/") for _ in range(3)))
        assert sorted(numbers) == [1, 2, 3]
        assert transport.preconnect(f"http://127.0.0.1:{port}", 5) == 2  # three already open, idle in the pool
        await asyncio.sleep(0.1)
        assert server.connections == 5
        numbers = await asyncio.gather(*(_get(transport, f"http://127.0.0.1:{port}/") for _ in range(5)))
        assert sorted(numbers) == [1, 2, 3, 4, 5] and server.connections == 5
        await transport.aclose()

    async def test_a_spare_the_server_closed_is_not_used(self, server: Server) -> None:
        port = await server.start()
        transport = _transport()
        transport.preconnect(f"http://127.0.0.1:{port}", 1)
        await asyncio.sleep(0.1)
        assert server.server is not None
        for handler in list(server.writers):
            handler.close()  # the server drops the idle spare
        await asyncio.sleep(0.1)
        assert await _get(transport, f"http://127.0.0.1:{port}/") == 2
        await transport.aclose()

    async def test_a_spare_that_timed_out_opening_is_skipped_and_the_request_dials_its_own(
        self, tmp_path: Path
    ) -> None:
        server_side, client_side = _certificate(tmp_path)
        accepted: list[int] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted.append(len(accepted) + 1)
            if len(accepted) == 1:
                await reader.read()  # the spare's TLS handshake never completes
            else:
                await writer.start_tls(server_side)
                await reader.readuntil(b"\r\n\r\n")
                writer.write(_json_answer(b'{"connection": 2}'))
                await writer.drain()
                await reader.read()
            writer.close()

        tls_later = await asyncio.start_server(handle, "127.0.0.1", 0)
        url = f"https://127.0.0.1:{tls_later.sockets[0].getsockname()[1]}"
        transport = _transport(client_side)
        assert transport.preconnect(url, 1, timeout_s=0.1) == 1
        await asyncio.sleep(0.05)
        assert await _get(transport, f"{url}/") == 2  # waited for the spare, which failed, then dialled
        assert accepted == [1, 2]
        await transport.aclose()
        tls_later.close()

    async def test_a_refused_connection(self) -> None:
        probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = probe.sockets[0].getsockname()[1]
        probe.close()
        await probe.wait_closed()
        transport = _transport()
        with pytest.raises(TransportFault):
            await _get(transport, f"http://127.0.0.1:{port}/")
        await transport.aclose()


async def _send(
    transport: PooledTransport, url: str, method: str = "GET", body: bytes | None = None, read_s: float = 5.0
) -> Answer:
    timeout = Timeouts(wait_s=5, connect_s=5, read_s=read_s)
    return await transport.send(method, url, headers={"Accept-Encoding": "gzip, deflate"}, body=body, timeout=timeout)


def _numbered(number: int, _: bytes) -> bytes:
    return _json_answer(f'{{"connection": {number}}}'.encode())


class TestAnswers:
    async def test_a_chunked_answer_is_read_and_its_connection_reused(self, server: Server) -> None:
        def chunked(number: int, _: bytes) -> bytes:
            body = f'{{"connection": {number}}}'.encode()
            head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Limit: 7\r\n\r\n"
            return head + b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (5, body[:5], len(body) - 5, body[5:])

        server.script = chunked
        port = await server.start()
        transport = _transport()
        answers = [await _send(transport, f"http://127.0.0.1:{port}/") for _ in range(2)]
        assert [answer.json() for answer in answers] == [{"connection": 1}, {"connection": 1}]
        assert answers[0].headers.get("x-LIMIT") == "7" and answers[0].headers.get("missing", "-") == "-"
        await transport.aclose()

    @pytest.mark.parametrize(
        ("encoding", "compress"),
        [
            ("gzip", gzip.compress),
            ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
            ("deflate", lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS)),  # raw, as some servers send
        ],
    )
    async def test_compressed_answers_are_decoded(
        self, server: Server, encoding: str, compress: Callable[[bytes], bytes]
    ) -> None:
        body = b'{"list": [' + b",".join(b'"%d"' % i for i in range(500)) + b"]}"
        server.script = lambda _, __: _json_answer(compress(body), f"Content-Encoding: {encoding}\r\n".encode())
        port = await server.start()
        transport = _transport()
        answer = await _send(transport, f"http://127.0.0.1:{port}/")
        assert answer.content == body and answer.text == body.decode()
        assert b"accept-encoding: gzip, deflate" in server.requests[0].lower()
        await transport.aclose()

    async def test_a_corrupt_compressed_body_is_a_transport_fault(self, server: Server) -> None:
        server.script = lambda _, __: _json_answer(b"not gzip at all", b"Content-Encoding: gzip\r\n")
        port = await server.start()
        transport = _transport()
        with pytest.raises(TransportFault):
            await _send(transport, f"http://127.0.0.1:{port}/")
        await transport.aclose()

    async def test_connection_close_is_honoured_even_if_the_server_keeps_the_socket_open(self, server: Server) -> None:
        server.script = lambda number, _: _json_answer(f'{{"connection": {number}}}'.encode(), b"Connection: close\r\n")
        port = await server.start()
        transport = _transport()
        answers = [await _send(transport, f"http://127.0.0.1:{port}/") for _ in range(2)]
        assert [answer.json()["connection"] for answer in answers] == [1, 2]
        assert transport.open_count(f"http://127.0.0.1:{port}") == 0
        await transport.aclose()

    async def test_an_http_1_0_answer_is_not_kept_alive(self, server: Server) -> None:
        server.script = lambda number, _: _json_answer(f'{{"connection": {number}}}'.encode()).replace(
            b"HTTP/1.1", b"HTTP/1.0", 1
        )
        port = await server.start()
        transport = _transport()
        answers = [await _send(transport, f"http://127.0.0.1:{port}/") for _ in range(2)]
        assert [answer.json()["connection"] for answer in answers] == [1, 2]
        await transport.aclose()

    async def test_a_body_read_until_the_server_closes(self, server: Server) -> None:
        server.script = lambda number, _: b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b'{"until": "close"}'
        server.close_after = True
        port = await server.start()
        transport = _transport()
        assert (await _send(transport, f"http://127.0.0.1:{port}/")).json() == {"until": "close"}
        await transport.aclose()

    async def test_an_answer_cut_off_mid_body_is_a_transport_fault(self, server: Server) -> None:
        server.script = lambda _, __: _json_answer(b'{"connection": 1}')[:-4]
        server.close_after = True
        port = await server.start()
        transport = _transport()
        with pytest.raises(TransportFault):
            await _send(transport, f"http://127.0.0.1:{port}/")
        await transport.aclose()

    async def test_a_server_closing_without_answering_is_a_transport_fault(self, server: Server) -> None:
        server.script = lambda _, __: None
        port = await server.start()
        transport = _transport()
        with pytest.raises(TransportFault):
            await _send(transport, f"http://127.0.0.1:{port}/")
        await transport.aclose()

    async def test_a_malformed_answer_is_a_transport_fault(self, server: Server) -> None:
        server.script = lambda _, __: b"SPDY/9 what\r\n\r\n"
        port = await server.start()
        transport = _transport()
        with pytest.raises(TransportFault):
            await _send(transport, f"http://127.0.0.1:{port}/")
        await transport.aclose()

    async def test_a_server_stalling_mid_answer_times_out_and_its_connection_is_not_reused(
        self, server: Server
    ) -> None:
        stalled = _json_answer(b'{"connection": 1, "padding": "........"}')[:-10]
        server.script = lambda number, _: stalled if number == 1 else _numbered(number, b"")
        port = await server.start()
        transport = _transport()
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            await _send(transport, f"http://127.0.0.1:{port}/", read_s=0.2)
        assert 0.15 < loop.time() - started < 2
        assert (await _send(transport, f"http://127.0.0.1:{port}/")).json() == {"connection": 2}
        await transport.aclose()

    async def test_a_slow_answer_within_the_read_timeout_between_reads_is_read(self, server: Server) -> None:
        """The read timeout bounds each wait between reads, not the whole answer (as aiohttp's sock_read)."""

        async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")
            for part in (b"a", b"b", b"c", b"d"):
                await asyncio.sleep(0.1)
                writer.write(part)
            await writer.drain()
            await reader.read()
            writer.close()

        slow = await asyncio.start_server(trickle, "127.0.0.1", 0)
        port = slow.sockets[0].getsockname()[1]
        transport = _transport()
        assert (await _send(transport, f"http://127.0.0.1:{port}/", read_s=0.25)).content == b"abcd"
        await transport.aclose()
        slow.close()

    async def test_a_second_answer_nobody_asked_for_closes_the_connection(self, server: Server) -> None:
        server.script = lambda number, _: (
            _numbered(number, b"") + (_json_answer(b"{}", b"X-Second: yes\r\n") if number == 1 else b"")
        )
        port = await server.start()
        transport = _transport()
        first = await _send(transport, f"http://127.0.0.1:{port}/")
        assert first.json() == {"connection": 1} and "x-second" not in first.headers
        await asyncio.sleep(0.05)
        assert (await _send(transport, f"http://127.0.0.1:{port}/")).json() == {"connection": 2}
        await transport.aclose()

    async def test_a_head_answer_has_no_body(self, server: Server) -> None:
        server.script = lambda _, __: b"HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n"
        port = await server.start()
        transport = _transport()
        answer = await _send(transport, f"http://127.0.0.1:{port}/", method="HEAD")
        assert answer.status_code == 200 and answer.content == b"" and answer.headers["content-length"] == "17"
        await transport.aclose()

    async def test_an_interim_100_answer_is_skipped(self, server: Server) -> None:
        server.script = lambda number, _: b"HTTP/1.1 100 Continue\r\n\r\n" + _numbered(number, b"")
        port = await server.start()
        transport = _transport()
        assert [(await _send(transport, f"http://127.0.0.1:{port}/")).json() for _ in range(2)] == [
            {"connection": 1}
        ] * 2
        await transport.aclose()


class TestRequests:
    async def test_the_query_string_leaves_byte_for_byte_with_host_and_headers(self, server: Server) -> None:
        port = await server.start()
        transport = _transport()
        query = "b=2&a=%2F1&sign=AbC%3D%3D&empty=&a=3"
        timeout = Timeouts(wait_s=5, connect_s=5, read_s=5)
        headers = {"X-BAPI-SIGN": "abc", "Accept": "*/*"}
        await transport.send(
            "GET", f"http://127.0.0.1:{port}/v5/x?{query}", headers=headers, body=None, timeout=timeout
        )
        lines = server.requests[0].split(b"\r\n")
        assert lines[0] == f"GET /v5/x?{query} HTTP/1.1".encode()
        assert lines[1] == f"Host: 127.0.0.1:{port}".encode()
        assert b"X-BAPI-SIGN: abc" in lines and b"Accept: */*" in lines
        assert not [line for line in lines if line.lower().startswith((b"cookie", b"content-type", b"content-length"))]
        await transport.aclose()

    async def test_a_body_is_sent_with_its_length_and_an_empty_post_says_so(self, server: Server) -> None:
        port = await server.start()
        transport = _transport()
        await _send(transport, f"http://127.0.0.1:{port}/order", method="POST", body=b'{"qty": "1"}')
        await _send(transport, f"http://127.0.0.1:{port}/order", method="POST")
        assert server.requests[0].endswith(b'Content-Length: 12\r\n\r\n{"qty": "1"}')
        assert server.requests[1].endswith(b"Content-Length: 0\r\n\r\n")
        await transport.aclose()

    async def test_a_header_with_a_line_break_is_refused_before_anything_is_sent(self, server: Server) -> None:
        port = await server.start()
        transport = _transport()
        timeout = Timeouts(wait_s=5, connect_s=5, read_s=5)
        with pytest.raises(ValueError, match="line break"):
            await transport.send(
                "GET", f"http://127.0.0.1:{port}/", headers={"X": "a\r\nEvil: 1"}, body=None, timeout=timeout
            )
        assert server.connections == 0
        await transport.aclose()

    async def test_redirects_are_not_followed(self, server: Server) -> None:
        server.script = lambda _, __: b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n"
        port = await server.start()
        transport = _transport()
        answer = await _send(transport, f"http://127.0.0.1:{port}/")
        assert answer.status_code == 302 and answer.headers.get("Location") == "/elsewhere"
        assert len(server.requests) == 1
        await transport.aclose()


class TestPoolLimits:
    async def test_idle_connections_expire_after_the_keep_alive_time(self, server: Server) -> None:
        port = await server.start()
        transport = PooledTransport(ssl_context=ssl.create_default_context(), limit=100, keepalive_s=0.1)
        assert await _get(transport, f"http://127.0.0.1:{port}/") == 1
        await asyncio.wait_for(server.closed.wait(), 2)  # closed by us, while idle
        assert transport.open_count(f"http://127.0.0.1:{port}") == 0
        assert await _get(transport, f"http://127.0.0.1:{port}/") == 2
        await transport.aclose()

    async def test_requests_beyond_the_limit_wait_for_a_free_connection(self, server: Server) -> None:
        port = await server.start()
        transport = PooledTransport(ssl_context=ssl.create_default_context(), limit=1, keepalive_s=30)
        numbers = await asyncio.gather(*(_get(transport, f"http://127.0.0.1:{port}/") for _ in range(4)))
        assert numbers == [1, 1, 1, 1] and server.connections == 1
        await transport.aclose()

    async def test_a_request_waiting_for_a_free_connection_times_out(self, server: Server) -> None:
        server.silent = True
        port = await server.start()
        transport = PooledTransport(ssl_context=ssl.create_default_context(), limit=1, keepalive_s=30)
        busy = asyncio.create_task(_get(transport, f"http://127.0.0.1:{port}/"))
        await asyncio.sleep(0.05)
        with pytest.raises(TimeoutError):
            await transport.send("GET", f"http://127.0.0.1:{port}/", headers={}, body=None, timeout=Timeouts(0.1, 5, 5))
        busy.cancel()
        await transport.aclose()

    async def test_a_spare_older_than_its_time_to_live_is_closed_not_used(
        self, server: Server, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(netstream, "SPARE_TTL_S", 0.05)
        port = await server.start()
        transport = _transport()
        assert transport.preconnect(f"http://127.0.0.1:{port}", 1) == 1
        await asyncio.sleep(0.1)
        assert await _get(transport, f"http://127.0.0.1:{port}/") == 2
        await asyncio.wait_for(server.closed.wait(), 2)  # the stale spare, closed by us
        await transport.aclose()

    async def test_a_cancelled_request_does_not_leave_its_connection_to_the_next(self, server: Server) -> None:
        port = await server.start()
        server.silent = True
        transport = _transport()
        waiting = asyncio.create_task(_get(transport, f"http://127.0.0.1:{port}/"))
        await asyncio.sleep(0.05)
        waiting.cancel()
        server.silent = False
        assert await _get(transport, f"http://127.0.0.1:{port}/") == 2
        await transport.aclose()


class TestOverExchangeHttp:
    """`ExchangeHttp` over the pooled transport: transport faults become `ExchangeTimeoutError`; a read is sent once
    more, a non-idempotent request never twice."""

    async def test_a_dropped_post_is_never_sent_twice_and_a_dropped_get_is_retried_once(self, server: Server) -> None:
        server.script = lambda _, __: None  # reads the request, closes without answering
        port = await server.start()
        http = ExchangeHttp("Bybit", f"http://127.0.0.1:{port}", HttpOptions(timeout_s=2, connect_timeout_s=2))
        try:
            with pytest.raises(ExchangeTimeoutError) as caught:
                await http.request("POST", "/order", content="{}")
            assert len(server.requests) == 1
            assert caught.value.message == (
                "could not reach Bybit: the server closed the connection before its answer was complete"
            )
            with pytest.raises(ExchangeTimeoutError):
                await http.request("GET", "/info")
            assert len(server.requests) == 3
        finally:
            await pool.aclose_clients()

    async def test_a_refused_connection_says_where_and_why(self) -> None:
        listener = await asyncio.start_server(lambda _r, _w: None, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        listener.close()
        await listener.wait_closed()  # the port is free now: connecting to it is refused
        http = ExchangeHttp("Bybit", f"http://127.0.0.1:{port}", HttpOptions(timeout_s=2, connect_timeout_s=2))
        try:
            with pytest.raises(ExchangeTimeoutError) as caught:
                await http.request("GET", "/v5/market/time?sign=s3cr3t")
            message = caught.value.message
            assert message.startswith(f"could not reach Bybit: could not connect to 127.0.0.1:{port} (")
            assert "refused" in message.lower() and "TransportFault" not in message and "s3cr3t" not in message
        finally:
            await pool.aclose_clients()

    async def test_a_silent_server_is_a_timeout(self, server: Server) -> None:
        server.silent = True
        port = await server.start()
        http = ExchangeHttp("Bybit", f"http://127.0.0.1:{port}", HttpOptions(timeout_s=0.2, connect_timeout_s=1))
        try:
            with pytest.raises(ExchangeTimeoutError, match=r"did not answer within 0\.2 s"):
                await http.request("GET", "/info")
        finally:
            await pool.aclose_clients()


class TestOnUvloop:
    """The commands and the worker run on uvloop, whose transports are not asyncio's: the same paths there."""

    def test_reuse_spares_tls_chunked_and_a_stall(self, tmp_path: Path) -> None:
        uvloop = pytest.importorskip("uvloop")
        server_side, client_side = _certificate(tmp_path)

        async def scenario() -> None:
            server = Server()
            server.script = lambda number, request: (
                _json_answer(b'{"connection": 1, "padding": "...."}')[:-6]
                if b"/stall" in request
                else b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body := f'{{"connection": {number}}}'.encode()), body)
            )
            port = await server.start(server_side)
            url = f"https://127.0.0.1:{port}"
            transport = _transport(client_side)
            assert transport.preconnect(url, 2) == 2
            numbers = await asyncio.gather(*(_get(transport, f"{url}/") for _ in range(2)))
            assert sorted(numbers) == [1, 2] and server.connections == 2
            assert transport.open_count(url) == 2 and transport.preconnect(url, 2) == 0
            reused = [await _get(transport, f"{url}/") for _ in range(3)]
            assert len(set(reused)) == 1 and server.connections == 2
            with pytest.raises(TimeoutError):
                await _send(transport, f"{url}/stall", read_s=0.2)
            assert transport.open_count(url) == 1  # the stalled connection was closed, not kept
            await transport.aclose()
            assert server.server is not None
            server.server.close()

        uvloop.run(scenario())
