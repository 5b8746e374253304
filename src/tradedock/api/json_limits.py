"""Size and depth limits on every JSON request body, enforced before FastAPI parses it.

What belongs here: `JsonLimitMiddleware`, a pure ASGI middleware that reads a request body with a JSON
content type (at most `MAX_BODY_BYTES`, else 413), measures its nesting without recursion
(`tradedock.jsonlimits.json_depth`, else 422) and hands the same bytes on. Why: FastAPI parses with
``json.loads``, which recurses per level, and once an Aster signature has been checked in this process py_ecc
has raised the recursion limit to 100,000 — a body of 80,000 nested brackets would then overflow the C stack
and kill the server. Errors are problem+json with ``field: body`` and never echo the body.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradedock.api.problems import problem_response
from tradedock.jsonlimits import json_depth

#: Largest JSON body accepted (credentials, settings of a webhook, a sign-in: all far smaller).
MAX_BODY_BYTES = 64 * 1024
MAX_BODY_DEPTH = 32


class JsonLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "json" not in Headers(scope=scope).get("content-type", ""):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([], message), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                await _refuse(scope, receive, send, 413, f"the JSON body is larger than {MAX_BODY_BYTES:,} bytes")
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        if json_depth(body.decode("utf-8", "replace"), stop_after=MAX_BODY_DEPTH) > MAX_BODY_DEPTH:
            await _refuse(scope, receive, send, 422, f"the JSON body is nested more than {MAX_BODY_DEPTH} levels deep")
            return
        await self.app(scope, _replay([body], None), send)


def _replay(bodies: list[bytes], last: Message | None) -> Receive:
    """A ``receive`` that yields the body already read, then whatever comes next (a disconnect)."""
    pending: list[Message] = [{"type": "http.request", "body": b"".join(bodies), "more_body": False}]
    if last is not None:
        pending = [last]

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return {"type": "http.disconnect"}

    return receive


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    response = problem_response(
        status,
        "invalid-input" if status == 422 else "too-large",
        "Invalid input" if status == 422 else "Request body too large",
        detail,
        field="body",
        fix="Send one flat JSON object as the OpenAPI document describes (/api/v1/openapi.json).",
    )
    await response(scope, receive, send)
