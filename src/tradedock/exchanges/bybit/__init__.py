"""Bybit V5: `SPEC` (static description) and `create_adapter` (the `AdapterFactory` the registry uses).

Files: ``endpoints.py`` (URLs, paths), ``signing.py`` (pure HMAC headers), ``errors.py`` (retCode table),
``parsing.py`` (payload → domain), ``adapter.py`` (`BybitAdapter`), ``spec.py`` (`SPEC`, credential inspector).
"""

from __future__ import annotations

from tradedock.domain import Credentials, Environment, ExchangeId
from tradedock.errors import InvalidInputError
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.bybit.adapter import BybitAdapter
from tradedock.exchanges.bybit.endpoints import BASE_URLS
from tradedock.exchanges.bybit.spec import SPEC, inspect_credentials
from tradedock.exchanges.http import ExchangeHttp

__all__ = ["SPEC", "BybitAdapter", "create_adapter", "inspect_credentials"]


def create_adapter(
    credentials: Credentials,
    *,
    flavor: Environment,
    base_url: str | None = None,
    http: HttpOptions | None = None,
) -> BybitAdapter:
    """A `BybitAdapter` for ``flavor`` (live/demo/testnet) at its official URL, or at ``base_url`` if given
    (the sandbox passes the simulator root plus `SPEC.sandbox_paths[flavor]`)."""
    if credentials.exchange is not ExchangeId.BYBIT:
        raise InvalidInputError(
            "exchange", f"{credentials.exchange.value} credentials were given to the Bybit adapter", fix="Pick Bybit."
        )
    for name in ("api_key", "secret"):
        if not credentials.get(name):
            label = SPEC.field(name).label
            raise InvalidInputError(name, f"The Bybit {label} is missing.", fix=f"Paste the {label}.")
    url = base_url or BASE_URLS.get(flavor)
    if url is None:
        raise InvalidInputError(
            "environment",
            f"Bybit has no official '{flavor.value}' environment",
            fix="Use live, demo or testnet (sandbox needs the simulator's URL).",
        )
    options = http or HttpOptions()
    http_client = ExchangeHttp("Bybit", url.rstrip("/"), options)
    return BybitAdapter(SPEC, credentials, http_client, clock=options.clock, flavor=flavor)
