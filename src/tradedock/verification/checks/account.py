"""Account checks: ``account.mode`` (unified vs classic, main vs sub), ``position.mode`` (one-way vs hedge)
and ``margin.mode`` (recorded for auto-sync).

What belongs here: stating the account's settings plainly and failing only where the profile requires a
setting (Bybit: one-way). What does not: balances (see `balance`).
"""

from __future__ import annotations

from tradedock.domain import AccountMode, MarginMode, PositionMode
from tradedock.verification.checks.base import CheckContext, Verdict, check, unavailable
from tradedock.verification.report import Outcome

MODE_WORDS = {AccountMode.UNIFIED: "Unified", AccountMode.CLASSIC: "Classic"}
POSITION_WORDS = {PositionMode.ONE_WAY: "One-Way Mode", PositionMode.HEDGE: "Hedge Mode"}
MARGIN_WORDS = {
    MarginMode.CROSS: "cross margin",
    MarginMode.ISOLATED: "isolated margin",
    MarginMode.PORTFOLIO: "portfolio margin",
    MarginMode.MULTI_ASSET: "multi-assets margin",
}


def _not_futures(ctx: CheckContext) -> Verdict | None:
    if not ctx.request.scope.needs_futures:
        return Verdict(Outcome.SKIP, "Not needed: this connection trades spot only.")
    return None


def _missing_capability(ctx: CheckContext, capability: str, what: str) -> Verdict | None:
    if not getattr(ctx.spec.capabilities, capability):
        reason = ctx.spec.capabilities.notes.get(capability, f"{ctx.name} does not report {what}").rstrip(". ")
        return Verdict(Outcome.SKIP, f"Not available: {reason}.", (), {"capability": capability})
    return None


@check("account.mode", title="Account type")
def account_mode(ctx: CheckContext) -> Verdict:
    assert ctx.gathered is not None
    account = ctx.gathered.account_info.value
    key = ctx.gathered.key_info.value
    if account is None and key is None:
        return unavailable(ctx, ctx.gathered.account_info, "the account type")
    mode = (account.account_mode if account else None) or (key.account_mode if key else None)
    sub = account.is_subaccount if account is not None else None
    if sub is None and key is not None and key.is_master is not None:
        sub = not key.is_master
    uid = (account.uid if account else None) or (key.uid if key else None)
    parts = []
    if ctx.spec.capabilities.account_mode and mode is not None:
        parts.append(f"Your {ctx.name} account is in {MODE_WORDS[mode]} mode")
    else:
        parts.append(f"Your {ctx.name} account")
    if sub is True:
        parent = f" of UID {key.parent_uid}" if key is not None and key.parent_uid not in (None, "", "0") else ""
        parts.append(f"a sub-account{parent}")
    elif sub is False:
        parts.append("the main account")
    if uid:
        parts.append(f"UID {uid}")
    message = parts[0] + (" (" + ", ".join(parts[1:]) + ")" if len(parts) > 1 else "") + "."
    evidence = {"account_mode": mode.value if mode else None, "is_subaccount": sub, "uid": uid}
    if mode not in ctx.profile.supported_account_modes:
        return Verdict(
            Outcome.FAIL,
            f"{message} TradeDock does not support {MODE_WORDS[mode] if mode else 'this'} {ctx.name} accounts.",
            (f"Switch the account to a supported mode on {ctx.name}, or connect another account",),
            evidence,
        )
    return Verdict(Outcome.PASS, message, (), evidence)


@check("position.mode", title="Position mode")
def position_mode(ctx: CheckContext) -> Verdict:
    skip = _not_futures(ctx) or _missing_capability(ctx, "position_mode", "the position mode")
    if skip is not None:
        return skip
    assert ctx.gathered is not None
    read = ctx.gathered.position
    if not read.ok or read.value is None:
        return unavailable(ctx, read, "the position mode")
    mode = read.value.position_mode
    if mode is None:
        return Verdict(Outcome.SKIP, f"{ctx.name} did not report the position mode.")
    required = ctx.profile.required_position_mode
    chosen = ctx.request.position_mode
    evidence = {"position_mode": mode.value, "required": required.value if required else None}
    if required is not None and mode is not required:
        return Verdict(
            Outcome.FAIL,
            f"Your {ctx.name} account is in {POSITION_WORDS[mode]}; TradeDock strategies need "
            f"{POSITION_WORDS[required]}.",
            ctx.profile.position_mode_steps,
            evidence,
        )
    if required is not None:
        return Verdict(Outcome.PASS, f"Position mode: {POSITION_WORDS[mode]}, as TradeDock needs.", (), evidence)
    if chosen is not None:
        evidence = {**evidence, "required": chosen.value, "chosen": chosen.value}
        if mode is not chosen:
            return Verdict(
                Outcome.FAIL,
                f"Your {ctx.name} account is in {POSITION_WORDS[mode]}; you chose {POSITION_WORDS[chosen]} for this "
                "connection.",
                (
                    f"On {ctx.name}, switch the futures position mode to {POSITION_WORDS[chosen]} (with no open "
                    "positions or orders)",
                    "Or connect again with Position mode: Auto sync from exchange",
                ),
                evidence,
            )
        return Verdict(Outcome.PASS, f"Position mode: {POSITION_WORDS[mode]}, as you chose.", (), evidence)
    return Verdict(
        Outcome.PASS, f"Position mode: {POSITION_WORDS[mode]} (recorded; TradeDock follows it).", (), evidence
    )


@check("margin.mode", title="Margin mode")
def margin_mode(ctx: CheckContext) -> Verdict:
    skip = _not_futures(ctx) or _missing_capability(ctx, "margin_mode", "the margin mode")
    if skip is not None:
        return skip
    assert ctx.gathered is not None
    position = ctx.gathered.position.value
    account = ctx.gathered.account_info.value
    mode = (position.margin_mode if position else None) or (account.margin_mode if account else None)
    if mode is None:
        if position is None and account is None:
            return unavailable(ctx, ctx.gathered.position, "the margin mode")
        return Verdict(Outcome.SKIP, f"{ctx.name} did not report the margin mode.")
    chosen = ctx.request.margin_mode
    if chosen is not None:
        evidence = {"margin_mode": mode.value, "chosen": chosen.value}
        if mode is not chosen:
            return Verdict(
                Outcome.FAIL,
                f"Your {ctx.name} account uses {MARGIN_WORDS[mode]}; you chose {MARGIN_WORDS[chosen]} for this "
                "connection.",
                (
                    f"On {ctx.name}, switch the futures margin mode to {MARGIN_WORDS[chosen]}",
                    "Or connect again with Margin type: Auto sync from exchange",
                ),
                evidence,
            )
        return Verdict(Outcome.PASS, f"Margin mode: {MARGIN_WORDS[mode]}, as you chose.", (), evidence)
    return Verdict(
        Outcome.PASS,
        f"Margin mode: {MARGIN_WORDS[mode]} (recorded; TradeDock follows it).",
        (),
        {"margin_mode": mode.value},
    )
