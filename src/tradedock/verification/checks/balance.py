"""``balance.minimum``: is there enough money in the wallet TradeDock trades from, and if not, where is it?

What belongs here: valuing balances in USD (the exchange's USD value, else 1:1 for USD stablecoins), finding
the trading wallet from the profile, the minimum from the profile or the operator policy, and the exact
"move X USDT from Funding to Unified Trading" fix. What does not: reading balances (the engine does).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

from tradedock.domain import USD_STABLECOINS, AccountMode, Balance, total_usd
from tradedock.exchanges.profile import BalanceMinimum
from tradedock.verification.checks.base import CheckContext, Verdict, amount, check, unavailable
from tradedock.verification.report import Outcome


def _account_mode(ctx: CheckContext) -> AccountMode | None:
    assert ctx.gathered is not None
    account, key = ctx.gathered.account_info.value, ctx.gathered.key_info.value
    return (account.account_mode if account else None) or (key.account_mode if key else None)


def _minimum(ctx: CheckContext) -> BalanceMinimum | None:
    if ctx.policy.minimum_override(ctx.request.exchange) is None and not ctx.request.scope.needs_futures:
        return None
    return ctx.policy.futures_minimum(ctx.profile)


@check("balance.minimum", title="Balance in the trading wallet")
def balance_minimum(ctx: CheckContext) -> Verdict:
    assert ctx.gathered is not None
    read = ctx.gathered.balances
    if not read.ok or read.value is None:
        return unavailable(ctx, read, "the balances")
    p = ctx.profile
    futures = ctx.request.scope.needs_futures
    contract = (ctx.request.contract or p.default_contract) if futures else None
    wallet = p.trading_wallet(futures=futures, contract=contract, mode=_account_mode(ctx))
    wallet_label = p.wallet_name(wallet)
    in_wallet = [b for b in read.value if b.wallet == wallet]
    held = total_usd(in_wallet)
    minimum = _minimum(ctx)
    evidence = {
        "trading_wallet": wallet,
        "trading_wallet_usd": str(held),
        "minimum_usd": None if minimum is None else str(minimum.fail_below),
        "warn_below_usd": None if minimum is None or minimum.warn_below is None else str(minimum.warn_below),
        "wallets": _summary(read.value),
        "unpriced": sorted({f"{b.wallet}:{b.coin}" for b in read.value if b.usd_estimate is None and b.total}),
    }
    holds = f"Your {wallet_label} wallet holds ≈ ${amount(held)}"
    if minimum is None:
        if futures and held <= 0:  # no minimum, but nothing to trade with
            elsewhere, fix = _where_to_get(ctx, read.value, wallet, None)
            message = f"Your {wallet_label} wallet is empty, so TradeDock cannot trade yet.{elsewhere}"
            return Verdict(Outcome.WARN, message, fix, evidence)
        return Verdict(Outcome.PASS, f"{holds}. No minimum balance applies here.", (), evidence)
    target = minimum.warn_below or minimum.fail_below
    if held >= target:
        return Verdict(Outcome.PASS, f"{holds} (minimum ${amount(minimum.fail_below)}).", (), evidence)
    elsewhere, fix = _where_to_get(ctx, read.value, wallet, Decimal(math.ceil(target - held)))
    if held < minimum.fail_below:
        message = (
            f"{holds}; TradeDock needs at least ${amount(minimum.fail_below)} there for {p.name} futures.{elsewhere}"
        )
        return Verdict(Outcome.FAIL, message, fix, evidence)
    message = f"{holds}; keep at least ${amount(target)} there for {p.name} futures to trade comfortably.{elsewhere}"
    return Verdict(Outcome.WARN, message, fix, evidence)


def _where_to_get(
    ctx: CheckContext, balances: Iterable[Balance], wallet: str, shortfall: Decimal | None
) -> tuple[str, tuple[str, ...]]:
    """A sentence saying where the money sits, and the fix: a transfer from that wallet, else a deposit."""
    p = ctx.profile
    label = p.wallet_name(wallet)
    source = _best_source(balances, wallet)
    if source is not None:
        where = p.wallet_name(source.wallet)
        move = source.available if shortfall is None else min(shortfall, source.available)
        return (
            f" Your {where} wallet holds {amount(source.available)} {source.coin}.",
            (f"{p.transfer_page} and move {amount(move)} {source.coin} from {where} to {label}",),
        )
    least = "" if shortfall is None else f"at least {amount(shortfall)} "
    return "", (f"Deposit {least}USDT (or another USD stablecoin) into your {label} wallet",)


def _best_source(balances: Iterable[Balance], trading_wallet: str) -> Balance | None:
    """The stablecoin holding outside the trading wallet with the most available."""
    candidates = [
        b for b in balances if b.wallet != trading_wallet and b.coin.upper() in USD_STABLECOINS and b.available > 0
    ]
    return max(candidates, key=lambda b: b.available, default=None)


def _summary(balances: Iterable[Balance]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for b in balances:
        out.setdefault(b.wallet, {})[b.coin] = str(b.total)
    return out
