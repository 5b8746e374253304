"""Aster DEX, V3 API wallet (EIP-712) authentication: `SPEC` and `create_adapter` for the registry.

What belongs here: the factory that wires credentials, flavour and URLs into an `AsterAdapter`. What does
not: anything else (see the sibling modules). Facts: /work/shared/reference/exchanges/aster.md.
"""

from __future__ import annotations

from tradedock.clock import SystemClock
from tradedock.domain import Credentials, Environment
from tradedock.errors import InvalidInputError
from tradedock.exchanges.aster import endpoints
from tradedock.exchanges.aster.adapter import AsterAdapter
from tradedock.exchanges.aster.signing import NonceSource
from tradedock.exchanges.aster.spec import FLAVORS, SPEC
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.http import ExchangeHttp

__all__ = ["SPEC", "AsterAdapter", "create_adapter"]


def create_adapter(
    credentials: Credentials,
    *,
    flavor: Environment,
    base_url: str | None = None,
    http: HttpOptions | None = None,
) -> AsterAdapter:
    """An adapter for ``flavor`` (live: chainId 1666, testnet: 714).

    ``base_url`` (the sandbox root plus its environment path) replaces both the futures and the spot host:
    the simulator serves ``/fapi`` and ``/api`` paths on one root.
    """
    if flavor not in FLAVORS:
        raise InvalidInputError(
            "environment",
            f"Aster has no {flavor.value} environment",
            fix="Use live or testnet (Aster testnet keys come from https://www.asterdex-testnet.com/en/api-wallet).",
        )
    options = http or HttpOptions()
    clock = options.clock or SystemClock()
    creds, _ = credentials.trimmed()
    futures = ExchangeHttp("aster", base_url or endpoints.FUTURES_BASE_URLS[flavor], options)
    spot = futures if base_url else ExchangeHttp("aster", endpoints.SPOT_BASE_URLS[flavor], options)
    return AsterAdapter(creds, flavor=flavor, futures=futures, spot=spot, clock=clock, nonces=NonceSource(clock))
