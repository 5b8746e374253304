"""The one HTTP wrapper every adapter uses: timeouts, a small retry budget for reads, transport faults mapped
to domain errors, and logging that never shows a header, a query string or a body.

What belongs here: turning *transport-level* outcomes (timeouts, refused connections, 5xx, HTML error pages,
429, CDN geo-block pages) into `tradedock.errors`. What does not: an exchange's own JSON error codes — each
adapter maps those with its `errors.py` table after `ExchangeHttp.request` returns a parsed body.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from typing import Any

import httpx

from tradedock.errors import (
    ExchangeTimeoutError,
    ExchangeUnavailableError,
    GeoBlockedError,
    RateLimitedError,
    UnexpectedResponseError,
)
from tradedock.exchanges.base import HttpOptions

log = logging.getLogger("tradedock.http")

_RETRY_STATUSES = frozenset({502, 503, 504})


def _looks_like_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "")
    if "html" in ctype:
        return True
    head = response.content[:200].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html"))


def _retry_after(response: httpx.Response) -> float | None:
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


class ExchangeHttp:
    """An ``httpx.AsyncClient`` bound to one base URL, for one adapter."""

    def __init__(self, exchange: str, base_url: str, options: HttpOptions | None = None, *, retries: int = 1):
        silence_transport_loggers()
        self.exchange = exchange
        self.options = options or HttpOptions()
        self.retries = retries
        timeout = httpx.Timeout(self.options.timeout_s, connect=self.options.connect_timeout_s)
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            transport=self.options.transport,
            headers=dict(self.options.extra_headers),
            follow_redirects=False,
        )

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | str | None = None,
        content: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> tuple[httpx.Response, Any]:
        """Send one request; return the response and its parsed JSON body.

        Raises `ExchangeUnreachableError` subclasses for transport faults and non-JSON error pages.
        A JSON body with any status is returned as is: the caller's error table decides what it means.
        """
        attempts = 1 + (self.retries if idempotent else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._client.request(method, path, params=params, content=content, headers=headers)
            except httpx.TimeoutException:
                log.info("%s %s %s: timeout", self.exchange, method, path)
                raise ExchangeTimeoutError(
                    f"{self.exchange} did not answer within {self.options.timeout_s:g} s",
                    exchange=self.exchange,
                ) from None
            except httpx.TransportError as exc:
                log.info("%s %s %s: transport error %s", self.exchange, method, path, type(exc).__name__)
                if not last:
                    await self._backoff(attempt)
                    continue
                raise ExchangeTimeoutError(
                    f"could not reach {self.exchange} ({type(exc).__name__})", exchange=self.exchange
                ) from None
            log.debug("%s %s %s -> %s", self.exchange, method, path, response.status_code)
            if response.status_code in _RETRY_STATUSES and not last:
                await self._backoff(attempt)
                continue
            return response, self._parse(response)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _backoff(self, attempt: int) -> None:
        # Full jitter, capped: https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/
        await asyncio.sleep(random.uniform(0, min(1.0, 0.1 * 2**attempt)))

    def _parse(self, response: httpx.Response) -> Any:
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
            return response.json()
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
