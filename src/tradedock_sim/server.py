"""Run simulators on real loopback ports: one uvicorn server per exchange, all in one event loop.

Belongs here: binding ports, starting/stopping uvicorn, reporting base URLs; `start_background()` for tests
and demos (a thread with its own loop). Does not belong here: argument parsing (`cli.py`) or app building
(`app.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from types import TracebackType

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from tradedock_sim.app import SIMULATORS, UnknownExchangeError, create_app
from tradedock_sim.core.network import connection_accepted, connection_closed

READY_TIMEOUT_SECONDS = 20.0
#: How long an idle kept-alive connection stays open (uvicorn's default is 5 s). Exchanges' front ends keep idle
#: connections for about a minute, so clients that pool connections stay warm between requests as they would there.
KEEP_ALIVE_SECONDS = 60


class _AcceptTimedProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol, noting when each connection was accepted for the network model (a handshake
    starts when the client connects; see ``core/network.py``)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._peer = transport.get_extra_info("peername")
        connection_accepted(self._peer)
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        connection_closed(getattr(self, "_peer", None))
        super().connection_lost(exc)


class _SignalFreeServer(uvicorn.Server):
    """uvicorn server that leaves signal handling to us (several servers share one process)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@dataclass
class SimCluster:
    """Running simulators: base URL and ASGI app (for direct state access) per exchange."""

    urls: dict[str, str] = field(default_factory=dict)
    apps: dict[str, Starlette] = field(default_factory=dict)
    _servers: list[uvicorn.Server] = field(default_factory=list, repr=False)

    def request_stop(self) -> None:
        for server in self._servers:
            server.should_exit = True


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket. The protocol is named explicitly: accepted sockets inherit it, and asyncio sets
    TCP_NODELAY only on sockets whose ``proto`` is IPPROTO_TCP — without it every kept-alive response waits
    ~40 ms for the peer's delayed ACK (Nagle), which a real exchange does not do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def check_exchanges(exchanges: Sequence[str] | None) -> list[str]:
    """The exchanges to run (all registered when None); raise UnknownExchangeError for unregistered ones."""
    names = list(exchanges) if exchanges else list(SIMULATORS)
    for name in names:
        if name not in SIMULATORS:
            raise UnknownExchangeError(name)
    return names


async def serve(
    exchanges: Sequence[str] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int | None = None,
    on_ready: Callable[[SimCluster], None] | None = None,
) -> None:
    """Serve each exchange on its own port (`port`, `port+1`, ...; 0 = ephemeral) until `request_stop()`.

    `on_ready` runs once every server accepts connections.
    """
    names = check_exchanges(exchanges)
    cluster = SimCluster()
    sockets: list[socket.socket] = []
    try:
        for offset, name in enumerate(names):
            sock = _bind(host, port + offset if port else 0)
            sockets.append(sock)
            app = create_app(name, seed=seed)
            config = uvicorn.Config(
                app,
                log_level="warning",
                lifespan="off",
                http=_AcceptTimedProtocol,
                timeout_graceful_shutdown=2,
                timeout_keep_alive=KEEP_ALIVE_SECONDS,
            )
            cluster._servers.append(_SignalFreeServer(config))
            cluster.apps[name] = app
            cluster.urls[name] = _url(host, sock.getsockname()[1])
        tasks = [
            asyncio.create_task(server.serve(sockets=[sock]))
            for server, sock in zip(cluster._servers, sockets, strict=True)
        ]
        while not all(server.started for server in cluster._servers):
            done = [task for task in tasks if task.done()]
            if done:
                cluster.request_stop()
                await asyncio.gather(*tasks, return_exceptions=True)
                done[0].result()
                raise RuntimeError("a simulator server stopped during startup (port in use?)")
            await asyncio.sleep(0.01)
        if on_ready is not None:
            on_ready(cluster)
        await asyncio.gather(*tasks)
    finally:
        for sock in sockets:
            sock.close()


class BackgroundSims:
    """Simulators served from a background thread. Use as a context manager or call `stop()`."""

    def __init__(self, exchanges: Sequence[str] | None, host: str, port: int, seed: int | None) -> None:
        self._ready = threading.Event()
        self._cluster: SimCluster | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(check_exchanges(exchanges), host, port, seed), name="tradedock-sim", daemon=True
        )

    def _run(self, names: list[str], host: str, port: int, seed: int | None) -> None:
        def ready(cluster: SimCluster) -> None:
            self._cluster = cluster
            self._ready.set()

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            await serve(names, host=host, port=port, seed=seed, on_ready=ready)

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
        finally:
            self._ready.set()

    def start(self) -> BackgroundSims:
        self._thread.start()
        if not self._ready.wait(READY_TIMEOUT_SECONDS):
            raise RuntimeError("simulators did not start in time")
        if self._error is not None or self._cluster is None:
            raise RuntimeError(f"simulators failed to start: {self._error!r}") from self._error
        return self

    @property
    def urls(self) -> dict[str, str]:
        """Exchange name -> base URL, e.g. {"bybit": "http://127.0.0.1:40123"}."""
        assert self._cluster is not None, "call start() first"
        return dict(self._cluster.urls)

    @property
    def apps(self) -> dict[str, Starlette]:
        """Exchange name -> ASGI app (its `state.sim` is the live SimState)."""
        assert self._cluster is not None, "call start() first"
        return dict(self._cluster.apps)

    def stop(self) -> None:
        """Stop all servers and wait for the thread (idempotent)."""
        if self._cluster is not None and self._loop is not None and self._loop.is_running():
            cluster = self._cluster
            self._loop.call_soon_threadsafe(cluster.request_stop)
            for app in cluster.apps.values():
                app.state.sim.generation += 1  # release requests hanging in a `timeout` fault
        self._thread.join(timeout=10)

    def __enter__(self) -> BackgroundSims:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_background(
    exchanges: Sequence[str] | None = None, *, host: str = "127.0.0.1", port: int = 0, seed: int | None = None
) -> BackgroundSims:
    """Start simulators in a background thread and return once all accept connections.

    >>> sims = start_background(["bybit"]); sims.urls["bybit"]; sims.stop()
    """
    return BackgroundSims(exchanges, host, port, seed).start()
