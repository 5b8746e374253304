"""Bitget: classic (V2) and unified (V3) accounts, live and demo trading (``paptrading: 1``).

Exports `SPEC` (static description, credential inspector) and `create_adapter` (an `AdapterFactory`).
Modules: ``endpoints`` (hosts, paths, doc links), ``signing`` (pure HMAC headers), ``errors`` (code table),
``parsing`` (payload → domain), ``adapter`` (`BitgetAdapter`), ``spec`` (`SPEC`, `inspect_credentials`).
"""

from __future__ import annotations

from tradedock.domain import Credentials, Environment, ExchangeId
from tradedock.errors import InvalidInputError
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.bitget.adapter import BitgetAdapter, validate_flavor
from tradedock.exchanges.bitget.spec import SPEC, inspect_credentials

__all__ = ["SPEC", "BitgetAdapter", "create_adapter", "inspect_credentials"]


def create_adapter(
    credentials: Credentials,
    *,
    flavor: Environment,
    base_url: str | None = None,
    http: HttpOptions | None = None,
) -> BitgetAdapter:
    """A Bitget adapter. ``flavor`` is live or demo (demo adds ``paptrading: 1``); ``base_url`` replaces
    https://api.bitget.com (the sandbox); ``http.transport`` is the test seam."""
    if credentials.exchange is not ExchangeId.BITGET:
        raise InvalidInputError(
            "exchange",
            f"these are {credentials.exchange.value} credentials, not Bitget credentials",
            fix="Pass credentials created for Bitget.",
        )
    for field in SPEC.credential_fields:
        if not credentials.get(field.name):
            raise InvalidInputError(field.name, f"Bitget needs the {field.label.lower()}", fix=f"Enter {field.help}.")
    demo = validate_flavor(flavor)
    url = base_url or SPEC.base_urls[flavor]
    return BitgetAdapter(credentials, spec=SPEC, demo=demo, base_url=url, http=http)
