"""``tradedock serve``: run the HTTP API with uvicorn.

What belongs here: binding the socket, starting uvicorn on the app factory, printing the URL to open once
TradeDock is ready (migrations applied under the lock, vault opened), and the structured access log (one JSON
line per request on stderr; never headers, cookies, query strings or bodies). What does not: the app itself
(tradedock.api.app).
"""

from __future__ import annotations

import json
import logging
import socket
import sys

import typer

from .common import settings_or_exit


def _access_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("tradedock.access")
    access.handlers[:] = [handler]
    access.setLevel(logging.INFO)
    access.propagate = False


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on (0: any free port).", min=0, max=65535),
    as_json: bool = typer.Option(False, "--json", help="Print the URLs as one JSON line when ready."),
) -> None:
    """Serve the HTTP API (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs) and run the monitor in-process
    (unless TRADEDOCK_MONITOR_IN_SERVE=false)."""
    # A bad TRADEDOCK_* variable: exit 2 naming it, before binding anything.
    settings = settings_or_exit(as_json=as_json)
    import uvicorn

    from tradedock.api.app import create_app
    from tradedock.eventloop import settle_long_running
    from tradedock.web.app import install as install_dashboard

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        # Listening from here on: connections that arrive before uvicorn accepts (e.g. right after the ready line,
        # which the lifespan prints before uvicorn's own listen) wait in the backlog instead of being refused.
        sock.listen(2048)
    except OSError as exc:
        from .output import make_console

        make_console(stderr=True).print(f"Error (--port): cannot listen on {host}:{port}: {exc.strerror}", markup=False)
        raise typer.Exit(2) from None
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    base = f"http://{shown}:{bound}"

    def ready() -> None:
        urls = {
            "url": base,
            "dashboard": f"{base}/",
            "api": f"{base}/api/v1",
            "docs": f"{base}/api/v1/docs",
            "openapi": f"{base}/api/v1/openapi.json",
        }
        if as_json:
            print(json.dumps(urls), flush=True)
        else:
            print(
                f"TradeDock ready: dashboard {base}/ · API {base}/api/v1 (docs {urls['docs']}) — Ctrl+C to stop",
                flush=True,
            )
        settle_long_running()  # started: what survives now lives as long as the server

    _access_logging()
    app = create_app(on_ready=ready, run_monitor=settings.monitor_in_serve)
    install_dashboard(app)
    config = uvicorn.Config(app, log_level="warning", access_log=False, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if server.started is False:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(serve)
