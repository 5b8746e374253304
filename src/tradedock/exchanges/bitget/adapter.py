"""`BitgetAdapter`: the read-only calls verification needs, on classic (V2) and unified (V3) accounts.

What belongs here: building signed requests from ``endpoints``/``signing``, unwrapping Bitget's envelope,
translating error codes through ``errors.ERROR_TABLE``, and choosing V2 or V3 per account. What does not:
field parsing (``parsing.py``), the code table itself, or any verification judgement.

Account-system routing (reference §11): a key of one system is rejected by the other system's endpoints
with 40085 (a UTA key on V2) or 40084 (a classic key on V3). Every call tries the system already learned,
classic when nothing is known yet, and on 40085/40084 switches once and remembers it in `account_mode`.
A classic account therefore costs no extra round trip; a unified one costs one extra round on the first
call only. Calls made concurrently before anything is learned each pay that one extra round, in parallel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from tradedock.clock import Clock, SystemClock
from tradedock.domain import (
    AccountInfo,
    AccountMode,
    Balance,
    ContractType,
    Credentials,
    Environment,
    ExchangeId,
    KeyInfo,
    PositionSettings,
    ServerTime,
)
from tradedock.errors import (
    AccountModeMismatchError,
    ExchangeUnavailableError,
    InvalidInputError,
    PermissionDeniedError,
    TradeDockError,
    UnexpectedResponseError,
)
from tradedock.exchanges.base import ExchangeSpec, HttpOptions
from tradedock.exchanges.bitget import endpoints, parsing
from tradedock.exchanges.bitget.endpoints import PRODUCT_TYPES, Endpoint
from tradedock.exchanges.bitget.errors import ERROR_TABLE, SUCCESS_CODE, account_mode_hint
from tradedock.exchanges.bitget.signing import encode_query, public_headers, signed_headers
from tradedock.exchanges.bitget.spec import SPEC
from tradedock.exchanges.http import ExchangeHttp, Reply, Signed

T = TypeVar("T")

EXCHANGE_NAME = "Bitget"
#: ``GET /api/v2/spot/account/info`` allows 1 request/s per UID: key_info() and account_info() share one
#: answer (or error) for this long, unless `time_offset_ms` changed in between (reference §8).
INFO_REUSE_MS = 1_000
#: Codes meaning "this wallet cannot be read here" rather than "the key is broken": demo-trading gaps.
_UNAVAILABLE_IN_DEMO = frozenset({"40081", "40105", "40110"})


class BitgetAdapter:
    """Bitget over HTTP. Construct with `create_adapter` (``tradedock.exchanges.bitget``)."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        spec: ExchangeSpec,
        demo: bool,
        base_url: str,
        http: HttpOptions | None = None,
    ) -> None:
        self.spec = spec
        self.time_offset_ms = 0
        #: Learned on the first signed call; callers that already know it may set it to skip the probe.
        self.account_mode: AccountMode | None = None
        self.demo = demo
        options = http or HttpOptions()
        self._clock: Clock = options.clock or SystemClock()
        self._http = ExchangeHttp(
            EXCHANGE_NAME, base_url, options, account=credentials["api_key"], rates=endpoints.RATES
        )
        self._api_key = credentials["api_key"]
        self._secret = credentials["secret"]
        self._passphrase = credentials["passphrase"]
        self._info_lock = asyncio.Lock()
        #: (taken at ms, time offset used, outcome, native facts): one answer shared by concurrent callers.
        self._info: tuple[int, int, KeyInfo | TradeDockError, Mapping[str, object]] | None = None

    def __repr__(self) -> str:
        return f"BitgetAdapter(base_url={self._http.base_url!r}, demo={self.demo}, account_mode={self.account_mode})"

    # --- the adapter protocol -----------------------------------------------------------------------------

    async def server_time(self) -> ServerTime:
        before = self._clock.now_ms()
        response, body = await self._http.request(
            endpoints.SERVER_TIME.method, endpoints.SERVER_TIME.path, headers=public_headers()
        )
        after = self._clock.now_ms()
        data = parsing.as_object(self._unwrap(response, body), "server time")
        try:
            server_ms = int(str(data.get("serverTime")))
        except ValueError:
            raise UnexpectedResponseError(
                "Bitget answered with an unexpected server time", exchange=EXCHANGE_NAME
            ) from None
        return ServerTime(server_ms=server_ms, local_ms=(before + after) // 2, round_trip_ms=after - before)

    async def key_info(self) -> KeyInfo:
        key, _native = await self._account_info_payload()
        return key

    async def account_info(self) -> AccountInfo:
        key, native = await self._account_info_payload()
        return parsing.account_info_from_key(key, native)

    async def balances(self) -> tuple[Balance, ...]:
        """Classic: ``spot``, the three futures product types and ``funding`` (5 calls in parallel). Unified:
        ``unified`` plus ``funding``. A wallet the key may not read (40014) or demo trading lacks is left out; if no
        wallet can be read, that error is raised."""
        return await self._routed(self._classic_balances, self._unified_balances)

    async def position_settings(self, contract: ContractType) -> PositionSettings:
        product = PRODUCT_TYPES.get(contract)
        if product is None:
            raise InvalidInputError(
                "contract",
                f"Bitget has no futures market {contract!r}",
                fix="Choose one of: " + ", ".join(c.value for c in PRODUCT_TYPES),
            )
        params = {"symbol": product.reference_symbol, "productType": product.name, "marginCoin": product.margin_coin}

        async def classic() -> PositionSettings:
            return parsing.parse_v2_position_settings(product, await self._get(endpoints.V2_MIX_ACCOUNT, params))

        async def unified() -> PositionSettings:
            return parsing.parse_v3_position_settings(product, await self._get(endpoints.V3_ACCOUNT_SETTINGS))

        return await self._routed(classic, unified)

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- account info, shared by key_info() and account_info() --------------------------------------------

    async def _account_info_payload(self) -> tuple[KeyInfo, Mapping[str, object]]:
        async with self._info_lock:
            now, offset = self._clock.now_ms(), self.time_offset_ms
            if self._info is None or now - self._info[0] >= INFO_REUSE_MS or self._info[1] != offset:
                try:
                    key, native = await self._routed(self._classic_info, self._unified_info)
                    self._info = (now, offset, key, native)
                except TradeDockError as exc:
                    self._info = (now, offset, exc, {})
            _, _, outcome, native = self._info
        if isinstance(outcome, TradeDockError):
            raise outcome
        return outcome, native

    async def _classic_info(self) -> tuple[KeyInfo, Mapping[str, object]]:
        try:
            data = await self._get(endpoints.V2_ACCOUNT_INFO)
        except PermissionDeniedError as refused:
            return await self._derived_classic_info(refused)
        key = parsing.parse_v2_key_info(data)
        return key, _native(data, ("userId", "parentId", "traderType"), endpoints.V2_ACCOUNT_INFO)

    async def _derived_classic_info(self, refused: PermissionDeniedError) -> tuple[KeyInfo, Mapping[str, object]]:
        """Bitget may refuse a key without a Spot permission its own account info (40014, reference §2: "SPOT
        read or SPOT read/write permission needed"). A futures key is still worth verifying: whether it reads
        its futures accounts tells whether it has a futures permission at all; say what that proves and what
        stays unknown instead of failing."""
        product = PRODUCT_TYPES[ContractType.USDT_M]
        futures_refusal: str | None = None
        try:
            await self._get(endpoints.V2_MIX_ACCOUNTS, {"productType": product.name})
        except PermissionDeniedError as also_refused:
            futures_refusal = also_refused.native_message or also_refused.message
        key = parsing.derived_v2_key_info(refused.native_message or refused.message, futures_refusal)
        return key, {"endpoint": endpoints.V2_MIX_ACCOUNTS.path, "derived": "account info refused (no Spot read)"}

    async def _unified_info(self) -> tuple[KeyInfo, Mapping[str, object]]:
        data = await self._get(endpoints.V3_ACCOUNT_INFO)
        key = parsing.parse_v3_key_info(data)
        return key, _native(data, ("uid", "parentId", "permType"), endpoints.V3_ACCOUNT_INFO)

    # --- balances -----------------------------------------------------------------------------------------

    async def _classic_balances(self) -> tuple[Balance, ...]:
        async def spot() -> list[Balance]:
            return parsing.parse_spot_assets(await self._get(endpoints.V2_SPOT_ASSETS))

        def futures(contract: ContractType) -> Callable[[], Awaitable[list[Balance]]]:
            product = PRODUCT_TYPES[contract]

            async def read() -> list[Balance]:
                data = await self._get(endpoints.V2_MIX_ACCOUNTS, {"productType": product.name})
                return parsing.parse_mix_accounts(product, data)

            return read

        async def funding() -> list[Balance]:
            return parsing.parse_v2_funding(await self._get(endpoints.V2_FUNDING_ASSETS))

        return await _gather_wallets([spot, *(futures(c) for c in PRODUCT_TYPES), funding])

    async def _unified_balances(self) -> tuple[Balance, ...]:
        async def trading() -> list[Balance]:
            return parsing.parse_v3_assets(await self._get(endpoints.V3_ACCOUNT_ASSETS))

        async def funding() -> list[Balance]:
            return parsing.parse_v3_funding(await self._get(endpoints.V3_FUNDING_ASSETS))

        return await _gather_wallets([trading, funding])

    # --- routing, requests, envelope ----------------------------------------------------------------------

    async def _routed(self, classic: Callable[[], Awaitable[T]], unified: Callable[[], Awaitable[T]]) -> T:
        """Run ``classic`` or ``unified`` for the known account system (classic if unknown); on 40085/40084
        switch once and remember."""
        mode = self.account_mode or AccountMode.CLASSIC
        switched = False
        while True:
            try:
                result = await (classic() if mode is AccountMode.CLASSIC else unified())
            except AccountModeMismatchError as exc:
                hint = account_mode_hint(exc)
                if switched or hint is None or hint is mode:
                    raise
                mode, switched = hint, True
                self.account_mode = hint
                continue
            self.account_mode = mode
            return result

    async def _get(self, endpoint: Endpoint, params: Mapping[str, str] | None = None) -> Any:
        """One signed GET; returns the envelope's ``data`` or raises the domain error for its code."""
        query = encode_query(params or {})
        # The query goes as a pre-encoded string: every value we send is unreserved ASCII, so it is sent as
        # exactly the bytes that were signed (and the HTTP log shows only the path).
        sign = self._signer(endpoint, query=query)
        response, body = await self._http.request(endpoint.method, endpoint.path, params=query or None, sign=sign)
        return self._unwrap(response, body)

    def _signer(self, endpoint: Endpoint, *, query: str = "", body: str = "") -> Callable[[], Signed]:
        """The request's signature, made per attempt after the rate budget's wait (the timestamp is when the
        request leaves): a GET signs its query string, a POST its JSON body."""

        def sign() -> Signed:
            return Signed(
                headers=signed_headers(
                    api_key=self._api_key,
                    secret=self._secret,
                    passphrase=self._passphrase,
                    timestamp_ms=self._clock.now_ms() + self.time_offset_ms,
                    method=endpoint.method,
                    request_path=endpoint.path,
                    query=query,
                    body=body,
                    demo=self.demo,
                )
            )

        return sign

    def _unwrap(self, response: Reply, body: object) -> Any:
        status = response.status_code
        if isinstance(body, Mapping) and "code" in body:
            code = str(body["code"])
            if code == SUCCESS_CODE:
                return body.get("data")
            message = str(body.get("msg") or body.get("message") or "")
            if status >= 500 and ERROR_TABLE.lookup(code, message) is None:
                raise ExchangeUnavailableError(
                    f"Bitget had a server error (HTTP {status}, code {code})",
                    code=code,
                    native_message=message,
                    exchange=EXCHANGE_NAME,
                )
            ERROR_TABLE.raise_for(code, message)
        if status >= 500:
            raise ExchangeUnavailableError(f"Bitget had a server error (HTTP {status})", exchange=EXCHANGE_NAME)
        if status in (401, 403):
            ERROR_TABLE.raise_for(str(status), "")
        raise UnexpectedResponseError(
            f"Bitget answered HTTP {status} without its usual envelope", code=str(status), exchange=EXCHANGE_NAME
        )


def _native(data: object, fields: Sequence[str], endpoint: Endpoint) -> Mapping[str, object]:
    """The public facts of an account-info answer kept as evidence (never the IP list or channel codes)."""
    body = data if isinstance(data, Mapping) else {}
    native: dict[str, object] = {"endpoint": endpoint.path}
    for name in fields:
        if name in body:
            native[name] = parsing.text(body[name])
    return native


def _skippable(error: BaseException) -> bool:
    return isinstance(error, PermissionDeniedError) or (
        isinstance(error, TradeDockError) and error.code in _UNAVAILABLE_IN_DEMO
    )


async def _gather_wallets(readers: Sequence[Callable[[], Awaitable[list[Balance]]]]) -> tuple[Balance, ...]:
    """Read wallets in parallel. An account-mode answer wins (so routing can switch), then any other failure;
    wallets the key may not read are skipped unless none could be read."""
    results = await asyncio.gather(*(read() for read in readers), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    for error in errors:
        if isinstance(error, AccountModeMismatchError):
            raise error
    for error in errors:
        if not _skippable(error):
            raise error
    if errors and len(errors) == len(results):
        raise errors[0]
    balances: list[Balance] = []
    for result in results:
        if not isinstance(result, BaseException):
            balances.extend(result)
    return tuple(balances)


def validate_flavor(flavor: Environment) -> bool:
    """True for demo, False for live; Bitget has no testnet (demo trading is a header on the live host)."""
    if flavor is Environment.DEMO:
        return True
    if flavor is Environment.LIVE:
        return False
    raise InvalidInputError(
        "environment",
        f"Bitget has no {flavor.value} environment",
        fix="Use live, or demo for a Bitget demo-trading key (the sandbox passes live or demo plus its own URL).",
    )


def create_adapter(
    credentials: Credentials,
    *,
    flavor: Environment,
    base_url: str | None = None,
    http: HttpOptions | None = None,
) -> BitgetAdapter:
    """A Bitget adapter. ``flavor`` is live or demo (demo adds ``paptrading: 1``); ``base_url`` replaces
    https://api.bitget.com (the sandbox); ``http.transport`` is the test seam."""
    if credentials.exchange is not ExchangeId.BITGET:
        raise InvalidInputError(
            "exchange",
            f"these are {credentials.exchange.value} credentials, not Bitget credentials",
            fix="Pass credentials created for Bitget.",
        )
    for field in SPEC.credential_fields:
        if not credentials.get(field.name):
            raise InvalidInputError(
                field.name, f"Bitget needs the {field.label.lower()}", fix=f"Enter {field.help.rstrip().rstrip('.')}."
            )
    demo = validate_flavor(flavor)
    url = base_url or SPEC.base_urls[flavor]
    # The adapter the registry hands out also trades (``trading.py`` subclasses this module's adapter).
    from tradedock.exchanges.bitget.trading import BitgetTrader

    return BitgetTrader(credentials, spec=SPEC, demo=demo, base_url=url, http=http)
