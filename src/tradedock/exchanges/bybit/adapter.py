"""`BybitAdapter`: the read-only Bybit V5 calls verification and balances need, returning domain values.

What belongs here: building each request from ``endpoints.py``, signing it with ``signing.py`` at
``clock.now_ms() + time_offset_ms``, checking the ``retCode`` envelope against ``errors.py``, and handing
``result`` objects to ``parsing.py``. What does not: transport faults (``exchanges/http.py`` raises those),
field-by-field parsing (``parsing.py``), or any judgement about whether a key is good enough (verification).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from tradedock.clock import Clock, SystemClock
from tradedock.domain import (
    AccountInfo,
    Balance,
    ContractType,
    Credentials,
    Environment,
    ExchangeId,
    KeyInfo,
    PositionMode,
    PositionSettings,
    ServerTime,
)
from tradedock.errors import (
    AccountModeMismatchError,
    ExchangeUnavailableError,
    InvalidInputError,
    PermissionDeniedError,
    RateLimitedError,
    UnexpectedResponseError,
    UnknownKeyError,
)
from tradedock.exchanges.base import ExchangeSpec, HttpOptions
from tradedock.exchanges.bybit import endpoints, parsing, signing
from tradedock.exchanges.bybit.endpoints import BASE_URLS
from tradedock.exchanges.bybit.errors import ERROR_TABLE, HTTP_STATUS_RULES
from tradedock.exchanges.bybit.spec import SPEC
from tradedock.exchanges.http import ExchangeHttp, Signed

log = logging.getLogger("tradedock.exchanges.bybit")

T = TypeVar("T")

_OK_CODES = frozenset({0, "0"})
_ENVIRONMENT_NAMES = {
    Environment.LIVE: "live (mainnet)",
    Environment.DEMO: "demo trading",
    Environment.TESTNET: "testnet",
    Environment.SANDBOX: "sandbox (simulated)",
}


class BybitAdapter:
    """One Bybit key on one host. Build it with `tradedock.exchanges.bybit.create_adapter`."""

    def __init__(
        self,
        spec: ExchangeSpec,
        credentials: Credentials,
        http: ExchangeHttp,
        *,
        clock: Clock | None = None,
        recv_window_ms: int = endpoints.DEFAULT_RECV_WINDOW_MS,
        flavor: Environment = Environment.LIVE,
    ) -> None:
        self.spec = spec
        self.time_offset_ms = 0
        self.recv_window_ms = recv_window_ms
        self.flavor = flavor
        self._credentials = credentials
        self._http = http
        self._clock: Clock = clock or SystemClock()
        self._key_info: KeyInfo | None = None
        self._key_body: object = None  # the answer `_key_info` was parsed from
        # Reads several calls need (per path), shared while in flight so one verification round sends each once.
        self._requests: dict[str, asyncio.Future[Any]] = {}

    def __repr__(self) -> str:
        return f"BybitAdapter({self._http.base_url}, key={self._credentials.get('api_key')[-4:]!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- the ExchangeAdapter calls ---------------------------------------------------------------------------

    async def server_time(self) -> ServerTime:
        """GET /v5/market/time (public); our time is the midpoint of the round trip."""
        before = self._clock.now_ms()
        body = await self._call(endpoints.SERVER_TIME)
        after = self._clock.now_ms()
        result = parsing.as_mapping(body.get("result"), "server time")
        nano = parsing.as_int(result.get("timeNano"))
        seconds = parsing.as_int(result.get("timeSecond"))
        envelope = parsing.as_int(body.get("time"))
        if nano is not None:
            server_ms = nano // 1_000_000
        elif envelope is not None:
            server_ms = envelope
        elif seconds is not None:
            server_ms = seconds * 1000
        else:
            raise UnexpectedResponseError("Bybit answered with an unreadable server time", exchange="Bybit")
        return ServerTime(server_ms=server_ms, local_ms=(before + after) // 2, round_trip_ms=after - before)

    async def key_info(self) -> KeyInfo:
        """GET /v5/user/query-api: permissions, IPs, expiry, uid, master/sub, UTA flag."""
        body = await asyncio.shield(self._shared(endpoints.KEY_INFO))
        if self._key_info is not None and self._key_body is body:
            return self._key_info  # this answer is parsed already (account_info reads it too)
        info = parsing.parse_key_info(parsing.as_mapping(body.get("result"), "key info"), self._clock.now())
        self._key_info, self._key_body = info, body
        return info

    async def account_info(self) -> AccountInfo:
        """GET /v5/account/info (mode, margin mode) plus the key's uid and master flag from query-api."""
        account_request = self._shared(endpoints.ACCOUNT_INFO)  # both requests in flight before either is awaited
        key = self._key_info if self._key_info is not None else await self.key_info()
        account = await self._account_result(account_request)
        status = parsing.unified_margin_status(account)
        return AccountInfo(
            uid=key.uid,
            account_mode=parsing.account_mode_from_status(status) or key.account_mode,
            is_subaccount=None if key.is_master is None else not key.is_master,
            margin_mode=parsing.margin_mode(account),
            native=dict(account),
        )

    async def balances(self) -> tuple[Balance, ...]:
        """Every wallet with something in it: UNIFIED (or the classic CONTRACT/SPOT wallets) and FUND.

        Legacy wallets (classic CONTRACT/SPOT, UTA 1.0 CONTRACT) are read best-effort: Bybit's docs no longer list
        them. FUND is skipped when the key may not read it (ccxt says the endpoint needs a transfer permission;
        UNCONFIRMED), so a least-privilege key still shows its trading balances.
        """
        # Most accounts are unified: ask for UNIFIED and FUND alongside the account mode, and spend another
        # round trip only for classic or UTA 1.0 accounts, whose other wallets depend on the mode.
        account_request = self._shared(endpoints.ACCOUNT_INFO)
        funding_request = asyncio.ensure_future(self._funding())
        try:
            unified = await _outcome(self._wallet(endpoints.WALLET_UNIFIED, False))
            funding = await _outcome(funding_request)
            account = await _outcome(self._account_result(account_request))
        finally:
            funding_request.cancel()  # nothing once it is done; with this call cancelled, it is too
        if isinstance(account, BaseException):
            raise account
        status = parsing.unified_margin_status(account)
        if isinstance(funding, BaseException):
            raise funding
        if status == parsing.CLASSIC_STATUS:
            legacy = await asyncio.gather(
                self._wallet(endpoints.WALLET_CONTRACT, True), self._wallet(endpoints.WALLET_SPOT, True)
            )
            if all(g is None for g in legacy):
                raise AccountModeMismatchError(
                    "Bybit answered neither classic wallet (CONTRACT, SPOT) for this classic account.",
                    exchange="Bybit",
                    fix="Upgrade the account to a Unified Trading Account in Bybit, then check again.",
                )
            groups = [*legacy, funding]
        else:
            if isinstance(unified, BaseException):
                raise unified
            groups = [unified, funding]
            if status in parsing.UTA1_STATUSES:
                groups.append(await self._wallet(endpoints.WALLET_CONTRACT, True))
        return tuple(b for group in groups if group for b in group)

    async def position_settings(self, contract: ContractType) -> PositionSettings:
        """Position mode from GET /v5/position/list (one symbol: rows exist with or without a position).

        Margin mode: account-wide ``marginMode`` (UTA); per-position ``tradeMode`` for classic accounts and UTA 1.0
        inverse. Under UTA 2.0 only USDT perpetuals support hedge mode, so other markets are one-way by rule
        (https://bybit-exchange.github.io/docs/v5/position/position-mode) and no position call is made.
        """
        market = endpoints.CONTRACT_MARKETS[contract]
        # The position list and the account mode are read together (one round trip).
        account_request = self._shared(endpoints.ACCOUNT_INFO)
        positions = await _outcome(self._call(endpoints.POSITION_LIST, market.params()))
        account = await _outcome(self._account_result(account_request))
        if isinstance(account, BaseException):
            raise account
        status = parsing.unified_margin_status(account)
        native: dict[str, object] = {
            "unifiedMarginStatus": status,
            "marginMode": account.get("marginMode"),
            **market.params(),
        }
        if status in parsing.UTA2_STATUSES and contract is not ContractType.USDT_M:
            native["rule"] = "UTA 2.0: only USDT perpetuals support hedge mode"
            return PositionSettings(PositionMode.ONE_WAY, parsing.margin_mode(account), native)
        if isinstance(positions, BaseException):
            raise positions
        body = positions
        rows = parsing.as_mapping(body.get("result"), "position list").get("list") or []
        if not isinstance(rows, list):
            raise UnexpectedResponseError("Bybit answered with an unreadable position list", exchange="Bybit")
        native["positionIdx"] = sorted({str(parsing.as_mapping(r, "position").get("positionIdx")) for r in rows})
        per_position = status == parsing.CLASSIC_STATUS or (
            status in parsing.UTA1_STATUSES and contract is ContractType.COIN_M
        )
        margin = parsing.trade_mode_margin(rows) if per_position else parsing.margin_mode(account)
        return PositionSettings(parsing.position_mode_from_rows(rows), margin, native)

    # --- helpers ---------------------------------------------------------------------------------------------

    async def _account_result(self, request: asyncio.Future[Any]) -> Mapping[str, Any]:
        body = await asyncio.shield(request)
        return parsing.as_mapping(body.get("result"), "account info")

    def _shared(self, endpoint: endpoints.Endpoint) -> asyncio.Future[Any]:
        """The request to ``endpoint`` that concurrent callers share: the one in flight or answered, else one sent
        now. A failure is not kept, so a retry (e.g. after the clock offset is corrected) asks again. Callers
        await it shielded: one caller cancelled does not cancel it for the others."""
        shared = self._requests.get(endpoint.path)
        if shared is None or (shared.done() and (shared.cancelled() or shared.exception() is not None)):
            shared = self._requests[endpoint.path] = asyncio.ensure_future(self._call(endpoint))
            shared.add_done_callback(_observed)
        return shared

    async def _wallet(self, account_type: str, legacy: bool) -> list[Balance] | None:
        try:
            body = await self._call(endpoints.WALLET_BALANCE, {"accountType": account_type})
        except (AccountModeMismatchError, UnexpectedResponseError, PermissionDeniedError):
            if not legacy:
                raise
            log.info("Bybit legacy wallet %s not readable; skipped", account_type)
            return None
        return parsing.parse_wallet_balance(parsing.as_mapping(body.get("result"), "wallet balance"))

    async def _funding(self) -> list[Balance] | None:
        try:
            body = await self._call(endpoints.FUNDING_BALANCE, {"accountType": endpoints.WALLET_FUND})
        except PermissionDeniedError:
            log.info("Bybit FUND wallet not readable with this key; skipped")
            return None
        return parsing.parse_funding_balance(parsing.as_mapping(body.get("result"), "funding balance"))

    async def _call(
        self,
        endpoint: endpoints.Endpoint,
        params: Mapping[str, str | int] | None = None,
        *,
        data: Mapping[str, object] | None = None,
    ) -> Any:
        """Send one request, signed when the endpoint is private; return the envelope of a ``retCode == 0`` answer.

        GETs carry ``params``; POSTs carry ``data`` as compact JSON (the signed bytes are the sent bytes) and are
        never retried by the HTTP layer: a POST may already have acted."""
        post = endpoint.method == "POST"
        content = json.dumps(dict(data or {}), separators=(",", ":")) if post else None
        payload = content if content is not None else signing.build_query(params or {})
        sign: Callable[[], Signed] | None = None
        if endpoint.signed:

            def sign() -> Signed:
                # Per attempt, after the rate budget's wait: the timestamp is when the request leaves.
                return Signed(
                    headers=signing.signed_headers(
                        api_key=self._credentials["api_key"],
                        secret=self._credentials["secret"],
                        timestamp_ms=self._clock.now_ms() + self.time_offset_ms,
                        recv_window_ms=self.recv_window_ms,
                        payload=payload,
                        json_body=post,
                    )
                )

        # build_query refuses values that need URL encoding, so the query goes out exactly as signed.
        try:
            response, body = await self._http.request(
                endpoint.method,
                endpoint.path,
                params=None if post else payload,
                content=content,
                idempotent=not post,
                sign=sign,
            )
        except UnexpectedResponseError as exc:
            # A non-JSON answer: Bybit's plain-text 401/403 carry meaning; anything else stays unexpected.
            rule = HTTP_STATUS_RULES.get(parsing.as_int(exc.code, 0) or 0)
            if rule is None:
                raise
            raise rule.error(rule.cause, code=exc.code, exchange="Bybit", fix=rule.fix or None) from None
        if not isinstance(body, Mapping) or "retCode" not in body:
            rule = HTTP_STATUS_RULES.get(response.status_code)
            if rule is not None:
                raise rule.error(rule.cause, code=str(response.status_code), exchange="Bybit", fix=rule.fix or None)
            if response.status_code >= 500:
                raise ExchangeUnavailableError(
                    f"Bybit had a server error (HTTP {response.status_code})",
                    code=str(response.status_code),
                    exchange="Bybit",
                )
            raise UnexpectedResponseError(
                f"Bybit answered HTTP {response.status_code} without a retCode envelope",
                code=str(response.status_code),
                exchange="Bybit",
            )
        code = body.get("retCode")
        if code in _OK_CODES:
            return body
        message = str(body.get("retMsg") or "")
        try:
            ERROR_TABLE.raise_for(code, message)
        except RateLimitedError as exc:
            exc.retry_after_s = _retry_after(response.headers, self._clock.now_ms())
            raise
        except UnknownKeyError as exc:
            # Say where we looked: the usual cause is a key from another environment (demo vs live vs testnet).
            raise UnknownKeyError(
                f"{exc.message} TradeDock checked it on Bybit {_ENVIRONMENT_NAMES[self.flavor]}.",
                code=exc.code,
                native_message=exc.native_message,
                exchange=exc.exchange,
                fix=exc.fix,
            ) from None


async def _outcome(awaitable: Awaitable[T]) -> T | BaseException:
    """What ``awaitable`` returned or raised, as ``asyncio.gather(..., return_exceptions=True)`` reports it; this
    task's own cancellation still propagates."""
    try:
        return await awaitable
    except Exception as exc:
        return exc


def _observed(request: asyncio.Future[Any]) -> None:
    """Mark a shared request's failure as seen: a caller may have stopped waiting (another read failed first)."""
    if not request.cancelled():
        request.exception()


def _retry_after(headers: Mapping[str, str], now_ms: int) -> float | None:
    """Seconds until ``X-Bapi-Limit-Reset-Timestamp`` (ms). https://bybit-exchange.github.io/docs/v5/rate-limit"""
    reset = parsing.as_int(headers.get("X-Bapi-Limit-Reset-Timestamp"))
    if reset is None or reset <= now_ms:
        return None
    return (reset - now_ms) / 1000


def create_adapter(
    credentials: Credentials,
    *,
    flavor: Environment,
    base_url: str | None = None,
    http: HttpOptions | None = None,
) -> BybitAdapter:
    """A `BybitTrader` (this read adapter plus trading) for ``flavor`` (live/demo/testnet) at its official URL, or
    at ``base_url`` if given (the sandbox passes the simulator root plus `SPEC.sandbox_paths[flavor]`)."""
    if credentials.exchange is not ExchangeId.BYBIT:
        raise InvalidInputError(
            "exchange", f"{credentials.exchange.value} credentials were given to the Bybit adapter", fix="Pick Bybit."
        )
    for name in ("api_key", "secret"):
        if not credentials.get(name):
            label = SPEC.field(name).label
            raise InvalidInputError(name, f"The Bybit {label} is missing.", fix=f"Paste the {label}.")
    url = base_url or BASE_URLS.get(flavor)
    if url is None:
        raise InvalidInputError(
            "environment",
            f"Bybit has no official '{flavor.value}' environment",
            fix="Use live, demo or testnet (sandbox needs the simulator's URL).",
        )
    options = http or HttpOptions()
    http_client = ExchangeHttp(
        "Bybit", url.rstrip("/"), options, account=credentials.get("api_key"), rates=endpoints.RATES
    )
    # The adapter the registry hands out also trades (``trading.py`` subclasses this module's adapter).
    from tradedock.exchanges.bybit.trading import BybitTrader

    return BybitTrader(SPEC, credentials, http_client, clock=options.clock, flavor=flavor)
