"""What every built-in strategy shares: the signal it emits, how it describes its parameters, parsing helpers."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from tradedock.domain import Candle, CandleInterval
from tradedock.errors import InvalidInputError

#: Signal ids are stored in a 64-character column.
MAX_SIGNAL_ID = 64
SYMBOL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


class Action(enum.StrEnum):
    """The signal vocabulary the bots understand (a subset of their actions): hold long, hold short, hold nothing."""

    LONG = "long"
    SHORT = "short"
    CLOSE = "close"


@dataclass(frozen=True)
class Signal:
    """One signal. ``signal_id`` is deterministic (same candles and time → same id); ``size`` is an absolute target
    position in the base coin when the strategy sets one (DCA), else None (the bot's sizing decides)."""

    signal_id: str
    action: Action
    symbol: str
    time: datetime
    reason: str
    size: Decimal | None = None


@dataclass(frozen=True)
class ParamSpec:
    """One parameter as the catalog shows it (API, CLI, dashboard)."""

    name: str
    kind: str  # symbol | interval | integer | decimal | choice | datetime
    help: str
    required: bool = True
    default: object = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "help": self.help, "required": self.required}
        if self.default is not None:
            out["default"] = self.default
        if self.choices:
            out["choices"] = list(self.choices)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


class BuiltinStrategy(Protocol):
    """A built-in strategy: validated params in, an evaluation plan, at most one signal per evaluation."""

    name: str
    title: str
    description: str
    params: tuple[ParamSpec, ...]

    def validate(self, raw: Mapping[str, object], prefix: str = "params") -> dict[str, Any]:
        """Check and normalise raw params (JSON-able result, stored as the strategy's params)."""
        ...

    def symbol(self, params: Mapping[str, Any]) -> str: ...

    def interval(self, params: Mapping[str, Any]) -> CandleInterval: ...

    def candles_needed(self, params: Mapping[str, Any]) -> int:
        """How many of the newest candles (the open one included) an evaluation reads."""
        ...

    def evaluate(self, params: Mapping[str, Any], candles: tuple[Candle, ...], now: datetime) -> Signal | None: ...


def field(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def refuse_unknown(raw: Mapping[str, object], specs: tuple[ParamSpec, ...], prefix: str) -> None:
    known = {spec.name for spec in specs}
    for name in raw:
        if name not in known:
            shown = name if name.isidentifier() and len(name) <= 40 else f"a {len(name)}-character name"
            raise InvalidInputError(
                field(prefix, shown), f"unknown parameter {shown}", fix=f"Use: {', '.join(sorted(known))}."
            )


def parse_symbol(raw: object, prefix: str) -> str:
    if not isinstance(raw, str) or not raw:
        raise InvalidInputError(
            field(prefix, "symbol"), "symbol is required", fix='Give the perpetual, e.g. "BTCUSDT".'
        )
    symbol = raw.strip().upper()
    if not 2 <= len(symbol) <= 24 or not set(symbol) <= SYMBOL_CHARS:
        raise InvalidInputError(
            field(prefix, "symbol"),
            "symbol must be 2 to 24 letters and digits",
            fix='Use the exchange\'s own name of the USDT perpetual, e.g. "BTCUSDT".',
        )
    return symbol


def parse_interval(
    raw: object, prefix: str, allowed: tuple[CandleInterval, ...] = tuple(CandleInterval)
) -> CandleInterval:
    names = ", ".join(i.value for i in allowed)
    if not isinstance(raw, str) or raw not in {i.value for i in allowed}:
        raise InvalidInputError(
            field(prefix, "interval"), "interval is not one TradeDock reads", fix=f"Use one of: {names}."
        )
    return CandleInterval(raw)


def parse_int(raw: object, name: str, prefix: str, minimum: int, maximum: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise InvalidInputError(
            field(prefix, name), f"{name} must be a whole number", fix=f"Use {minimum} to {maximum}."
        )
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInputError(
            field(prefix, name), f"{name} must be a whole number", fix=f"Use {minimum} to {maximum}."
        ) from None
    if not minimum <= value <= maximum:
        raise InvalidInputError(
            field(prefix, name), f"{name} must be {minimum} to {maximum}", fix=f"Use {minimum} to {maximum}."
        )
    return value


def parse_decimal(raw: object, name: str, prefix: str, example: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | str | float):
        raise InvalidInputError(field(prefix, name), f"{name} must be a positive number", fix=f'e.g. "{example}".')
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise InvalidInputError(
            field(prefix, name), f"{name} must be a positive number", fix=f'e.g. "{example}".'
        ) from None
    if not value.is_finite() or value <= 0:
        raise InvalidInputError(field(prefix, name), f"{name} must be a positive number", fix=f'e.g. "{example}".')
    return value


def closed_candles(candles: tuple[Candle, ...], interval: CandleInterval, now_ms: int) -> list[Candle]:
    """The candles of ``interval`` that have closed by ``now_ms``, oldest first, one per open time."""
    by_time = {c.open_time_ms: c for c in candles if c.interval is interval and c.closed_at(now_ms)}
    return [by_time[t] for t in sorted(by_time)]
