"""`InstrumentRulesCache`: the per-symbol cache of instrument rules every exchange's trader shares.

What belongs here: the caching of `InstrumentRules` for an adapter's life (tick, lot and minimums change rarely;
one read per symbol and adapter). What does not: reading the rules from an exchange (each trader's
``_fetch_instrument_rules``) or applying them (``InstrumentRules.prepare``).
"""

from __future__ import annotations

from typing import Any

from tradedock.exchanges.orders import InstrumentRules


class InstrumentRulesCache:
    """Mixin placed before the read adapter in a trader's bases: `instrument_rules(symbol)` asks the exchange once
    per symbol (``_fetch_instrument_rules``) and answers from memory after that."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._instrument_rules: dict[str, InstrumentRules] = {}

    async def instrument_rules(self, symbol: str) -> InstrumentRules:
        cached = self._instrument_rules.get(symbol)
        if cached is None:
            cached = self._instrument_rules[symbol] = await self._fetch_instrument_rules(symbol)
        return cached

    async def _fetch_instrument_rules(self, symbol: str) -> InstrumentRules:
        raise NotImplementedError
