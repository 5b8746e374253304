"""The verification engine: local check first, ONE concurrent round of reads, a dependent round only when
needed, then every check evaluated over the gathered facts.

What belongs here: `verify()` — the order of rounds, capturing each read's value or error, the timestamp retry
(set ``adapter.time_offset_ms`` from the measured server time and retry the refused reads once), the
environment probe (``key_info`` on each alternative flavour), turning a crashing check into ``error``, and
assembling the `Report`. What does not: judging facts (the checks do) or building adapters (the caller's
`AdapterProvider` does, and owns and closes them).

Rounds: 0 when the credentials fail the local check, 1 normally, 2 when a timestamp retry or an environment
probe was needed (both run together in that second round).

Progress: ``verify(..., on_check=callback)`` calls ``callback(result)`` once per check as soon as its result is
known — the local checks before any exchange call, the remote ones when the reads are in — so a shell can show
the report check by check. The callback never sees credentials; one that raises stops the verification.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tradedock.clock import Clock
from tradedock.domain import ContractType, Environment
from tradedock.errors import ExchangeTimeoutError, TimestampRejectedError, TradeDockError
from tradedock.exchanges.base import ExchangeAdapter, ExchangeSpec
from tradedock.verification.checks import ALL_CHECKS, Check, CheckContext
from tradedock.verification.checks.base import NOT_RUN_MESSAGE
from tradedock.verification.gathered import NOT_RUN, PROBE_TRIGGERS, Gathered, Read
from tradedock.verification.report import CheckResult, Facts, Outcome, Report, status_from
from tradedock.verification.request import AdapterProvider, Policy, VerificationRequest
from tradedock.verification.server_time import SharedServerTime

log = logging.getLogger("tradedock.verification")

T = TypeVar("T")

#: Told each check's result as soon as it is known (see the module docstring).
CheckCallback = Callable[[CheckResult], None]

CRASH_MESSAGE = "This check failed on our side, so we could not tell. The other checks are unaffected; please retry."


async def verify(
    request: VerificationRequest,
    *,
    spec: ExchangeSpec,
    adapter_for: AdapterProvider,
    flavor: Environment,
    alternative_flavors: tuple[Environment, ...],
    policy: Policy,
    clock: Clock,
    on_check: CheckCallback | None = None,
    server_time: SharedServerTime | None = None,
) -> Report:
    """Verify one key and return the full report. Raises only if ``adapter_for(flavor)`` (or ``on_check``)
    itself raises. ``on_check`` is told every check's result as soon as it is known (local checks first).
    ``server_time`` (the monitor's batches) shares one server-time reading per exchange host among the
    verifications given the same one; without it the verification measures its own."""
    started_at = clock.now()
    started_ms = clock.now_ms()
    if spec.id is not request.exchange:
        raise ValueError(f"spec is for {spec.id.value}, the request is for {request.exchange.value}")
    ctx = CheckContext(
        request=request,
        spec=spec,
        profile=spec.profile,
        policy=policy,
        flavor=flavor,
        alternative_flavors=tuple(f for f in alternative_flavors if f is not flavor),
        now=started_at,
        gathered=None,
    )
    tell = on_check or _nobody
    local = {c.id: _told(_run(c, ctx), tell) for c in ALL_CHECKS if not c.remote}
    gathered: Gathered | None = None
    rounds = 0
    if any(r.outcome is Outcome.FAIL for r in local.values()):
        results = [local.get(c.id) or _told(_skipped(c), tell) for c in ALL_CHECKS]
    else:
        gathered, rounds = await _gather(ctx, adapter_for(flavor), adapter_for, server_time)
        ctx = dataclasses.replace(ctx, gathered=gathered)
        results = [local.get(c.id) or _told(_run(c, ctx), tell) for c in ALL_CHECKS]
    return Report(
        exchange=request.exchange,
        environment=request.environment,
        scope=request.scope,
        contract=request.contract,
        status=status_from(results),
        checks=tuple(results),
        facts=_facts(gathered),
        duration_ms=max(0, clock.now_ms() - started_ms),
        rounds=rounds,
        started_at=started_at,
    )


def _nobody(_result: CheckResult) -> None:
    return None


def _told(result: CheckResult, tell: CheckCallback) -> CheckResult:
    tell(result)
    return result


def _run(check: Check, ctx: CheckContext) -> CheckResult:
    try:
        return check.run(ctx)
    except Exception as exc:  # a check bug must not sink the report; log type and traceback, never credentials
        log.error(
            "verification check %s crashed for %s (%s)",
            check.id,
            ctx.request.exchange.value,
            type(exc).__name__,
            exc_info=True,
        )
        return CheckResult(check.id, Outcome.ERROR, check.title, CRASH_MESSAGE, (), {"error": type(exc).__name__})


def _skipped(check: Check) -> CheckResult:
    return CheckResult(check.id, Outcome.SKIP, check.title, NOT_RUN_MESSAGE, (), {})


async def _capture(call: Callable[[], Awaitable[T]], name: str) -> Read[T]:
    try:
        return Read(value=await call())
    except TradeDockError as exc:  # every outcome is data for the checks; CancelledError still propagates
        return Read(error=exc)
    except Exception as exc:  # an adapter bug: the checks turn it into `error`; the traceback goes to the log
        log.error("exchange read %s raised %s", name, type(exc).__name__, exc_info=True)
        return Read(error=exc)


async def _gather(
    ctx: CheckContext, adapter: ExchangeAdapter, adapter_for: AdapterProvider, shared: SharedServerTime | None
) -> tuple[Gathered, int]:
    request, caps = ctx.request, ctx.spec.capabilities
    contract: ContractType = request.contract or ctx.profile.default_contract
    wants_position = request.scope.needs_futures and (caps.position_mode or caps.margin_mode)

    async def position() -> Any:
        return await adapter.position_settings(contract)

    signed: dict[str, Callable[[], Awaitable[Any]]] = {
        "key_info": adapter.key_info,
        "account_info": adapter.account_info,
        "balances": adapter.balances,
    }
    if wants_position:
        signed["position_settings"] = position

    time_read, reads = await _first_round(ctx, adapter, signed, shared)
    server_time = _trusted_time(time_read, ctx)
    rounds = 1

    # Round 2, only when needed: retry timestamp-refused reads with the measured offset; probe other environments.
    rejected = tuple(name for name, read in reads.items() if read.failed_with(TimestampRejectedError))
    retry = rejected if server_time.ok and server_time.value is not None else ()
    probe_flavors = ctx.alternative_flavors if reads["key_info"].failed_with(*PROBE_TRIGGERS) else ()
    offset_applied: int | None = None
    probes: tuple[tuple[Environment, Read[Any]], ...] = ()
    if retry or probe_flavors:
        rounds = 2
        if retry and server_time.value is not None:
            offset_applied = server_time.value.offset_ms
            adapter.time_offset_ms = offset_applied
        second = await _together(
            [
                *((name, signed[name]) for name in retry),
                *((f"key_info ({flavor.value})", _probe_call(adapter_for, flavor)) for flavor in probe_flavors),
            ]
        )
        reads.update(zip(retry, second[: len(retry)], strict=True))
        probes = tuple(zip(probe_flavors, second[len(retry) :], strict=True))

    gathered = Gathered(
        server_time=server_time,
        key_info=reads["key_info"],
        account_info=reads["account_info"],
        balances=reads["balances"],
        position=reads.get("position_settings", NOT_RUN),
        timestamp_rejected=rejected,
        offset_applied_ms=offset_applied,
        probes=probes,
    )
    return gathered, rounds


async def _first_round(
    ctx: CheckContext,
    adapter: ExchangeAdapter,
    signed: dict[str, Callable[[], Awaitable[Any]]],
    shared: SharedServerTime | None,
) -> tuple[Read[Any], dict[str, Read[Any]]]:
    """Round 1: the server time and every signed read at once, so verification costs about one round trip. With a
    `SharedServerTime` the host's reading comes from it: at hand already, or asked for once for all who wait."""
    measure: Callable[[], Awaitable[Any]] = adapter.server_time
    if shared is not None:
        host = (ctx.request.exchange, ctx.request.environment, ctx.flavor)
        known = shared.ready(host)
        if known is not None:
            reads = await _together(list(signed.items()))
            return Read(value=known), dict(zip(signed, reads, strict=True))
        measure = functools.partial(shared.read, host, adapter.server_time)
    first = await _together([("server_time", measure), *signed.items()])
    return first[0], dict(zip(signed, first[1:], strict=True))


async def _together(calls: list[tuple[str, Callable[[], Awaitable[Any]]]]) -> list[Read[Any]]:
    """Every call captured concurrently, results in order — as ``asyncio.gather`` would run them, with one task
    fewer: the first runs in this task (up to its first wait, so the requests still leave in order), the others
    each in a task of its own; if this one is cancelled, so are they."""
    (name, call), *rest = calls
    tasks = [asyncio.ensure_future(_capture(c, n)) for n, c in rest]
    try:
        first = await _capture(call, name)
        return [first, *[await task for task in tasks]]
    finally:
        for task in tasks:
            task.cancel()  # nothing for a task that is done


def _trusted_time(read: Read[Any], ctx: CheckContext) -> Read[Any]:
    """The server-time reading, or — when its round trip was too long to trust the offset — an exchange fault.

    A slow answer is the exchange's (or the network's) fault, never the trader's clock: the reading is dropped, so
    no offset is taken from it and the clock check does not judge the trader on it."""
    value = read.value
    limit = ctx.policy.clock_max_round_trip_ms
    if value is None or value.round_trip_ms <= limit:
        return read
    log.info("%s server time took %d ms (limit %d ms): reading discarded", ctx.name, value.round_trip_ms, limit)
    return Read(
        error=ExchangeTimeoutError(
            f"{ctx.name} took {value.round_trip_ms / 1000:.1f} s to give its time, too slow to measure the clock",
            exchange=ctx.name,
        )
    )


def _probe_call(adapter_for: AdapterProvider, flavor: Environment) -> Callable[[], Awaitable[Any]]:
    async def call() -> Any:
        # Built inside the capture, so a provider refusing a flavour becomes that probe's error.
        return await adapter_for(flavor).key_info()

    return call


def _facts(gathered: Gathered | None) -> Facts:
    if gathered is None:
        return Facts()
    key, account, position = gathered.key_info.value, gathered.account_info.value, gathered.position.value
    is_sub = account.is_subaccount if account is not None else None
    if is_sub is None and key is not None and key.is_master is not None:
        is_sub = not key.is_master
    return Facts(
        uid=(key.uid if key else None) or (account.uid if account else None),
        account_mode=(account.account_mode if account else None) or (key.account_mode if key else None),
        is_subaccount=is_sub,
        key_info=key,
        balances=gathered.balances.value,
        position_mode=position.position_mode if position else None,
        margin_mode=(position.margin_mode if position else None) or (account.margin_mode if account else None),
        server_offset_ms=gathered.server_time.value.offset_ms if gathered.server_time.value else None,
        key_environment=gathered.found_in,
    )
