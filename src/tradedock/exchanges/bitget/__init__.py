"""Bitget (classic V2 and unified V3 accounts; live and demo trading): `SPEC` and `create_adapter`.

This module only imports the spec (data). `create_adapter` imports ``adapter.py`` — the HTTP client, the
signer — the first time it is called, so listing exchanges, rendering a guide or `tradedock --help`
never pays for it.

Files: ``spec.py`` (`SPEC`: fields, URLs, capabilities, inspector, paste shapes), ``profile.py`` (requirements,
wallets, menu names), ``guide.py`` (the key-setup guide), ``endpoints.py`` (hosts, paths, doc links),
``errors.py`` (code table), ``signing.py`` (pure HMAC headers), ``parsing.py`` (payload → domain),
``adapter.py`` (`BitgetAdapter` and the real factory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradedock.exchanges.bitget.spec import SPEC, inspect_credentials

if TYPE_CHECKING:
    from tradedock.domain import Credentials, Environment
    from tradedock.exchanges.base import HttpOptions
    from tradedock.exchanges.bitget.adapter import BitgetAdapter

__all__ = ["SPEC", "create_adapter", "inspect_credentials"]


def create_adapter(
    credentials: Credentials,
    *,
    flavor: Environment,
    base_url: str | None = None,
    http: HttpOptions | None = None,
) -> BitgetAdapter:
    """A `BitgetAdapter` (see ``adapter.create_adapter``); loads the adapter module on first use."""
    from tradedock.exchanges.bitget.adapter import create_adapter as build

    return build(credentials, flavor=flavor, base_url=base_url, http=http)
