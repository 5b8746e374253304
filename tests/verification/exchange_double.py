"""A hand-written stand-in for an EXTERNAL exchange, implementing the `ExchangeAdapter` protocol.

It is a test double of the exchange (the network side), not of TradeDock code: each call answers from a script
(a value, an exception, or a function of the adapter, e.g. "refuse timestamps until an offset is set"), and the
shared `Wire` records every call and how many were in flight at once so tests can count rounds and concurrency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tradedock.domain import (
    AccountInfo,
    AccountMode,
    Balance,
    ContractType,
    Environment,
    KeyInfo,
    MarginMode,
    PositionMode,
    PositionSettings,
    ServerTime,
)
from tradedock.exchanges.base import ExchangeSpec

from .factories import NOW_MS, key_info, server_time, usdt

Answer = Any  # a value, an Exception instance, or Callable[[ScriptedAdapter], value | Exception]


def healthy_script() -> dict[str, Answer]:
    return {
        "server_time": server_time(offset_ms=40),
        "key_info": key_info(),
        "account_info": AccountInfo("100200", AccountMode.UNIFIED, is_subaccount=False, margin_mode=MarginMode.CROSS),
        "balances": (usdt("UNIFIED", "500"), usdt("FUND", "20")),
        "position_settings": PositionSettings(PositionMode.ONE_WAY, MarginMode.CROSS),
    }


@dataclass
class Wire:
    """What crossed the (pretend) network: calls in order, per flavour, and the peak number in flight."""

    calls: list[tuple[Environment, str]] = field(default_factory=list)
    in_flight: int = 0
    peak: int = 0
    #: Peak in-flight per "wave": a wave ends when nothing is in flight.
    waves: list[int] = field(default_factory=list)

    def names(self, flavor: Environment | None = None) -> list[str]:
        return [name for env, name in self.calls if flavor is None or env is flavor]


class ScriptedAdapter:
    def __init__(self, spec: ExchangeSpec, flavor: Environment, script: Mapping[str, Answer], wire: Wire) -> None:
        self.spec = spec
        self.flavor = flavor
        self.time_offset_ms = 0
        self.script = dict(script)
        self.wire = wire
        self.closed = False

    async def _answer(self, name: str) -> Any:
        wire = self.wire
        wire.calls.append((self.flavor, name))
        if wire.in_flight == 0:
            wire.waves.append(0)
        wire.in_flight += 1
        wire.peak = max(wire.peak, wire.in_flight)
        wire.waves[-1] = max(wire.waves[-1], wire.in_flight)
        try:
            for _ in range(3):  # yield to the loop so concurrent calls overlap, as real I/O would
                await asyncio.sleep(0)
            answer = self.script[name]
            if callable(answer):
                answer = answer(self)
            if isinstance(answer, Exception):
                raise answer
            return answer
        finally:
            wire.in_flight -= 1

    async def server_time(self) -> ServerTime:
        result: ServerTime = await self._answer("server_time")
        return result

    async def key_info(self) -> KeyInfo:
        result: KeyInfo = await self._answer("key_info")
        return result

    async def account_info(self) -> AccountInfo:
        result: AccountInfo = await self._answer("account_info")
        return result

    async def balances(self) -> tuple[Balance, ...]:
        result: tuple[Balance, ...] = await self._answer("balances")
        return result

    async def position_settings(self, contract: ContractType) -> PositionSettings:
        result: PositionSettings = await self._answer("position_settings")
        return result

    async def aclose(self) -> None:
        self.closed = True


class ScriptedExchange:
    """An `AdapterProvider`: one script per flavour, one shared wire."""

    def __init__(self, spec: ExchangeSpec, scripts: Mapping[Environment, Mapping[str, Answer]]) -> None:
        self.spec = spec
        self.scripts = scripts
        self.wire = Wire()
        self.built: dict[Environment, ScriptedAdapter] = {}

    def __call__(self, flavor: Environment) -> ScriptedAdapter:
        if flavor not in self.scripts:
            raise LookupError(f"no {flavor.value} environment on this exchange")
        adapter = self.built.get(flavor)
        if adapter is None:
            adapter = self.built[flavor] = ScriptedAdapter(self.spec, flavor, self.scripts[flavor], self.wire)
        return adapter


def refuse_unless_offset(offset_ms: int, value: Any, error: Exception) -> Callable[[ScriptedAdapter], Any]:
    """Like an exchange checking the request timestamp: only a compensated adapter gets through."""

    def answer(adapter: ScriptedAdapter) -> Any:
        return value if adapter.time_offset_ms == offset_ms else error

    return answer


__all__ = ["NOW_MS", "ScriptedAdapter", "ScriptedExchange", "Wire", "healthy_script", "refuse_unless_offset"]
