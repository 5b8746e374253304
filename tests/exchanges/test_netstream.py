"""The pooled transport (``exchanges/netstream.py``: aiohttp over `SpareConnector`) against a real server on loopback:
plain TCP and TLS, connection reuse, a connection the server closed while idle, timeouts, refused connections, and
connections opened ahead of the requests (`preconnect`)."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tradedock.exchanges.netstream import PooledTransport


class Server:
    """A minimal HTTP/1.1 server: answers each request with its connection number; ``close_after`` closes the
    connection once that answer is sent; ``silent`` never answers."""

    def __init__(self) -> None:
        self.connections = 0
        self.close_after = False
        self.silent = False
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
                body = f'{{"connection": {number}}}'.encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
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


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    one = Server()
    yield one
    if one.server is not None:
        one.server.close()


def _transport(context: ssl.SSLContext | None = None) -> PooledTransport:
    return PooledTransport(ssl_context=context or ssl.create_default_context(), limit=100, keepalive_s=30)


async def _get(transport: PooledTransport, url: str, timeout_s: float = 5.0) -> int:
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=timeout_s)
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
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await _get(transport, f"https://127.0.0.1:{port}/")
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

    async def test_a_refused_connection(self) -> None:
        probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = probe.sockets[0].getsockname()[1]
        probe.close()
        await probe.wait_closed()
        transport = _transport()
        with pytest.raises(aiohttp.ClientConnectorError):
            await _get(transport, f"http://127.0.0.1:{port}/")
        await transport.aclose()
