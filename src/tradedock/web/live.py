"""The live verification report: a page streamed check by check while the verification runs.

What belongs here: `LiveRun` (runs one service call that takes an ``on_check`` callback — connect, replace, check —
as a task of this request and hands its checks to the template as they finish) and `stream_page` (renders a
template with Jinja's async generator and sends it in pieces: the page's top at once, then one piece per check,
then the verdict and the rest of the page). Plain HTML over one POST answer: no JavaScript, no job table, no
polling URL; the credentials live in the request's memory only and the task ends with the request (a browser that
leaves cancels it). What does not: which service call runs or what the page says (pages_*.py, templates).

A verification that fails before its first check (bad input, a key already connected) raises from `LiveRun.first`
so the page can answer as before (422 with the field named); once a check is sent the answer is 200 and any later
error is shown in the page (``run.error``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from tradedock.errors import TradeDockError
from tradedock.services.views import CheckView, Outcome
from tradedock.web.app import HERE, PAGE_HEADERS, templates

_log = logging.getLogger(__name__)
UNEXPECTED = "something went wrong on our side while checking; nothing was stored"

#: Written by a template where a piece of the page should be sent now (stripped from the answer).
FLUSH = Markup("<!--td-flush-->")

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    enable_async=True,
    undefined=StrictUndefined,
)
_env.filters.update(templates.env.filters)

#: A service call told each check's line as soon as it is known.
Verification = Callable[[Callable[[CheckView], None]], Coroutine[Any, Any, Outcome]]


class LiveRun:
    """One verification running as a task of this request, its checks queued for the page as they finish."""

    def __init__(self, call: Verification) -> None:
        self._queue: asyncio.Queue[CheckView] = asyncio.Queue()
        self._task: asyncio.Task[Outcome] = asyncio.create_task(call(self._queue.put_nowait))
        self.outcome: Outcome | None = None
        self.error: TradeDockError | None = None
        self.skipped: list[CheckView] = []
        self._head: CheckView | None = None

    async def first(self) -> Outcome | None:
        """Wait for the first check (None: stream the page) or the end of a call that never got that far (its
        outcome, or its error raised: the caller answers without streaming)."""
        if await self._next() is not None:
            return None
        return self._task.result()  # raises the call's error

    async def _next(self) -> CheckView | None:
        """The next check told, or None when the call ended and every check told was taken."""
        if self._head is not None:
            return self._head
        if self._queue.empty() and not self._task.done():
            getter = asyncio.ensure_future(self._queue.get())
            await asyncio.wait({getter, self._task}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                self._head = getter.result()
                return self._head
            getter.cancel()
        if not self._queue.empty():
            self._head = self._queue.get_nowait()
        return self._head

    async def checks(self) -> AsyncIterator[CheckView]:
        """Every check that ran, as it finishes (skipped ones are kept in ``skipped`` for after the list); then
        ``outcome`` or ``error`` is set."""
        while (check := await self._next()) is not None:
            self._head = None
            if check.outcome == "skip":
                self.skipped.append(check)
            else:
                yield check
        try:
            self.outcome = self._task.result()
        except TradeDockError as exc:
            self.error = exc
        except Exception:  # a bug: the page still ends properly; the traceback goes to the log, never a secret
            _log.exception("live verification failed")
            self.error = TradeDockError(UNEXPECTED, fix="Try again; if it persists, tell the operator.")

    async def aclose(self) -> None:
        """End the task with the request (a browser that left cancels it: nothing outlives the answer)."""
        if not self._task.done():
            self._task.cancel()
        with contextlib.suppress(BaseException):
            await self._task


async def _pieces(run: LiveRun, template: str, values: dict[str, Any]) -> AsyncIterator[str]:
    buffered: list[str] = []
    try:
        async for chunk in _env.get_template(template).generate_async(run=run, flush=FLUSH, **values):
            if chunk == FLUSH:
                yield "".join(buffered)
                buffered.clear()
            else:
                buffered.append(chunk)
        yield "".join(buffered)
    finally:
        await run.aclose()


def stream_page(request: Request, template: str, run: LiveRun, **values: Any) -> StreamingResponse:
    """The page of a live run, sent piece by piece (status 200: the verdict comes after the headers)."""
    values.setdefault("title", "TradeDock")
    visitor = values.get("visitor")
    values.setdefault("user", visitor.principal if visitor is not None else None)
    values.setdefault("request", request)
    return StreamingResponse(
        _pieces(run, template, values),
        media_type="text/html; charset=utf-8",
        headers={**PAGE_HEADERS, "X-Accel-Buffering": "no"},
    )
