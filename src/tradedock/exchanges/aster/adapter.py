"""`AsterAdapter`: the read-only Aster V3 calls verification needs, parsed into domain types.

What belongs here: building signed requests from ``endpoints``/``signing``, reading Aster's ``{code, msg}``
envelope through ``errors.ERROR_TABLE``, and parsing payloads. What does not: URLs and paths
(``endpoints.py``), the signature scheme (``signing.py``), local credential checks (``wallets.py``).
Every method raises only `tradedock.errors` errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from tradedock.clock import Clock, SystemClock
from tradedock.domain import (
    USD_STABLECOINS,
    AccountInfo,
    Balance,
    ContractType,
    Credentials,
    Environment,
    KeyInfo,
    MarginMode,
    Permission,
    PositionMode,
    PositionSettings,
    ServerTime,
)
from tradedock.errors import (
    AgentNotApprovedError,
    BadSignatureError,
    ExchangeUnavailableError,
    InvalidInputError,
    KeyExpiredError,
    UnexpectedResponseError,
)
from tradedock.exchanges.aster import endpoints
from tradedock.exchanges.aster.errors import ERROR_TABLE, SUCCESS_CODES
from tradedock.exchanges.aster.signing import KeySigner, NonceSource, SignedRequest, sign_request
from tradedock.exchanges.aster.spec import FLAVORS, SPEC
from tradedock.exchanges.aster.wallets import (
    API_WALLET_HOWTO,
    checksum,
    derive_address,
    is_address,
    same_address,
    short,
)
from tradedock.exchanges.base import ExchangeSpec, HttpOptions
from tradedock.exchanges.http import ExchangeHttp, Signed

EXCHANGE = "aster"

#: Agent flag (GET /fapi/v3/agent) → normalized permission.
AGENT_PERMISSIONS: tuple[tuple[str, Permission], ...] = (
    ("canRead", Permission.READ),
    ("canSpotTrade", Permission.SPOT_TRADE),
    ("canPerpTrade", Permission.FUTURES_TRADE),
    ("canWithdraw", Permission.WITHDRAW),
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _flag(value: object) -> bool:
    """Aster booleans arrive as JSON booleans or as "true"/"false" strings."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


def _decimal(value: object, name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise UnexpectedResponseError(f"aster sent a non-numeric {name}", exchange=EXCHANGE) from None


def _unexpected(what: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(f"aster answered {what} in a shape TradeDock does not understand", exchange=EXCHANGE)


def parse_ip_whitelist(value: object) -> tuple[str, ...]:
    """``ipWhitelist`` as a tuple: space- or comma-separated, CIDR allowed (sources disagree, aster.md §4)."""
    if not isinstance(value, str):
        return ()
    return tuple(part for part in value.replace(",", " ").split() if part)


class AsterAdapter:
    """Aster V3 for one API wallet: ``signer`` = api_wallet, ``user`` = main_wallet (DESIGN.md field names)."""

    spec: ExchangeSpec = SPEC

    def __init__(
        self,
        credentials: Credentials,
        *,
        flavor: Environment,
        futures: ExchangeHttp,
        spot: ExchangeHttp,
        clock: Clock,
        nonces: NonceSource,
    ) -> None:
        self._credentials = credentials
        self.flavor = flavor
        self.chain_id = endpoints.CHAIN_IDS[flavor]
        self._futures = futures
        self._spot = spot
        self._clock = clock
        self._nonces = nonces
        self.time_offset_ms = 0
        self.signer = credentials.get("api_wallet")
        self.user = credentials.get("main_wallet")
        self._key: KeySigner | None = None  # parsed on the first signature, for this adapter's life only

    def __repr__(self) -> str:
        return f"AsterAdapter({self.flavor.value}, signer={short(self.signer) if self.signer else '?'})"

    # --- public calls -----------------------------------------------------------------------------------

    async def server_time(self) -> ServerTime:
        """``GET /fapi/v3/time`` (public): ``{"serverTime": ms}``; local time taken at the round-trip midpoint."""
        before = self._clock.now_ms()
        response, body = await self._futures.request("GET", endpoints.SERVER_TIME.path)
        after = self._clock.now_ms()
        self._check(body, response.status_code)
        server_ms = body.get("serverTime") if isinstance(body, dict) else None
        if not isinstance(server_ms, int):
            raise _unexpected("the server time")
        return ServerTime(server_ms=server_ms, local_ms=(before + after) // 2, round_trip_ms=after - before)

    async def key_info(self) -> KeyInfo:
        """``GET /fapi/v3/agent``: this API wallet's entry among the main wallet's agents."""
        body = await self._signed_get(self._futures, endpoints.AGENTS.path)
        agents = body.get("data", body) if isinstance(body, dict) else body
        if not isinstance(agents, list):
            raise _unexpected("the agent list")
        entry = next(
            (a for a in agents if isinstance(a, dict) and same_address(str(a.get("agentAddress", "")), self.signer)),
            None,
        )
        if entry is None:
            raise AgentNotApprovedError(
                "This API wallet is not an approved agent of that main wallet.",
                exchange=EXCHANGE,
                fix=f"Check the main wallet address, and that {short(self.signer)} is listed under {API_WALLET_HOWTO}.",
            )
        return self._parse_agent(entry)

    async def account_info(self) -> AccountInfo:
        """``GET /fapi/v3/accountWithJoinMargin`` (old name ``/fapi/v3/account`` on 404); account-level flags only.

        Aster has no unified/classic modes and no sub-accounts in the API, so both stay None.
        """
        try:
            body = await self._signed_get(self._futures, endpoints.FUTURES_ACCOUNT.path)
        except _PathNotFoundError:
            # Renamed on 2026-03-28; whether the old path still answers is UNCONFIRMED (aster.md §8.7).
            body = await self._signed_get(self._futures, endpoints.FUTURES_ACCOUNT_OLD.path)
        if not isinstance(body, dict):
            raise _unexpected("the account")
        native = {k: body[k] for k in ("feeTier", "canTrade", "canDeposit", "canWithdraw", "updateTime") if k in body}
        return AccountInfo(uid=self._uid(), account_mode=None, is_subaccount=None, margin_mode=None, native=native)

    async def balances(self) -> tuple[Balance, ...]:
        """Futures (``GET /fapi/v3/balance`` → wallet ``futures``) and spot (``GET /api/v3/account`` → ``spot``).

        Both are read at once; if either fails its error is raised (futures first) — the verification engine
        decides what a partial failure means. Zero balances are left out.
        """
        results = await asyncio.gather(self._futures_balances(), self._spot_balances(), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        futures, spot = results
        assert isinstance(futures, tuple) and isinstance(spot, tuple)
        return futures + spot

    async def position_settings(self, contract: ContractType) -> PositionSettings:
        """``GET /fapi/v3/positionSide/dual`` and ``GET /fapi/v3/multiAssetsMargin`` (both account-wide).

        ``dualSidePosition`` true → hedge, false → one-way. ``multiAssetsMargin`` true → `MarginMode.MULTI_ASSET`,
        false → `MarginMode.CROSS` (single-asset mode; the cross/isolated choice is then per symbol and not read).
        """
        if contract not in SPEC.contract_types:
            raise InvalidInputError(
                "contract", f"Aster has no {contract.value} futures", fix="Aster perpetuals are USDT-margined (usdt_m)."
            )
        dual, multi = await asyncio.gather(
            self._signed_get(self._futures, endpoints.POSITION_MODE.path),
            self._signed_get(self._futures, endpoints.MULTI_ASSETS_MODE.path),
        )
        if not isinstance(dual, dict) or "dualSidePosition" not in dual:
            raise _unexpected("the position mode")
        if not isinstance(multi, dict) or "multiAssetsMargin" not in multi:
            raise _unexpected("the multi-assets mode")
        hedge, multi_assets = _flag(dual["dualSidePosition"]), _flag(multi["multiAssetsMargin"])
        return PositionSettings(
            position_mode=PositionMode.HEDGE if hedge else PositionMode.ONE_WAY,
            margin_mode=MarginMode.MULTI_ASSET if multi_assets else MarginMode.CROSS,
            native={"dualSidePosition": dual["dualSidePosition"], "multiAssetsMargin": multi["multiAssetsMargin"]},
        )

    async def aclose(self) -> None:
        await self._futures.aclose()
        if self._spot is not self._futures:
            await self._spot.aclose()

    # --- parsing ------------------------------------------------------------------------------------------

    def _uid(self) -> str:
        """The account id is the main wallet address, in EIP-55 checksum form (stable for comparisons)."""
        return checksum(self.user) if is_address(self.user) else self.user

    def _parse_agent(self, entry: dict[str, Any]) -> KeyInfo:
        permissions = {perm for flag, perm in AGENT_PERMISSIONS if _flag(entry.get(flag))}
        if "canRead" not in entry:  # not every source lists it; this signed read just succeeded
            permissions.add(Permission.READ)
        expires_at = None
        expired = entry.get("expired")
        if isinstance(expired, int | str) and str(expired).isdigit() and int(expired) > 0:
            expires_at = _EPOCH + timedelta(milliseconds=int(expired))
            if int(expired) <= self._clock.now_ms():
                raise KeyExpiredError(
                    f"This API wallet expired on {expires_at:%Y-%m-%d %H:%M} UTC.",
                    exchange=EXCHANGE,
                    fix=f"Authorize a new API wallet ({API_WALLET_HOWTO} → Authorize new API wallet).",
                )
        native = {
            k: entry[k] for k in (*(f for f, _ in AGENT_PERMISSIONS), "ipWhitelist", "expired", "source") if k in entry
        }
        trading = {Permission.SPOT_TRADE, Permission.FUTURES_TRADE, Permission.WITHDRAW, Permission.TRANSFER}
        name = entry.get("agentName")
        return KeyInfo(
            uid=self._uid(),
            permissions=frozenset(permissions),
            native_permissions=native,
            read_only=Permission.READ in permissions and not (permissions & trading),
            ips=parse_ip_whitelist(entry.get("ipWhitelist")),
            expires_at=expires_at,
            # Main vs sub-account: the agent list does not say (is_master=False would read as "sub-account").
            is_master=None,
            parent_uid=None,
            account_mode=None,  # not applicable on Aster
            label=name if isinstance(name, str) and name else None,
        )

    async def _futures_balances(self) -> tuple[Balance, ...]:
        body = await self._signed_get(self._futures, endpoints.FUTURES_BALANCE.path)
        if not isinstance(body, list):
            raise _unexpected("the futures balance")
        out = []
        for row in body:
            if not isinstance(row, dict) or "asset" not in row:
                raise _unexpected("the futures balance")
            total = _decimal(row.get("balance", "0"), "balance")
            available = _decimal(row.get("availableBalance", "0"), "availableBalance")
            if total or available:
                out.append(self._balance("futures", str(row["asset"]), total, available))
        return tuple(out)

    async def _spot_balances(self) -> tuple[Balance, ...]:
        body = await self._signed_get(self._spot, endpoints.SPOT_ACCOUNT.path)
        rows = body.get("balances") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise _unexpected("the spot account")
        out = []
        for row in rows:
            if not isinstance(row, dict) or "asset" not in row:
                raise _unexpected("the spot account")
            free = _decimal(row.get("free", "0"), "free")
            total = free + _decimal(row.get("locked", "0"), "locked")
            if total:
                out.append(self._balance("spot", str(row["asset"]), total, free))
        return tuple(out)

    @staticmethod
    def _balance(wallet: str, coin: str, total: Decimal, available: Decimal) -> Balance:
        usd = total if coin.upper() in USD_STABLECOINS else None
        return Balance(wallet=wallet, coin=coin, total=total, available=available, usd_value=usd)

    # --- transport ----------------------------------------------------------------------------------------

    async def _signed_get(self, http: ExchangeHttp, path: str, params: Sequence[tuple[str, object]] = ()) -> Any:
        """One signed GET. Signed per attempt, once the rate budget granted it, with a fresh nonce: a resent nonce
        would be refused as a replay, so the HTTP layer may resend a read (5xx, 429) only because of that."""

        def sign() -> Signed:
            # The query string is passed whole (sent byte for byte) and apart from the path, so http.py's logs
            # show the path only.
            return Signed(query=self._sign(params).query)

        response, body = await http.request("GET", path, sign=sign)
        if response.status_code == 404 and not _is_error_envelope(body):
            raise _PathNotFoundError(f"aster has no {path}", exchange=EXCHANGE, code="404")
        self._check(body, response.status_code)
        return body

    def _sign(self, params: Sequence[tuple[str, object]]) -> SignedRequest:
        """``params`` signed with the next nonce; call it per attempt, when the request leaves (`http.Signer`)."""
        if self._key is None:
            self._key = KeySigner(self._credentials.get("private_key"))
        return sign_request(
            params,
            user=self.user,
            signer=self.signer,
            nonce=self._nonces.next(self.signer, self.time_offset_ms, user=self.user),
            private_key=self._key,
            chain_id=self.chain_id,
        )

    def _check(self, body: Any, status: int) -> None:
        """Raise the domain error for an error envelope or an unexplained HTTP error status."""
        if _is_error_envelope(body):
            code, msg = str(body["code"]), str(body.get("msg", ""))
            if code == "-5000" and status == 404:
                raise _PathNotFoundError(f"aster: {msg}", exchange=EXCHANGE, code=code, native_message=msg)
            try:
                ERROR_TABLE.raise_for(code, msg)
            except AgentNotApprovedError as exc:
                # -1000 "Signature check failed" also means "wrong key": decide locally (aster.md §9.3).
                if not same_address(derive_address(self._credentials.get("private_key")) or "", self.signer):
                    raise BadSignatureError(
                        "Aster rejected the signature: the private key does not belong to this API wallet.",
                        code=exc.code,
                        native_message=exc.native_message,
                        exchange=EXCHANGE,
                        fix="Paste the private key of the API wallet you entered.",
                    ) from None
                raise
        if status >= 500:
            raise ExchangeUnavailableError(
                f"aster had a server error (HTTP {status})", exchange=EXCHANGE, code=str(status)
            )
        if status >= 400:
            raise UnexpectedResponseError(f"aster answered HTTP {status}", exchange=EXCHANGE, code=str(status))


class _PathNotFoundError(UnexpectedResponseError):
    """HTTP 404 for a path: lets `account_info` fall back to the pre-rename path."""


def _is_error_envelope(body: Any) -> bool:
    return isinstance(body, dict) and "code" in body and str(body["code"]) not in SUCCESS_CODES


def create_adapter(
    credentials: Credentials,
    *,
    flavor: Environment,
    base_url: str | None = None,
    http: HttpOptions | None = None,
) -> AsterAdapter:
    """An adapter for ``flavor`` (live: chainId 1666, testnet: 714).

    ``base_url`` (the sandbox root plus its environment path) replaces both the futures and the spot host:
    the simulator serves ``/fapi`` and ``/api`` paths on one root.
    """
    if flavor not in FLAVORS:
        raise InvalidInputError(
            "environment",
            f"Aster has no {flavor.value} environment",
            fix="Use live or testnet (Aster testnet keys come from https://www.asterdex-testnet.com/en/api-wallet).",
        )
    options = http or HttpOptions()
    clock = options.clock or SystemClock()
    creds, _ = credentials.trimmed()

    def host(url: str) -> ExchangeHttp:
        return ExchangeHttp("aster", url, options, account=creds.get("api_wallet"), rates=endpoints.RATES)

    futures = host(base_url or endpoints.FUTURES_BASE_URLS[flavor])
    spot = futures if base_url else host(endpoints.SPOT_BASE_URLS[flavor])
    # The adapter the registry hands out also trades (``trading.py`` subclasses this module's adapter).
    from tradedock.exchanges.aster.trading import AsterTrader

    return AsterTrader(creds, flavor=flavor, futures=futures, spot=spot, clock=clock, nonces=NonceSource(clock))
