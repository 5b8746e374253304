"""Aster DEX, V3 API wallet (EIP-712) authentication: `SPEC` and `create_adapter`, what the registry needs.

This module only imports the spec (data). `create_adapter` imports ``adapter.py`` — the HTTP client, the
signer and coincurve — the first time it is called, so listing exchanges, rendering a guide or `tradedock --help`
never pays for it.

Files: ``spec.py`` (`SPEC`: fields, URLs, capabilities, paste shapes), ``wallets.py`` (the local inspector),
``profile.py`` (requirements, wallets, menu names), ``guide.py`` (the key-setup guide), ``endpoints.py``,
``errors.py`` (code table), ``signing.py`` (EIP-712 digest, signed with coincurve), ``adapter.py``
(`AsterAdapter` and the real factory). Facts: /work/shared/reference/exchanges/aster.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradedock.exchanges.aster.spec import SPEC

if TYPE_CHECKING:
    from tradedock.domain import Credentials, Environment
    from tradedock.exchanges.aster.adapter import AsterAdapter
    from tradedock.exchanges.base import HttpOptions

__all__ = ["SPEC", "create_adapter"]


def create_adapter(
    credentials: Credentials,
    *,
    flavor: Environment,
    base_url: str | None = None,
    http: HttpOptions | None = None,
) -> AsterAdapter:
    """A `AsterAdapter` (see ``adapter.create_adapter``); loads the adapter module on first use."""
    from tradedock.exchanges.aster.adapter import create_adapter as build

    return build(credentials, flavor=flavor, base_url=base_url, http=http)
