"""The catch-all route a plugin mounts last, so unknown paths get the exchange's own envelope.

Belongs here: telling "no such path" (the plugin's answer) from "this path exists, with other methods" (HTTP
405, as before the catch-all existed) and keeping control paths out of the exchange's envelope. Does not belong
here: any exchange's error body (the plugin passes its handler).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Match, Route

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


def unknown_path_route(answer: Callable[[Request], Awaitable[Response]]) -> Route:
    """A `/{rest:path}` route answering `answer(request)` for paths no other route serves."""

    async def serve(request: Request) -> Response:
        for route in request.app.router.routes:
            if isinstance(route, Route) and route is not catch_all:
                match, _ = route.matches(request.scope)
                if match is Match.PARTIAL:  # the path exists with other methods
                    return PlainTextResponse("Method Not Allowed", status_code=405)
        if request.url.path.startswith("/_sim"):
            return JSONResponse({"error": "no such control path", "field": "path"}, status_code=404)
        return await answer(request)

    catch_all = Route("/{rest:path}", serve, methods=METHODS)
    return catch_all
