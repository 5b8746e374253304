"""Permission checks: ``permissions.required`` (what the scope needs) and ``permissions.forbidden`` (withdraw,
transfer: refused by default, the operator policy may relax them to a warning).

What belongs here: comparing the key's normalized permissions with the profile's requirements and the policy,
and saying exactly what to tick or untick on the exchange. What does not: IP whitelist and expiry (see
`security`).
"""

from __future__ import annotations

from tradedock.config import PermissionPolicy
from tradedock.domain import KeyInfo, Permission, Scope
from tradedock.verification.checks.base import CheckContext, Verdict, check, names, unavailable
from tradedock.verification.report import Outcome

_SCOPE_WORDS = {Scope.SPOT: "spot trading", Scope.FUTURES: "futures trading", Scope.BOTH: "spot and futures trading"}
_TRADING = frozenset({Permission.SPOT_TRADE, Permission.FUTURES_TRADE})
_ORDER = (Permission.READ, Permission.SPOT_TRADE, Permission.FUTURES_TRADE, Permission.WITHDRAW, Permission.TRANSFER)


def key_info_or_verdict(ctx: CheckContext, what: str, capability: str = "key_info") -> KeyInfo | Verdict:
    """The key's info, or the verdict explaining why it is not available (capability missing, read failed)."""
    if not getattr(ctx.spec.capabilities, capability, True):
        reason = ctx.spec.capabilities.notes.get(capability, f"{ctx.name} does not report {what}").rstrip(". ")
        return Verdict(Outcome.SKIP, f"Not available: {reason}.", (), {"capability": capability})
    if ctx.gathered is None:
        raise RuntimeError("remote check run without gathered facts")
    read = ctx.gathered.key_info
    if read.ok and read.value is not None:
        return read.value
    return unavailable(ctx, read, what)


def _sorted(perms: frozenset[Permission] | set[Permission]) -> list[Permission]:
    return [p for p in _ORDER if p in perms]


def unconfirmed_message(key: KeyInfo, permission_names: list[str], state: str) -> str:
    """ "<what the exchange would not show>; we could not confirm <names> is|are <state> — <fix>." """
    unreadable = key.unreadable
    what = unreadable.what if unreadable else "The exchange did not show this key its own permission list"
    fix = unreadable.fix if unreadable else "confirm it in the exchange's API Management"
    verb = "is" if len(permission_names) == 1 else "are"
    return f"{what}; we could not confirm {names(permission_names)} {verb} {state} — {fix}."


def _unconfirmed_fix(ctx: CheckContext, key: KeyInfo, step: str) -> tuple[str, ...]:
    p = ctx.profile
    remedy = (key.unreadable.remedy,) if key.unreadable else ()
    return (p.api_page, p.edit_key, step, *remedy)


@check("permissions.required", title="Permissions the scope needs")
def permissions_required(ctx: CheckContext) -> Verdict:
    key = key_info_or_verdict(ctx, "the key's permissions")
    if isinstance(key, Verdict):
        return key
    p = ctx.profile
    scope = ctx.request.scope
    required = p.required_permissions[scope]
    granted = set(key.permissions) | set(p.implicit_permissions)
    assert ctx.gathered is not None
    if ctx.gathered.balances.ok:  # the key just read balances: it can read
        granted.add(Permission.READ)
    if key.read_only:
        granted -= _TRADING
    unknown = _sorted((required - granted) & key.unconfirmed)
    missing = _sorted(required - granted - key.unconfirmed)
    evidence = {
        "scope": scope.value,
        "required": [x.value for x in _sorted(required)],
        "granted": [x.value for x in _sorted(frozenset(key.permissions))],
        "missing": [x.value for x in missing],
        "unconfirmed": [x.value for x in unknown],
        "read_only": key.read_only,
        "native": dict(key.native_permissions),
    }
    wanted = names(p.permission_name(x) for x in _sorted(required))
    if not missing and unknown:
        unsure = [p.permission_name(x) for x in unknown]
        return Verdict(
            Outcome.WARN,
            unconfirmed_message(key, unsure, "on"),
            _unconfirmed_fix(ctx, key, f"Check that {names(unsure)} {'is' if len(unsure) == 1 else 'are'} enabled"),
            evidence,
        )
    if not missing:
        return Verdict(Outcome.PASS, f"The key has what {_SCOPE_WORDS[scope]} needs: {wanted}.", (), evidence)
    lacking = names(p.permission_name(x) for x in missing)
    if key.read_only and set(missing) <= _TRADING:
        message = (
            f"This key is read-only, so it cannot place orders. {_SCOPE_WORDS[scope].capitalize()} needs {wanted}."
        )
    else:
        message = f"This key is missing {lacking}. {_SCOPE_WORDS[scope].capitalize()} needs {wanted}."
    fix = (p.api_page, p.edit_key, f"Enable {lacking}", "Save, then verify the connection again")
    return Verdict(Outcome.FAIL, message, fix, evidence)


@check("permissions.forbidden", title="No withdrawal or transfer permission")
def permissions_forbidden(ctx: CheckContext) -> Verdict:
    key = key_info_or_verdict(ctx, "the key's permissions")
    if isinstance(key, Verdict):
        return key
    p = ctx.profile
    rules = {Permission.WITHDRAW: ctx.policy.withdraw, Permission.TRANSFER: ctx.policy.transfer}
    found = [x for x in (Permission.WITHDRAW, Permission.TRANSFER) if x in key.permissions]
    unknown = [x for x in (Permission.WITHDRAW, Permission.TRANSFER) if x in key.unconfirmed and x not in found]
    evidence = {
        "found": [x.value for x in found],
        "unconfirmed": [x.value for x in unknown],
        "policy": {x.value: rules[x].value for x in rules},
        "native": dict(key.native_permissions),
    }
    if not found and unknown:
        # Not a failure: nothing shows the key can move funds; the trader is told exactly what to look at.
        unsure = [p.permission_name(x) for x in unknown]
        return Verdict(
            Outcome.WARN,
            unconfirmed_message(key, unsure, "off"),
            _unconfirmed_fix(ctx, key, f"Check that {names(unsure)} {'is' if len(unsure) == 1 else 'are'} off"),
            evidence,
        )
    if not found:
        return Verdict(Outcome.PASS, "The key cannot withdraw funds or transfer them between accounts.", (), evidence)
    can = []
    if Permission.WITHDRAW in found:
        can.append("withdraw funds")
    if Permission.TRANSFER in found:
        can.append("transfer funds between wallets and accounts")
    failing = any(rules[x] is PermissionPolicy.FAIL for x in found)
    message = f"This key can {names(can)}. TradeDock never needs that, and a leaked key could move your money."
    if not failing:
        message += " Your operator allows it, so this is a warning."
    fix = (
        p.api_page,
        p.edit_key,
        f"Disable {names(p.permission_name(x) for x in found)}",
        "Save, then verify the connection again",
    )
    return Verdict(Outcome.FAIL if failing else Outcome.WARN, message, fix, evidence)
