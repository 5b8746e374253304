"""Bybit V5: `SPEC` and `create_adapter`, what the registry needs.

This module only imports the spec (data). `create_adapter` imports ``adapter.py`` — the HTTP client, the
signer — the first time it is called, so listing exchanges, rendering a guide or `tradedock --help`
never pays for it.

Files: ``spec.py`` (`SPEC`: fields, URLs, capabilities, inspector, paste shapes), ``profile.py`` (requirements,
wallets, menu names), ``guide.py`` (the key-setup guide), ``endpoints.py`` (URLs, paths), ``errors.py`` (retCode
table), ``signing.py`` (pure HMAC headers), ``parsing.py`` (payload → domain), ``adapter.py`` (`BybitAdapter`
and the real factory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradedock.exchanges.bybit.spec import SPEC, inspect_credentials

if TYPE_CHECKING:
    from tradedock.domain import Credentials, Environment
    from tradedock.exchanges.base import HttpOptions
    from tradedock.exchanges.bybit.adapter import BybitAdapter

__all__ = ["SPEC", "create_adapter", "inspect_credentials"]


def create_adapter(
    credentials: Credentials,
    *,
    flavor: Environment,
    base_url: str | None = None,
    http: HttpOptions | None = None,
) -> BybitAdapter:
    """A `BybitAdapter` (see ``adapter.create_adapter``); loads the adapter module on first use."""
    from tradedock.exchanges.bybit.adapter import create_adapter as build

    return build(credentials, flavor=flavor, base_url=base_url, http=http)
