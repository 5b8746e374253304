"""The explicit list of supported exchanges: id → (spec, adapter factory). Unknown ids fail loudly.

Adding an exchange is one line here plus its ``exchanges/<x>/`` folder (see docs/adding-an-exchange.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from tradedock.domain import ExchangeId
from tradedock.exchanges import aster, bitget, bybit
from tradedock.exchanges.base import AdapterFactory, ExchangeSpec


@dataclass(frozen=True)
class RegisteredExchange:
    spec: ExchangeSpec
    create_adapter: AdapterFactory


EXCHANGES: Mapping[ExchangeId, RegisteredExchange] = MappingProxyType(
    {
        ExchangeId.BYBIT: RegisteredExchange(bybit.SPEC, bybit.create_adapter),
        ExchangeId.BITGET: RegisteredExchange(bitget.SPEC, bitget.create_adapter),
        ExchangeId.ASTER: RegisteredExchange(aster.SPEC, aster.create_adapter),
    }
)


def get_exchange(exchange: ExchangeId | str) -> RegisteredExchange:
    """The registered exchange for an id; raises `KeyError` naming the supported ones."""
    try:
        return EXCHANGES[ExchangeId(exchange)]
    except (ValueError, KeyError):
        supported = ", ".join(e.value for e in EXCHANGES)
        raise KeyError(f"unknown exchange {exchange!r}; supported: {supported}") from None
