"""The network model (`/_sim/network`: what a new TCP connection costs) and TCP_NODELAY on accepted sockets."""

from __future__ import annotations

import asyncio
import socket
import threading

import httpx
import pytest

from tradedock_sim.app import create_app
from tradedock_sim.core import middleware, network
from tradedock_sim.server import _bind, start_background


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the middleware asks asyncio for (seconds), instead of waiting them out.

    Patching the module attribute patches `asyncio.sleep` for every thread, so only this test's thread is
    recorded: simulators other tests left running in background threads keep their real sleeps."""
    recorded: list[float] = []
    real_sleep = asyncio.sleep
    test_thread = threading.get_ident()

    async def record(delay: float) -> None:
        if threading.get_ident() != test_thread:
            await real_sleep(delay)
            return
        recorded.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(middleware.asyncio, "sleep", record)
    return recorded


def _connection(app: object, port: int) -> httpx.AsyncClient:
    """One simulated TCP connection: the ASGI scope's client (host, port) is what identifies it. Tests use ports
    below 1024, which no client connection is ever given, so real servers other tests run in this process never
    record an accept for them."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", port)),  # type: ignore[arg-type]
        base_url="http://toy.sim",
    )


class TestHandshakeModel:
    async def test_first_request_on_a_connection_pays_the_handshake_then_only_latency(self, sleeps) -> None:
        app = create_app("toy")
        async with _connection(app, 101) as first, _connection(app, 102) as second:
            await first.post("/_sim/faults", json={"latency_ms": 100})
            answer = (await first.post("/_sim/network", json={"handshake": "tls1.3"})).json()
            assert answer == {"handshake": "tls1.3", "round_trip_ms": None, "handshake_ms": 200, "connections": 0}
            await first.get("/api/whoami")
            await first.get("/api/whoami")
            await second.get("/api/whoami")
            # TCP (1 round) + TLS 1.3 (1 round) before the first request, then the request's own round.
            assert sleeps == [0.3, 0.1, 0.3]
            assert (await first.get("/_sim/network")).json()["connections"] == 2

    async def test_a_connection_opened_ahead_paid_its_handshake_while_idle(
        self, sleeps, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The handshake runs from when the server accepted the connection: a client that connected 150 ms before
        its first request waits only the rest of the 200 ms handshake; one that connected 300 ms before, none."""
        app = create_app("toy")
        now = [1000.0]
        monkeypatch.setattr(network.time, "monotonic", lambda: now[0])
        network.connection_accepted(("127.0.0.1", 111))
        network.connection_accepted(("127.0.0.1", 112))
        async with _connection(app, 111) as ahead, _connection(app, 112) as long_ahead:
            await ahead.post("/_sim/faults", json={"latency_ms": 100})
            await ahead.post("/_sim/network", json={"handshake": "tls1.3"})
            now[0] += 0.15
            await ahead.get("/api/whoami")
            now[0] += 0.15
            await long_ahead.get("/api/whoami")
        assert [round(s, 2) for s in sleeps] == [0.15, 0.1]

    @pytest.mark.parametrize(("handshake", "rounds"), [("none", 0), ("tcp", 1), ("tls1.3", 2), ("tls1.2", 3)])
    async def test_each_handshake_costs_its_round_trips(self, sleeps, handshake: str, rounds: int) -> None:
        app = create_app("toy")
        async with _connection(app, 103) as client:
            await client.post("/_sim/network", json={"handshake": handshake, "round_trip_ms": 50})
            await client.get("/api/whoami")
            assert sleeps == ([rounds * 50 / 1000] if rounds else [])

    async def test_control_calls_pay_nothing_and_reset_turns_the_model_off(self, sleeps) -> None:
        app = create_app("toy")
        async with _connection(app, 104) as client:
            await client.post("/_sim/network", json={"handshake": "tls1.2", "round_trip_ms": 10})
            await client.post("/_sim/faults", json={})
            assert sleeps == []
            await client.post("/_sim/reset")
            assert (await client.get("/_sim/network")).json()["handshake"] == "none"
            await client.get("/api/whoami")
            assert sleeps == []

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"handshake": "tls1.4"}, "handshake"),
            ({"round_trip_ms": -1}, "round_trip_ms"),
            ({"round_trip_ms": True}, "round_trip_ms"),
            ({"latency_ms": 5}, "latency_ms"),
        ],
    )
    async def test_bad_input_names_the_field_and_changes_nothing(self, body: dict[str, object], field: str) -> None:
        app = create_app("toy")
        async with _connection(app, 105) as client:
            await client.post("/_sim/network", json={"handshake": "tcp", "round_trip_ms": 7})
            response = await client.post("/_sim/network", json=body)
            assert response.status_code == 400
            assert response.json()["field"] == field
            state = (await client.get("/_sim/network")).json()
            assert (state["handshake"], state["round_trip_ms"]) == ("tcp", 7)

    def test_real_connections_are_counted_once_each_over_loopback(self) -> None:
        with start_background(["toy"]) as sims:
            url = sims.urls["toy"]
            httpx.post(f"{url}/_sim/network", json={"handshake": "tcp", "round_trip_ms": 1})
            with httpx.Client(base_url=url) as kept_alive:
                for _ in range(3):
                    kept_alive.get("/api/whoami")
            for _ in range(2):
                httpx.get(f"{url}/api/whoami")  # a new connection each time
            assert httpx.get(f"{url}/_sim/network").json()["connections"] == 3


class TestNoDelay:
    async def test_accepted_connections_get_tcp_nodelay(self) -> None:
        """asyncio sets TCP_NODELAY only when the listening socket's protocol is IPPROTO_TCP (accepted sockets
        inherit it); without it a kept-alive response waits for the client's delayed ACK (~40 ms)."""
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        sock = _bind("127.0.0.1", 0)
        server = await asyncio.start_server(handle, sock=sock)
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
            assert await asyncio.wait_for(seen, 5) != 0
            writer.close()
        finally:
            server.close()
            await server.wait_closed()

    def test_the_simulator_listens_with_the_tcp_protocol(self) -> None:
        with start_background(["toy"]) as sims:
            cluster = sims._cluster
            assert cluster is not None
            listening = [s for server in cluster._servers for srv in server.servers for s in srv.sockets]
            assert listening
            assert all(s.proto == socket.IPPROTO_TCP for s in listening)
