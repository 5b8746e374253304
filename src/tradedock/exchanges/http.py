"""The one HTTP wrapper every adapter uses: pooled connections, the outbound rate budget, timeouts, a small retry
budget for reads, transport faults mapped to domain errors, and logging that never shows a header, a query string
or a body.

What belongs here: sending one request over the process's pooled client for its host (``pool.py``) once the
exchange's rate budgets grant it (``budgets.py``; a request waits its turn up to `HttpOptions.rate_wait_s`, then
fails with `RateLimitedError` without being sent), and turning *transport-level* outcomes (timeouts, refused
connections, 5xx, HTML error pages, 429, CDN geo-block pages) into `tradedock.errors`. An idempotent read answered
HTTP 429 is sent once more after the wait the exchange asks for, if that fits in the same bound; a non-idempotent
call is never sent twice by this layer. What does not: an exchange's own JSON error codes — each adapter maps
those with its `errors.py` table after `ExchangeHttp.request` returns a parsed body.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tradedock.errors import (
    HELD_BACK,
    ExchangeTimeoutError,
    ExchangeUnavailableError,
    GeoBlockedError,
    RateLimitedError,
    UnexpectedResponseError,
)
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.budgets import RateBook
from tradedock.exchanges.h1 import Answer, TransportFault
from tradedock.exchanges.netstream import PooledTransport, Timeouts
from tradedock.exchanges.pool import loop_pool, origin, transport_for

log = logging.getLogger("tradedock.http")

_RETRY_STATUSES = frozenset({502, 503, 504})


def _looks_like_html(response: Reply) -> bool:
    ctype = response.headers.get("content-type", "")
    if "html" in ctype:
        return True
    head = response.content[:200].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html"))


def _retry_after(response: Reply) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def silence_transport_loggers() -> None:
    """httpx and httpcore log full request URLs at INFO, which for signed GETs include the signature and
    account addresses; only our own redacted ``tradedock.http`` lines may describe requests."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class Signed:
    """What signing adds to one attempt of a request: the query string to send (replacing ``params``), the body
    (replacing ``content``, e.g. Aster's signed form body) and/or headers (added to the request's own)."""

    query: str | None = None
    headers: Mapping[str, str] | None = None
    body: str | None = None


#: An answer as `ExchangeHttp.request` returns it: `netstream.Answer` over the pooled connections, an
#: ``httpx.Response`` over the test seam; both have ``status_code``, ``headers.get()``, ``content`` and ``json()``.
Reply = httpx.Response | Answer

#: Builds the signature of one attempt. Called after the rate budget granted the request (and again before a
#: resend), so the timestamp or nonce is taken when the request actually leaves.
Signer = Callable[[], Signed]

#: What every request carries (what ``httpx.AsyncClient`` used to add, kept when the transport changed):
#: exchanges' CDNs see the same requests.
_BASE_HEADERS = {
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
    "User-Agent": f"python-httpx/{httpx.__version__}",
}


class ExchangeHttp:
    """One adapter's view of an exchange host: its base URL, the account its per-UID budgets are charged to, and
    the exchange's `RateBook`. The connections underneath are the process's pooled transport for the host."""

    def __init__(
        self,
        exchange: str,
        base_url: str,
        options: HttpOptions | None = None,
        *,
        retries: int = 1,
        account: str = "",
        rates: RateBook | None = None,
    ):
        silence_transport_loggers()
        self.exchange = exchange
        self.options = options or HttpOptions()
        self.retries = retries
        self.account = account
        self.rates = rates or RateBook()
        self._base = base_url.rstrip("/")
        self._host = origin(self._base)
        self._extensions = {
            "timeout": httpx.Timeout(self.options.timeout_s, connect=self.options.connect_timeout_s).as_dict()
        }
        self._headers = {**_BASE_HEADERS, **self.options.extra_headers}
        self._timeout = Timeouts(
            wait_s=self.options.timeout_s,  # for a free connection
            connect_s=self.options.connect_timeout_s,  # opening one: TCP and TLS
            read_s=self.options.timeout_s,  # between two reads of the answer
        )

    @property
    def base_url(self) -> str:
        return self._base

    async def aclose(self) -> None:
        """Nothing to release: the connections are the process's pool (``pool.aclose_clients`` at shutdown)."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | str | None = None,
        content: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        sign: Signer | None = None,
    ) -> tuple[Reply, Any]:
        """Send one request; return the response and its parsed JSON body.

        ``params`` is a query string sent exactly as given (what was signed) or a mapping httpx encodes. ``sign``
        is called for every attempt once the rate budget granted it, so each attempt carries its own timestamp or
        nonce and signature (`Signed`); a signed request must pass its signature this way, never precomputed.

        Raises `ExchangeUnreachableError` subclasses for transport faults and non-JSON error pages, and
        `RateLimitedError` when the budget does not grant the request within `HttpOptions.rate_wait_s`.
        A JSON body with any status is returned as is: the caller's error table decides what it means.
        ``idempotent`` defaults to True for GET and HEAD only: anything else is never sent twice unless the caller
        says it is safe.
        """
        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.rate_wait_s
        transport = transport_for(self._host, self.options.transport)
        attempts = 1 + (self.retries if idempotent else 0)
        attempt, waited_for_limit = 0, False
        while True:
            # Every attempt, a retry included, is a request the exchange counts: each takes its turn.
            await self._take_budget(path, max(0.0, deadline - loop.time()))
            last = attempt >= attempts - 1
            signed = sign() if sign is not None else None
            url, body, merged = self._outgoing(path, params, content, headers, signed)
            try:
                if isinstance(transport, PooledTransport):
                    response: Reply = await transport.send(
                        method, url, headers=merged, body=body, timeout=self._timeout
                    )
                else:
                    response = await self._send_seam(transport, method, url, body, merged)
            except (TimeoutError, httpx.TimeoutException):
                log.info("%s %s %s: timeout", self.exchange, method, path)
                raise ExchangeTimeoutError(
                    f"{self.exchange} did not answer within {self.options.timeout_s:g} s",
                    exchange=self.exchange,
                ) from None
            except (TransportFault, httpx.TransportError) as exc:
                log.info("%s %s %s: transport error %s", self.exchange, method, path, type(exc).__name__)
                if not last:
                    attempt += 1
                    await self._backoff(attempt - 1)
                    continue
                # Our own transport's faults say what happened in words without the URL (no signed query);
                # httpx's (the test seam) are named by class.
                reason = str(exc) if isinstance(exc, TransportFault) else type(exc).__name__
                message = f"could not reach {self.exchange}: {reason}"
                raise ExchangeTimeoutError(message, exchange=self.exchange) from None
            log.debug("%s %s %s -> %s", self.exchange, method, path, response.status_code)
            if response.status_code in _RETRY_STATUSES and not last:
                attempt += 1
                await self._backoff(attempt - 1)
                continue
            if response.status_code == 429 and idempotent and not waited_for_limit:
                wait = _retry_after(response)
                if wait is None:
                    own = self.rates.paths.get(path)
                    wait = own.period_s if own is not None else 1.0
                if loop.time() + wait <= deadline:
                    log.info("%s %s %s: 429, sent again in %.2f s", self.exchange, method, path, wait)
                    waited_for_limit = True
                    await asyncio.sleep(wait)
                    continue
            return response, self._parse(response)

    def _outgoing(
        self,
        path: str,
        params: Mapping[str, Any] | str | None,
        content: str | bytes | None,
        headers: Mapping[str, str] | None,
        signed: Signed | None,
    ) -> tuple[str, str | bytes | None, Mapping[str, str]]:
        """One attempt's URL, body and headers, whichever transport sends it: the query string goes on the URL byte
        for byte (a mapping is encoded as httpx encodes params); the headers are the shared defaults plus the
        caller's and the signature's."""
        query = signed.query if signed is not None and signed.query is not None else params
        if signed is not None and signed.body is not None:
            content = signed.body
        url = self._base + path
        if query:
            url = f"{url}?{query if isinstance(query, str) else httpx.QueryParams(query)}"
        merged = self._headers
        extra = signed.headers if signed is not None else None
        if headers or extra:
            merged = {**merged, **(headers or {}), **(extra or {})}
        return url, content, merged

    async def _send_seam(
        self,
        transport: httpx.AsyncBaseTransport,
        method: str,
        url: str,
        body: str | bytes | None,
        headers: Mapping[str, str],
    ) -> httpx.Response:
        """One attempt over the test seam (`HttpOptions.transport`, an httpx transport): the URL, body and headers
        `_outgoing` built, as the pooled transport sends them."""
        outgoing = httpx.Request(method, url, content=body, headers=headers, extensions=self._extensions)
        response = await transport.handle_async_request(outgoing)
        response.request = outgoing
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    async def _take_budget(self, path: str, wait_s: float) -> None:
        refused = await loop_pool().budgets.take(
            self.rates,
            exchange=self.exchange,
            host=self._host,
            base_url=self._base,
            account=self.account,
            path=path,
            wait_s=wait_s,
        )
        if refused is not None:
            log.info("%s %s: own rate budget (%s) not granted in time", self.exchange, path, refused.limit)
            raise RateLimitedError(
                f"{self.exchange} allows {refused.limit} here and this server's share is used up; "
                "the request was not sent",
                retry_after_s=refused.limit.period_s,
                exchange=self.exchange,
                code=HELD_BACK,
            )

    async def _backoff(self, attempt: int) -> None:
        # Full jitter, capped: https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/
        await asyncio.sleep(random.uniform(0, min(1.0, 0.1 * 2**attempt)))

    def _parse(self, response: Reply) -> Any:
        status = response.status_code
        if status == 429 or status == 418:
            raise RateLimitedError(
                f"{self.exchange} is rate limiting requests (HTTP {status})",
                retry_after_s=_retry_after(response),
                exchange=self.exchange,
                code=str(status),
            )
        if _looks_like_html(response):
            if status == 403:
                raise GeoBlockedError(
                    f"{self.exchange} blocks requests from this server's location (HTTP 403 page from its CDN)",
                    exchange=self.exchange,
                    code="403",
                    fix="Run TradeDock from a region the exchange serves.",
                )
            raise ExchangeUnavailableError(
                f"{self.exchange} answered with an error page (HTTP {status}); it may be in maintenance",
                exchange=self.exchange,
                code=str(status),
            )
        try:
            return json.loads(response.content)
        except ValueError:
            if status >= 500:
                raise ExchangeUnavailableError(
                    f"{self.exchange} had a server error (HTTP {status})", exchange=self.exchange, code=str(status)
                ) from None
            raise UnexpectedResponseError(
                f"{self.exchange} answered HTTP {status} with a body that is not JSON",
                exchange=self.exchange,
                code=str(status),
            ) from None
