"""Building exchange adapters for a connection: which URL, which environment flavour, which alternatives to probe.

What belongs here: the mapping from a user's environment (live/demo/testnet/sandbox) to an adapter flavour and
base URL, including the simulated exchanges' URLs from settings. What does not: verification logic or any
exchange-specific code (that is in `tradedock.exchanges.<x>`).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from tradedock.clock import Clock
from tradedock.config import Settings
from tradedock.domain import Credentials, Environment, ExchangeId
from tradedock.errors import InvalidInputError
from tradedock.exchanges.base import ExchangeAdapter, ExchangeSpec, HttpOptions
from tradedock.exchanges.pool import aclose_clients, loop_pool, preconnect
from tradedock.exchanges.registry import get_exchange

#: Requests in a verification's first round (server time + the signed reads: 6 for Bybit, 7 for Bitget and Aster),
#: each on its own connection over HTTP/1.1.
FIRST_ROUND_CONNECTIONS = 7


@dataclass(frozen=True)
class ExchangeAccess:
    """Everything needed to build adapters; ``transports`` is the test seam (exchange → ASGI transport)."""

    settings: Settings
    clock: Clock
    transports: Mapping[ExchangeId, httpx.AsyncBaseTransport] = field(default_factory=dict)

    def spec(self, exchange: ExchangeId) -> ExchangeSpec:
        return get_exchange(exchange).spec

    def flavors(self, exchange: ExchangeId, environment: Environment) -> tuple[Environment, tuple[Environment, ...]]:
        """The flavour to speak for ``environment`` and the other flavours worth probing on an unknown key."""
        spec = self.spec(exchange)
        if environment is Environment.SANDBOX:
            offered = tuple(spec.sandbox_paths)
            primary = Environment.LIVE
        else:
            offered = tuple(spec.base_urls)
            primary = environment
            if environment not in offered:
                names = ", ".join(e.value for e in offered) + ", sandbox"
                raise InvalidInputError(
                    "environment",
                    f"{spec.name} has no {environment.value} environment",
                    fix=f"Use one of: {names}.",
                )
        return primary, tuple(e for e in offered if e is not primary)

    def base_url(self, exchange: ExchangeId, environment: Environment, flavor: Environment) -> str | None:
        """``None`` means the exchange's official URL for ``flavor``; sandbox returns the simulator's URL."""
        if environment is not Environment.SANDBOX:
            return None
        root = self.settings.effective_sandbox_urls().get(exchange.value)
        if not root:
            raise InvalidInputError(
                "environment",
                f"the sandbox has no URL for {exchange.value}",
                fix="Start the simulators with `tradedock sandbox` (or set TRADEDOCK_SANDBOX_URLS).",
            )
        check_sandbox_url(exchange.value, root, allow_remote=self.settings.sandbox_allow_remote)
        return root.rstrip("/") + self.spec(exchange).sandbox_paths.get(flavor, "")

    def http_options(self, exchange: ExchangeId) -> HttpOptions:
        return HttpOptions(
            timeout_s=self.settings.http_timeout_s,
            connect_timeout_s=self.settings.http_connect_timeout_s,
            rate_wait_s=self.settings.http_rate_wait_s,
            transport=self.transports.get(exchange),
            clock=self.clock,
        )

    def share_ip_budgets(self, processes: int) -> None:
        """``processes`` (this one included) send to the exchanges from the same egress IP: from now on this event
        loop's per-IP rate budgets are 1/``processes`` of each exchange's limit (`exchanges.budgets.Budgets`)."""
        loop_pool().budgets.ip_share = max(1, processes)

    def preconnect(self, exchange: ExchangeId, environment: Environment) -> None:
        """Start opening, in parallel and in the background, the connections a verification's first round will
        use (`FIRST_ROUND_CONNECTIONS`, HTTP/1.1), so their handshakes overlap the local work
        before the requests (a cold process imports the adapter meanwhile) instead of delaying them. Nothing on a
        warm pool or with a test transport; a bad environment is left for the adapter to report."""
        if exchange in self.transports:
            return
        try:
            flavor, _ = self.flavors(exchange, environment)
            url = self.base_url(exchange, environment, flavor) or self.spec(exchange).base_urls.get(flavor)
        except InvalidInputError:
            return
        if url:
            preconnect(url, FIRST_ROUND_CONNECTIONS, timeout_s=self.settings.http_connect_timeout_s)

    async def aclose(self) -> None:
        """Close the pooled exchange connections of this event loop (adapters share them; see `exchanges.pool`)."""
        await aclose_clients()

    def adapter(self, credentials: Credentials, environment: Environment, flavor: Environment) -> ExchangeAdapter:
        exchange = credentials.exchange
        return get_exchange(exchange).create_adapter(
            credentials,
            flavor=flavor,
            base_url=self.base_url(exchange, environment, flavor),
            http=self.http_options(exchange),
        )


@functools.lru_cache(maxsize=64)
def check_sandbox_url(exchange: str, url: str, *, allow_remote: bool) -> None:
    """A sandbox URL must be http(s) and, unless the operator allows remote sandboxes, on loopback: credentials
    (Bitget's passphrase in a header, API keys) are sent there, in clear over http. (Pure, so a URL that passed is
    not parsed again for every verification; a refusal is raised each time.)"""
    parts = urlsplit(url)
    fix = (
        "Point TRADEDOCK_SANDBOX_URLS at the simulators on this machine (e.g. http://127.0.0.1:PORT, as "
        "`tradedock sandbox` records them), or set TRADEDOCK_SANDBOX_ALLOW_REMOTE=true to allow another host."
    )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(
            "TRADEDOCK_SANDBOX_URLS", f"the sandbox URL for {exchange} is not an http(s) URL", fix=fix
        )
    if allow_remote:
        return
    host = parts.hostname
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host.lower() in ("localhost", "localhost.")
    if not loopback:
        raise InvalidInputError(
            "TRADEDOCK_SANDBOX_URLS",
            f"the sandbox URL for {exchange} names host {host[:80]!r}, not this machine; credentials would be sent "
            "there",
            fix=fix,
        )
