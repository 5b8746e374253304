"""The explicit list of supported exchanges: id → (spec, adapter factory). Unknown ids fail loudly.

What belongs here: the one line per exchange, and the few lookups services use. What does not: any exchange's
facts — each ``exchanges/<x>/spec.py`` holds its credential fields, profile, guide, error table and paste shapes
(docs/adding-an-exchange.md, docs/architecture.md "Exchange registry").

Importing this module is cheap: it loads every exchange's ``spec.py`` (data), never an adapter, a signer, httpx,
eth-account, SQLAlchemy or the simulators. An exchange's adapter module loads the first time its
`create_adapter` is called. The specs served here also recognise the other exchanges' credentials
(``exchanges/pastes.py``), which only the registry, knowing every exchange, can add.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from tradedock.domain import ExchangeId
from tradedock.exchanges import aster, bitget, bybit
from tradedock.exchanges.base import AdapterFactory, ExchangeSpec
from tradedock.exchanges.pastes import with_paste_detection


@dataclass(frozen=True)
class RegisteredExchange:
    spec: ExchangeSpec
    create_adapter: AdapterFactory


#: One line per exchange: its own spec and its (lazy) adapter factory.
_OWN: tuple[tuple[ExchangeSpec, AdapterFactory], ...] = (
    (bybit.SPEC, bybit.create_adapter),
    (bitget.SPEC, bitget.create_adapter),
    (aster.SPEC, aster.create_adapter),
)

_SPECS = tuple(spec for spec, _ in _OWN)

EXCHANGES: Mapping[ExchangeId, RegisteredExchange] = MappingProxyType(
    {spec.id: RegisteredExchange(with_paste_detection(spec, _SPECS), factory) for spec, factory in _OWN}
)


def get_exchange(exchange: ExchangeId | str) -> RegisteredExchange:
    """The registered exchange for an id; raises `KeyError` naming the supported ones."""
    try:
        return EXCHANGES[ExchangeId(exchange)]
    except (ValueError, KeyError):
        raise KeyError(f"unknown exchange {exchange!r}; supported: {', '.join(supported_names())}") from None


def get_spec(exchange: ExchangeId | str) -> ExchangeSpec:
    return get_exchange(exchange).spec


def supported_names() -> tuple[str, ...]:
    """The ids users type (``bybit``), in registry order."""
    return tuple(e.value for e in EXCHANGES)
