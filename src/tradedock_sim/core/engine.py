"""A small deterministic matching engine every simulated exchange shares (one per simulator port).

Belongs here: order placement, amendment and cancellation, fills against the controllable mark price, positions
(one-way and hedge), leverage, cross-margin accounting and fees. Exchange wire formats and codes are not here:
each exchange folder turns its request into an `OrderRequest` and a `TradeRejected` into its own answer.

Model (documented in docs/simulators.md, "Trading"):
- There is no order book: the mark price (`PricePath`, set with `POST /_sim/prices`) is the market.
- Market orders fill at the mark price as taker. A limit order that crosses the mark on arrival fills at the mark
  as taker (post-only ones are cancelled instead); otherwise it rests and fills completely at its own price as
  maker once the mark reaches it. A price path is replayed point by point, so a price that touches a limit and
  moves away between two requests still fills it.
- Margin is cross and per settle coin: available = wallet + unrealised PnL - position IM - open-order IM, where
  IM = notional / leverage. A new order needs IM for the part that opens exposure plus the taker fee.
- Reduce-only orders are cut to the position they reduce and cancelled when that position is gone.
- Fees and realised PnL move the wallet balance of the instrument's wallet, in its settle coin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from tradedock_sim.core.orders import (
    ZERO,
    Book,
    Fill,
    Instrument,
    Order,
    OrderRequest,
    OrderStatus,
    Position,
    PositionSide,
    Reject,
    Side,
    TradeRejected,
)
from tradedock_sim.core.state import Account

DEFAULT_LEVERAGE = Decimal(10)
# Bybit's base-tier perpetual fees, the simulator default for every exchange (changed with POST /_sim/fees).
DEFAULT_TAKER_FEE = Decimal("0.00055")
DEFAULT_MAKER_FEE = Decimal("0.0002")
FEE_QUANTUM = Decimal("0.00000001")
SEED_QTY = Decimal("0.01")  # the position/order behind an account's `open_positions` / `open_orders` flags


@dataclass
class PricePath:
    """Step prices over time: `points` are (ms after `start_ms`, price); before the first point, its price."""

    start_ms: int
    points: list[tuple[int, Decimal]]

    def at(self, now_ms: int) -> Decimal:
        price = self.points[0][1]
        for after, value in self.points:
            if self.start_ms + after <= now_ms:
                price = value
        return price

    def between(self, since_ms: int, now_ms: int) -> list[Decimal]:
        """Prices that took effect in (since, now], in order, then the current one."""
        passed = [value for after, value in self.points if since_ms < self.start_ms + after <= now_ms]
        return [*passed, self.at(now_ms)]


@dataclass
class MarginSummary:
    balance: Decimal
    position_im: Decimal
    order_im: Decimal
    unrealised: Decimal

    @property
    def available(self) -> Decimal:
        return self.balance + self.unrealised - self.position_im - self.order_im


@dataclass
class Engine:
    instruments: dict[str, Instrument]
    now_ms: Callable[[], int]
    new_id: Callable[[], str]
    taker_fee: Decimal = DEFAULT_TAKER_FEE
    maker_fee: Decimal = DEFAULT_MAKER_FEE
    paths: dict[str, PricePath] = field(default_factory=dict)
    books: dict[str, Book] = field(default_factory=dict)
    advanced_ms: dict[str, int] = field(default_factory=dict)
    order_faults: list[str] = field(default_factory=list)
    #: The `partial_fill` order fault: the next market order fills half (to the lot), the rest is cancelled.
    partial_next: bool = False

    @classmethod
    def build(cls, instruments: Iterable[Instrument], now_ms: Callable[[], int], new_id: Callable[[], str]) -> Engine:
        return cls(instruments={i.symbol: i for i in instruments}, now_ms=now_ms, new_id=new_id)

    # --- market -------------------------------------------------------------------------------------------

    def instrument(self, symbol: str) -> Instrument:
        inst = self.instruments.get(symbol)
        if inst is None:
            raise TradeRejected(Reject.UNKNOWN_SYMBOL, symbol)
        return inst

    def mark(self, symbol: str) -> Decimal:
        path = self.paths.get(symbol)
        return path.at(self.now_ms()) if path else self.instrument(symbol).reference_price

    def set_path(self, symbol: str, points: list[tuple[int, Decimal]]) -> None:
        self.instrument(symbol)
        self.paths[symbol] = PricePath(self.now_ms(), sorted(points, key=lambda p: p[0]))

    def take_order_fault(self) -> str | None:
        """The fault for this placement; ``partial_fill`` is the engine's own (it arms `partial_next`)."""
        fault = self.order_faults.pop(0) if self.order_faults else None
        if fault == "partial_fill":
            self.partial_next = True
            return None
        return fault

    # --- account book -------------------------------------------------------------------------------------

    def book(self, account: Account) -> Book:
        book = self.books.get(account.uid)
        if book is None:
            book = self.books[account.uid] = Book()
            self.advanced_ms[account.uid] = self.now_ms()
            self._seed(account, book)
        self._advance(account, book)
        return book

    def _seed(self, account: Account, book: Book) -> None:
        """Turn the control API's `open_positions` / `open_orders` flags into a real position and order."""
        if not self.instruments:
            return
        inst = next(iter(self.instruments.values()))
        now = self.now_ms()
        if account.open_positions:
            leg = PositionSide.LONG if account.position_mode == "hedge" else PositionSide.NET
            book.positions[(inst.symbol, leg)] = Position(
                inst.symbol, leg, SEED_QTY, inst.reference_price, True, ZERO, now, now
            )
        if account.open_orders:
            leg = PositionSide.LONG if account.position_mode == "hedge" else PositionSide.NET
            price = _to_step(inst.reference_price / 2, inst.tick)
            order = Order(
                self.new_id(), "", inst.symbol, Side.BUY, "limit", SEED_QTY, price, False, "GTC", leg, now, now
            )
            book.orders[order.order_id] = order

    def leverage(self, account: Account, symbol: str) -> Decimal:
        return self.book(account).leverage.get(symbol, DEFAULT_LEVERAGE)

    def set_leverage(self, account: Account, symbol: str, leverage: Decimal) -> None:
        inst = self.instrument(symbol)
        if not Decimal(1) <= leverage <= inst.max_leverage:
            raise TradeRejected(Reject.LEVERAGE_INVALID, f"leverage must be 1 to {inst.max_leverage}")
        book = self.book(account)
        if book.leverage.get(symbol, DEFAULT_LEVERAGE) == leverage:
            raise TradeRejected(Reject.LEVERAGE_NOT_MODIFIED)
        book.leverage[symbol] = leverage

    def positions(self, account: Account, symbol: str | None = None) -> list[Position]:
        book = self.book(account)
        return [p for (s, _), p in book.positions.items() if p.size and symbol in (None, s)]

    def position(self, account: Account, symbol: str, side: PositionSide) -> Position:
        return self.book(account).positions.get((symbol, side)) or Position(symbol, side)

    def orders(self, account: Account, symbol: str | None = None, *, open_only: bool = True) -> list[Order]:
        book = self.book(account)
        rows = [o for o in book.orders.values() if symbol in (None, o.symbol) and (o.status.open or not open_only)]
        return sorted(rows, key=lambda o: o.created_ms, reverse=True)

    def fills(self, account: Account, symbol: str | None = None) -> list[Fill]:
        return [f for f in reversed(self.book(account).fills) if symbol in (None, f.symbol)]

    def find(self, account: Account, order_id: str | None = None, client_id: str | None = None) -> Order:
        book = self.book(account)
        if order_id:
            order = book.orders.get(order_id)
        else:
            order = next((o for o in book.orders.values() if client_id and o.client_id == client_id), None)
        if order is None:
            raise TradeRejected(Reject.ORDER_NOT_FOUND)
        return order

    def margin(self, account: Account, wallet: str, coin: str) -> MarginSummary:
        book = self.book(account)
        balance = account.balances.get(wallet, {}).get(coin, ZERO)
        summary = MarginSummary(balance, ZERO, ZERO, ZERO)
        for (symbol, _), pos in book.positions.items():
            inst = self.instruments.get(symbol)
            if inst is None or inst.wallet != wallet or inst.settle != coin or not pos.size:
                continue
            lev = book.leverage.get(symbol, DEFAULT_LEVERAGE)
            summary.position_im += pos.size * pos.entry_price / lev
            summary.unrealised += pos.size * (self.mark(symbol) - pos.entry_price) * (1 if pos.long else -1)
        for order in book.orders.values():
            inst = self.instruments.get(order.symbol)
            if inst is None or inst.wallet != wallet or inst.settle != coin or not order.status.open:
                continue
            if not order.reduce_only:
                lev = book.leverage.get(order.symbol, DEFAULT_LEVERAGE)
                summary.order_im += order.leaves_qty * (order.price or self.mark(order.symbol)) / lev
        return summary

    # --- orders -------------------------------------------------------------------------------------------

    def place(self, account: Account, request: OrderRequest, *, hedge: bool) -> Order:
        """Validate, reserve margin, store and execute a new order; raise `TradeRejected` when refused."""
        inst = self.instrument(request.symbol)
        book = self.book(account)
        qty = request.qty
        self._check_qty(inst, qty)
        if request.order_type == "limit":
            if request.price is None or request.price <= 0:
                raise TradeRejected(Reject.PRICE_MISSING)
            if request.price % inst.tick:
                raise TradeRejected(Reject.PRICE_TICK, f"tick size {inst.tick}")
        if hedge == (request.position_side is PositionSide.NET):
            raise TradeRejected(Reject.POSITION_SIDE)
        if request.client_id and request.client_id in book.client_ids:
            raise TradeRejected(Reject.DUPLICATE_CLIENT_ID, request.client_id)
        closable = self._closable(book, request.symbol, request.side, request.position_side)
        # In hedge mode the side opposite a leg closes that leg: it behaves as reduce-only.
        reduce_only = request.reduce_only or (
            request.position_side is not PositionSide.NET
            and (request.side is Side.BUY) != (request.position_side is PositionSide.LONG)
        )
        if reduce_only:
            if closable <= 0:
                raise TradeRejected(Reject.REDUCE_ONLY)
            qty = min(qty, closable)
        price = request.price if request.order_type == "limit" and request.price else self.mark(request.symbol)
        if not reduce_only:
            if qty * price < inst.min_notional:
                raise TradeRejected(Reject.MIN_NOTIONAL, f"minimum order value {inst.min_notional} {inst.quote}")
            lev = book.leverage.get(request.symbol, DEFAULT_LEVERAGE)
            opening = max(ZERO, qty - closable)
            need = opening * price / lev + qty * price * self.taker_fee
            if need > self.margin(account, inst.wallet, inst.settle).available:
                raise TradeRejected(Reject.INSUFFICIENT_MARGIN)
        now = self.now_ms()
        order = Order(
            order_id=self.new_id(),
            client_id=request.client_id,
            symbol=request.symbol,
            side=request.side,
            order_type=request.order_type,
            qty=qty,
            price=request.price if request.order_type == "limit" else None,
            reduce_only=reduce_only,
            time_in_force="IOC" if request.order_type == "market" else request.time_in_force,
            position_side=request.position_side,
            created_ms=now,
            updated_ms=now,
        )
        book.orders[order.order_id] = order
        if order.client_id:
            book.client_ids.add(order.client_id)
        partial, self.partial_next = self.partial_next, False
        self._execute(account, book, order, partial=partial)
        return order

    def record_rejected(self, account: Account, request: OrderRequest) -> Order:
        """Store an order the exchange refused after accepting it (the `reject` fault): history shows it."""
        book = self.book(account)
        now = self.now_ms()
        order = Order(
            self.new_id(),
            request.client_id,
            request.symbol,
            request.side,
            request.order_type,
            request.qty,
            request.price,
            request.reduce_only,
            request.time_in_force,
            request.position_side,
            now,
            now,
            status=OrderStatus.REJECTED,
        )
        book.orders[order.order_id] = order
        if order.client_id:
            book.client_ids.add(order.client_id)
        return order

    def amend(
        self, account: Account, order: Order, *, qty: Decimal | None = None, price: Decimal | None = None
    ) -> Order:
        inst = self.instrument(order.symbol)
        if not order.status.open:
            raise TradeRejected(Reject.ORDER_FINISHED)
        if qty is not None:
            self._check_qty(inst, qty)
            if qty <= order.filled_qty:
                raise TradeRejected(Reject.QTY_TOO_SMALL, "below the filled quantity")
            order.qty = qty
        if price is not None:
            if price % inst.tick:
                raise TradeRejected(Reject.PRICE_TICK, f"tick size {inst.tick}")
            order.price = price
        order.updated_ms = self.now_ms()
        self._execute(account, self.book(account), order, arriving=False)
        return order

    def cancel(self, account: Account, order: Order, reason: str = "user") -> Order:
        if not order.status.open:
            raise TradeRejected(Reject.ORDER_FINISHED)
        self._close(order, OrderStatus.CANCELLED, reason)
        return order

    def cancel_all(self, account: Account, symbols: Iterable[str]) -> list[Order]:
        wanted = set(symbols)
        return [self.cancel(account, o) for o in self.orders(account) if o.symbol in wanted]

    def has_exposure(self, account: Account) -> tuple[bool, bool]:
        """(open positions, open orders) — what blocks a position-mode switch."""
        book = self.book(account)
        return any(p.size for p in book.positions.values()), any(o.status.open for o in book.orders.values())

    # --- internals ----------------------------------------------------------------------------------------

    def _check_qty(self, inst: Instrument, qty: Decimal) -> None:
        if qty <= 0 or qty < inst.min_qty:
            raise TradeRejected(Reject.QTY_TOO_SMALL, f"minimum order quantity {inst.min_qty}")
        if qty > inst.max_qty:
            raise TradeRejected(Reject.QTY_TOO_LARGE, f"maximum order quantity {inst.max_qty}")
        if qty % inst.lot:
            raise TradeRejected(Reject.QTY_STEP, f"quantity step {inst.lot}")

    def _closable(self, book: Book, symbol: str, side: Side, leg: PositionSide) -> Decimal:
        """How much of an existing position an order on `side`/`leg` would reduce."""
        pos = book.positions.get((symbol, leg))
        if pos is None or not pos.size:
            return ZERO
        if leg is PositionSide.NET:
            return pos.size if pos.long != (side is Side.BUY) else ZERO
        reducing = Side.SELL if leg is PositionSide.LONG else Side.BUY
        return pos.size if side is reducing else ZERO

    def _crosses(self, order: Order, mark: Decimal) -> bool:
        assert order.price is not None
        return mark <= order.price if order.side is Side.BUY else mark >= order.price

    def _execute(
        self, account: Account, book: Book, order: Order, *, arriving: bool = True, partial: bool = False
    ) -> None:
        mark = self.mark(order.symbol)
        if order.order_type == "market":
            qty = order.leaves_qty
            if partial:  # the book had only half of it (the `partial_fill` fault)
                lot = self.instrument(order.symbol).lot
                qty = max(_to_step(qty / 2, lot), lot) if qty > lot else qty
            self._fill(account, book, order, qty, mark, maker=False)
            if order.status.open:
                self._close(order, OrderStatus.CANCELLED, "ioc")
            return
        if self._crosses(order, mark):
            if order.time_in_force == "POST_ONLY":
                self._close(order, OrderStatus.CANCELLED, "post_only_would_take")
                return
            self._fill(account, book, order, order.leaves_qty, mark, maker=False)
        elif arriving and order.time_in_force in ("IOC", "FOK"):
            self._close(order, OrderStatus.CANCELLED, order.time_in_force.lower())

    def _advance(self, account: Account, book: Book) -> None:
        """Fill resting limit orders the price path has reached since this account was last looked at."""
        since = self.advanced_ms.get(account.uid, 0)
        now = self.now_ms()
        self.advanced_ms[account.uid] = now
        resting = [o for o in book.orders.values() if o.status.open and o.order_type == "limit"]
        for order in sorted(resting, key=lambda o: o.created_ms):
            path = self.paths.get(order.symbol)
            prices = path.between(since, now) if path else [self.mark(order.symbol)]
            if any(self._crosses(order, price) for price in prices) and order.status.open:
                assert order.price is not None
                self._fill(account, book, order, order.leaves_qty, order.price, maker=True)

    def _fill(self, account: Account, book: Book, order: Order, qty: Decimal, price: Decimal, *, maker: bool) -> None:
        inst = self.instrument(order.symbol)
        if order.reduce_only:
            qty = min(qty, self._closable(book, order.symbol, order.side, order.position_side))
            if qty <= 0:
                self._close(order, OrderStatus.CANCELLED, "reduce_only")
                return
        rate = self.maker_fee if maker else self.taker_fee
        fee = (qty * price * rate).quantize(FEE_QUANTUM, rounding=ROUND_HALF_UP)
        now = self.now_ms()
        key = (order.symbol, order.position_side)
        pos = book.positions.get(key) or Position(order.symbol, order.position_side, created_ms=now)
        book.positions[key] = pos
        buying = order.side is Side.BUY
        if order.position_side is PositionSide.NET:
            opens_long, reducing = buying, bool(pos.size) and pos.long != buying
        else:  # a hedge leg: the side opposite the leg only ever closes it
            opens_long = order.position_side is PositionSide.LONG
            reducing = buying != opens_long
        closed = ZERO
        pnl = ZERO
        if reducing:
            closed = min(qty, pos.size)
            pnl = closed * (price - pos.entry_price) * (1 if pos.long else -1)
            pos.size -= closed
        rest = qty - closed if order.position_side is PositionSide.NET or not reducing else ZERO
        if rest:
            if not pos.size:
                pos.long, pos.entry_price = opens_long, price
            else:
                pos.entry_price = (pos.size * pos.entry_price + rest * price) / (pos.size + rest)
            pos.size += rest
        pos.realised_pnl += pnl - fee
        pos.updated_ms = now
        wallet = account.balances.setdefault(inst.wallet, {})
        wallet[inst.settle] = wallet.get(inst.settle, ZERO) + pnl - fee
        order.filled_qty += qty
        order.filled_value += qty * price
        order.fee += fee
        order.updated_ms = now
        if order.filled_qty >= order.qty:
            order.status = OrderStatus.FILLED
        else:
            order.status = OrderStatus.PARTIALLY_FILLED
        book.fills.append(
            Fill(
                self.new_id(),
                order.order_id,
                order.client_id,
                order.symbol,
                order.side,
                qty,
                price,
                fee,
                rate,
                maker,
                now,
                closed,
            )
        )
        if not pos.size:
            for other in book.orders.values():
                if other.status.open and other.reduce_only and (other.symbol, other.position_side) == key:
                    self._close(other, OrderStatus.CANCELLED, "reduce_only")

    def _close(self, order: Order, status: OrderStatus, reason: str) -> None:
        order.status = status
        order.cancel_reason = reason
        order.updated_ms = self.now_ms()


def _to_step(value: Decimal, step: Decimal) -> Decimal:
    return (value // step) * step
