"""Connectivity checks: ``exchange.reachable``, ``auth.signature``, ``clock.skew``, ``environment.match``.

What belongs here: whether the exchange answered, whether it accepted the key (each refusal with its own
words), how far our clock is from the exchange's, and whether the key lives in the environment chosen. What
does not: what the key is allowed to do (see `permissions`, `security`).
"""

from __future__ import annotations

from tradedock.domain import Environment
from tradedock.errors import (
    AgentNotApprovedError,
    BadSignatureError,
    ExchangeUnreachableError,
    KeyExpiredError,
    RateLimitedError,
    TimestampRejectedError,
    UnknownKeyError,
    WrongPassphraseError,
)
from tradedock.verification.checks.base import (
    UNREACHABLE_MESSAGE,
    CheckContext,
    Verdict,
    check,
    evidence_of,
    fault_reason,
    names,
    seconds,
    unavailable,
)
from tradedock.verification.gathered import KEY_KNOWN_ERRORS, PROBE_TRIGGERS, AuthState, Gathered, auth_state
from tradedock.verification.report import Outcome

_NTP_FIX = (
    "Turn on automatic time sync (NTP) on the machine that runs TradeDock — on Linux: `timedatectl set-ntp true`",
    "Verify the connection again once the clock is right",
)


_READ_WORDS = {
    "server_time": "the server time",
    "key_info": "the key's details",
    "account_info": "the account",
    "balances": "the balances",
    "position_settings": "the position settings",
}


def _gathered(ctx: CheckContext) -> Gathered:
    if ctx.gathered is None:  # the engine never runs a remote check without gathered facts
        raise RuntimeError("remote check run without gathered facts")
    return ctx.gathered


@check("exchange.reachable", title="Exchange reachable")
def exchange_reachable(ctx: CheckContext) -> Verdict:
    gathered = _gathered(ctx)
    state, deciding = auth_state(gathered)
    reads = [("server_time", gathered.server_time), *gathered.signed_reads()]
    faults = [(name, read.error) for name, read in reads if isinstance(read.error, ExchangeUnreachableError)]
    if (
        state is AuthState.UNREACHABLE
        or (state is AuthState.UNEXPECTED and isinstance(gathered.server_time.error, ExchangeUnreachableError))
        or (state is AuthState.CLOCK and not _clock_to_blame(ctx))
    ):
        error = gathered.server_time.error if faults and faults[0][0] == "server_time" else deciding
        if state is AuthState.CLOCK and gathered.server_time.error is not None:
            error = gathered.server_time.error
        if isinstance(error, TimestampRejectedError):
            reason = (
                f"{ctx.name} refused the timestamps of our signed requests though this server's clock is in step "
                "with it: the requests were delayed on the way"
            )
        else:
            reason = fault_reason(error, ctx.name) if error is not None else f"{ctx.name} did not answer"
        if isinstance(error, RateLimitedError) and error.held_back:
            fix: tuple[str, ...] = (
                "Nothing to change on your key. Check again in a moment: TradeDock spaces its requests so that "
                f"{ctx.name} never bans this server's IP address.",
            )
        elif ctx.request.environment is Environment.SANDBOX:
            fix = (
                "Nothing to change on your key. Is `tradedock sandbox` still running? Start it again if not "
                "(keys made in an earlier sandbox do not exist in a new one).",
            )
        else:
            fix = (
                "Nothing to change on your key. Try again in a few minutes; if this lasts, check the exchange's "
                "status page.",
            )
        return Verdict(
            Outcome.FAIL,
            f"{reason}. This says nothing about your key.",
            fix,
            {**evidence_of(error), "failed_reads": [name for name, _ in faults]},
        )
    if faults:
        error = faults[0][1]
        reason = fault_reason(error, ctx.name) if error is not None else ""
        return Verdict(
            Outcome.WARN,
            f"{ctx.name} answered, but not every read: {reason} when we read "
            f"{names(_READ_WORDS.get(n, n) for n, _ in faults)}; run the check again later to complete it.",
            (),
            {**evidence_of(error), "failed_reads": [n for n, _ in faults]},
        )
    if not gathered.server_time.ok or gathered.server_time.value is None:
        return Verdict(
            Outcome.ERROR,
            f"{ctx.name}'s public time endpoint gave an answer we could not understand.",
            evidence=evidence_of(gathered.server_time.error),
        )
    rtt = gathered.server_time.value.round_trip_ms
    return Verdict(Outcome.PASS, f"{ctx.name} answered ({rtt} ms round trip).", (), {"round_trip_ms": rtt})


@check("auth.signature", title="Key and signature accepted")
def auth_signature(ctx: CheckContext) -> Verdict:
    gathered = _gathered(ctx)
    state, error = auth_state(gathered)
    if state is AuthState.PASSED:
        uid = gathered.key_info.value.uid if gathered.key_info.value else None
        if uid is None and gathered.account_info.value is not None:
            uid = gathered.account_info.value.uid
        who = f" (account UID {uid})" if uid else ""
        return Verdict(Outcome.PASS, f"{ctx.name} accepted the key and its signature{who}.", (), {"uid": uid})
    if state is AuthState.WRONG_ENVIRONMENT:
        return Verdict(
            Outcome.SKIP,
            "Not judged: the key belongs to another environment (see the environment check).",
            evidence=evidence_of(error),
        )
    if state is AuthState.REJECTED and error is not None:
        return _rejected(ctx, error, gathered)
    if state is AuthState.CLOCK:
        return Verdict(
            Outcome.SKIP,
            f"Not decided: {ctx.name} refused our request timestamps even after we corrected for the clock "
            "offset (see the clock check).",
            evidence=evidence_of(error),
        )
    if state is AuthState.IP_REFUSED:
        return Verdict(
            Outcome.SKIP,
            f"Not decided: {ctx.name} refused this server's IP address before checking the key "
            "(see the IP whitelist check).",
            evidence=evidence_of(error),
        )
    if state is AuthState.UNREACHABLE:
        return Verdict(Outcome.SKIP, UNREACHABLE_MESSAGE, evidence=evidence_of(error))
    return Verdict(
        Outcome.ERROR,
        f"We could not understand {ctx.name}'s answer to a signed request, so we cannot tell whether the key "
        "works. This is on our side; please retry later.",
        evidence=evidence_of(error),
    )


def _rejected(ctx: CheckContext, error: Exception, gathered: Gathered) -> Verdict:
    p = ctx.profile
    secret = ctx.spec.field(p.secret_field).label if p.secret_field else "secret"
    public = ctx.spec.credential_fields[0].label
    evidence = evidence_of(error)
    elsewhere = ""
    probed = [env for env, _ in gathered.probes]
    if probed:
        elsewhere = f" We also looked in {names(p.environment_name(e) for e in probed)}: it is not there either."
    if isinstance(error, UnknownKeyError):
        return Verdict(
            Outcome.FAIL,
            f"{ctx.name} does not know this {public}.{elsewhere}",
            (
                f"{p.api_page} and check that this key is listed (it may have been deleted)",
                f"Copy the {public} again, the whole value — or create a new key: {p.new_key}",
            ),
            evidence,
        )
    if isinstance(error, BadSignatureError):
        return Verdict(
            Outcome.FAIL,
            f"{ctx.name} knows this {public}, but the {secret} does not match it.",
            (
                f"Copy the {secret} again (check it is the one created with this {public})",
                f"{ctx.name} shows it only once: if you no longer have it, delete the key and create a new one "
                f"({p.new_key})",
            ),
            evidence,
        )
    if isinstance(error, WrongPassphraseError):
        return Verdict(
            Outcome.FAIL,
            f"{ctx.name} rejected the passphrase (or the {secret}) for this key. The passphrase is the one you set "
            "when you created the API key — not your login password.",
            (
                "Enter the API passphrase again, exactly as you set it",
                f"A lost passphrase cannot be recovered: delete the key and create a new one ({p.new_key})",
            ),
            evidence,
        )
    if isinstance(error, KeyExpiredError):
        fix = [f"Create a new key: {p.api_page} → {p.new_key}", "Replace the key in TradeDock with the new one"]
        if p.unbound_ip_note:
            fix.append(f"Bind TradeDock's IP addresses to the new key so it does not expire ({p.unbound_ip_note})")
        return Verdict(
            Outcome.FAIL,
            f"This key has expired or was deleted on {ctx.name}; it no longer works.",
            tuple(fix),
            evidence,
        )
    if isinstance(error, AgentNotApprovedError):
        main = ctx.request.credentials.get("main_wallet")
        return Verdict(
            Outcome.FAIL,
            f"This API wallet is not an approved API wallet of the main wallet {main} (or its approval expired)."
            f"{elsewhere}",
            (
                "Check the main wallet address" + (f": {p.main_account_where}" if p.main_account_where else ""),
                f"{p.api_page} and check this API wallet is listed for that main wallet",
                f"If it is not, {p.new_key.lower()} while logged in with that main wallet",
            ),
            evidence,
        )
    return Verdict(
        Outcome.FAIL,
        f"{ctx.name} refused these credentials.",
        (f"{p.api_page} and check the key; if in doubt create a new one",),
        evidence,
    )


@check("clock.skew", title="Clock in step with the exchange")
def clock_skew(ctx: CheckContext) -> Verdict:
    gathered = _gathered(ctx)
    read = gathered.server_time
    if not read.ok or read.value is None:
        if isinstance(read.error, ExchangeUnreachableError):
            reason = fault_reason(read.error, ctx.name)
        else:
            reason = f"{ctx.name} did not give us its time"
        return Verdict(Outcome.SKIP, f"Could not be measured: {reason}.", (), evidence_of(read.error))
    sample = read.value
    offset = sample.offset_ms
    if abs(offset) < 100:
        where = f"in step with {ctx.name} (within 0.1 s)"
    elif offset < 0:
        where = f"{seconds(offset)} ahead of {ctx.name}"
    else:
        where = f"{seconds(offset)} behind {ctx.name}"
    evidence = {
        "offset_ms": offset,
        "round_trip_ms": sample.round_trip_ms,
        "compensated_ms": gathered.offset_applied_ms,
        "timestamp_rejected": list(gathered.timestamp_rejected),
    }
    if gathered.timestamp_rejected and not _clock_to_blame(ctx):
        return Verdict(
            Outcome.WARN,
            f"Your clock is {where}, yet {ctx.name} refused the timestamps of some signed requests: they were "
            "delayed on the way (an exchange or network fault, not your clock).",
            (),
            evidence,
        )
    if gathered.timestamp_rejected:
        state, _ = auth_state(gathered)
        after = (
            "With the offset corrected, it accepted them."
            if state is not AuthState.CLOCK
            else "It still refused them after we corrected for the offset."
        )
        return Verdict(
            Outcome.FAIL,
            f"Your clock is {where}, so {ctx.name} refused our signed requests. {after} TradeDock compensates "
            "from now on, but fix the clock.",
            _NTP_FIX,
            evidence,
        )
    if abs(offset) > ctx.policy.clock_warn_ms:
        return Verdict(
            Outcome.WARN,
            f"Your clock is {where}. TradeDock compensates, but a clock this far off can break signed requests.",
            _NTP_FIX,
            evidence,
        )
    return Verdict(Outcome.PASS, f"Your clock is {where}.", (), evidence)


def _clock_to_blame(ctx: CheckContext) -> bool:
    """Whether refused timestamps can be the trader's clock: only with a trusted reading showing it far off.

    The engine drops a server-time reading whose round trip was too long to trust; a clock measured within
    ``clock_warn_ms`` of the exchange cannot explain a refused timestamp (the receive window is wider), so then
    the request itself was delayed — the exchange's or the network's fault."""
    value = _gathered(ctx).server_time.value
    return value is not None and abs(value.offset_ms) > ctx.policy.clock_warn_ms


@check("environment.match", title="Key belongs to the chosen environment")
def environment_match(ctx: CheckContext) -> Verdict:
    gathered = _gathered(ctx)
    state, error = auth_state(gathered)
    p = ctx.profile
    chosen = ctx.environment_name(ctx.flavor)
    probes = [
        {"environment": env.value, "found": read.ok or read.failed_with(*KEY_KNOWN_ERRORS)}
        for env, read in gathered.probes
    ]
    evidence = {"chosen": ctx.flavor.value, "probes": probes, **evidence_of(error)}
    if state is AuthState.WRONG_ENVIRONMENT:
        found: Environment | None = gathered.found_in
        if found is not None:
            return Verdict(
                Outcome.FAIL,
                f"This key belongs to {ctx.environment_name(found)}, not {chosen}.",
                (
                    f"Connect it again choosing the environment “{found.value}”",
                    f"Or create a key for {chosen}: {p.api_page} → {p.new_key}",
                ),
                {**evidence, "found": found.value},
            )
        return Verdict(
            Outcome.FAIL,
            f"{ctx.name} says this key belongs to another environment than {chosen}.",
            (f"Connect it again choosing the environment the key was created in, or create a key for {chosen}",),
            evidence,
        )
    if state is AuthState.PASSED:
        return Verdict(Outcome.PASS, f"The key belongs to {chosen}, as chosen.", (), evidence)
    if state is AuthState.REJECTED and isinstance(error, PROBE_TRIGGERS) and gathered.probes:
        others = names(ctx.environment_name(env) for env, _ in gathered.probes)
        return Verdict(Outcome.SKIP, f"Not decided: the key is not in {others} either.", (), evidence)
    return unavailable(ctx, gathered.key_info, "the key's environment")
