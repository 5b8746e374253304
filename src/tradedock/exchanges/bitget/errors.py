"""Bitget's error codes as data: every auth- and account-related code in the reference → domain error.

What belongs here: `ERROR_TABLE` (one row per code, cause and fix in a trader's words, doc source beside
it), the envelope constants, and `account_mode_hint`, which tells the adapter which account system a
40084/40085 answer points to. What does not: raising on transport faults (``exchanges/http.py``) or any
HTTP call.

Envelope (reference §7): ``{"code": "<string>", "msg": ..., "requestTime": ms, "data": ...}``; ``code`` is
a STRING and ``"00000"`` means success. Messages follow the ``locale`` header and carry ``{0}`` templates,
so rows match on ``code``; message needles are a fallback for codes not in the table. Bitget sends auth
and business errors as HTTP 400 with this JSON body; the doc's statuses are 400/401/403/404/429/500, so
the body code is always read first, whatever the status.

Sources: "Classic" = https://www.bitget.com/legacy-docs/classic/contract/error-code/restapi (official
table). Rows marked "ccxt" come only from ccxt 4.5.90's exception map; "third-party" rows from the issues
named in reference §7.
"""

from __future__ import annotations

from types import MappingProxyType

from tradedock.domain import AccountMode
from tradedock.errors import (
    AccountModeMismatchError,
    BadSignatureError,
    CredentialsRejectedError,
    ExchangeTimeoutError,
    ExchangeUnavailableError,
    InsufficientMarginError,
    InternalError,
    IpNotAllowedError,
    OrderRejectedError,
    PermissionDeniedError,
    RateLimitedError,
    TimestampRejectedError,
    TradeDockError,
    UnknownKeyError,
    UserFixableError,
    WrongEnvironmentError,
    WrongPassphraseError,
)
from tradedock.exchanges.errors import ErrorRule, ErrorTable

SUCCESS_CODE = "00000"
CLASSIC_ON_UNIFIED_CODE = "40085"  # a UTA key called a V2 (classic) endpoint
UNIFIED_ON_CLASSIC_CODE = "40084"  # a classic key called a V3 (UTA) endpoint

_KEY_FIX = "Copy the API key again from Bitget → API Key Management, or create a new key, and paste it here."
_SECRET_FIX = (
    "The key exists but the secret does not match it. Paste the secret key shown when the key was created "
    "(Bitget shows it only once); if it is lost, delete the key and create a new one."
)
_PASSPHRASE_FIX = (
    "The API key is known to Bitget, so only the passphrase or the secret can be wrong. Re-enter the API "
    "passphrase you chose when you created this key — not your Bitget login password — and check the secret. "
    "Bitget cannot show or recover a passphrase: if it is lost, delete the key and create a new one."
)
_CLOCK_FIX = "Synchronise this server's clock (NTP); Bitget accepts timestamps within 30 seconds of its own."
_IP_FIX = (
    "Add this server's public IP address to the key's IP whitelist in Bitget → API Key Management "
    "(or remove the whitelist), then check again."
)
_PERMISSION_FIX = "Edit the key in Bitget → API Key Management and enable the permission named in the message."
_ACCOUNT_FIX = "Log in to Bitget and resolve the account restriction (see Bitget notifications or support)."
_DEMO_FIX = (
    "Demo-trading keys only work in demo mode and live keys only in live mode. Choose the environment the "
    "key was created in (Bitget demo keys are created after switching the site to Demo mode)."
)


def _rule(error: type[TradeDockError], cause: str, fix: str = "") -> ErrorRule:
    return ErrorRule(error=error, cause=cause, fix=fix)


_ROWS: dict[str, ErrorRule] = {
    # --- missing or malformed auth headers (Classic) ---------------------------------------------------------
    "40001": _rule(UnknownKeyError, "Bitget received no API key (ACCESS_KEY cannot be empty).", _KEY_FIX),
    "40002": _rule(BadSignatureError, "Bitget received no signature (ACCESS_SIGN cannot be empty).", _SECRET_FIX),
    "40003": _rule(BadSignatureError, "Bitget received an empty signature.", _SECRET_FIX),
    "40004": _rule(TimestampRejectedError, "Bitget rejected the request timestamp (ccxt: InvalidNonce).", _CLOCK_FIX),
    "40005": _rule(TimestampRejectedError, "Bitget rejected the request timestamp as invalid.", _CLOCK_FIX),
    "40007": _rule(InternalError, "Bitget rejected the request's Content-Type; this is a TradeDock bug."),
    # --- the credentials themselves (Classic; 40037 also ccxt PR #19778) -------------------------------------
    "40006": _rule(UnknownKeyError, "Bitget does not know this API key (Invalid ACCESS_KEY).", _KEY_FIX),
    "40037": _rule(UnknownKeyError, "This API key does not exist on Bitget (deleted or never created).", _KEY_FIX),
    "40009": _rule(
        BadSignatureError, "The signature is wrong: the secret key does not belong to this key.", _SECRET_FIX
    ),
    "40011": _rule(
        WrongPassphraseError, "Bitget received no passphrase (ACCESS_PASSPHRASE cannot be empty).", _PASSPHRASE_FIX
    ),
    "40012": _rule(
        WrongPassphraseError, "Bitget says the passphrase (or secret) does not match this API key.", _PASSPHRASE_FIX
    ),
    "40036": _rule(WrongPassphraseError, "Bitget says the passphrase is wrong.", _PASSPHRASE_FIX),
    "40070": _rule(
        WrongPassphraseError,
        "The passphrase breaks Bitget's rule: 8–32 characters of English letters and numbers.",
        _PASSPHRASE_FIX,
    ),
    "40506": _rule(CredentialsRejectedError, "Bitget refused the credentials (ccxt: AuthenticationError).", _KEY_FIX),
    "40507": _rule(CredentialsRejectedError, "Bitget refused the credentials (ccxt: AuthenticationError).", _KEY_FIX),
    # --- clock (Classic: 30 s window; 40078/40079 receive window, reference §1) ------------------------------
    "40008": _rule(
        TimestampRejectedError, "Bitget says the request timestamp expired: clocks differ by over 30 s.", _CLOCK_FIX
    ),
    "40078": _rule(TimestampRejectedError, "The request timestamp is outside Bitget's receive window.", _CLOCK_FIX),
    "40079": _rule(TimestampRejectedError, "Bitget's receive window must be under 60 s.", _CLOCK_FIX),
    # --- IP whitelist (Classic; 40018 seen live) --------------------------------------------------------------
    "40018": _rule(IpNotAllowedError, "This server's IP address is not on the key's IP whitelist.", _IP_FIX),
    "40038": _rule(IpNotAllowedError, "This server's IP address is not on the key's IP whitelist.", _IP_FIX),
    "22010": _rule(IpNotAllowedError, "Bitget requires an IP whitelist on this key for this action.", _IP_FIX),
    # --- permissions and account restrictions (Classic; 40301 ccxt) ------------------------------------------
    "40014": _rule(PermissionDeniedError, "The key lacks a permission this call needs.", _PERMISSION_FIX),
    "40040": _rule(PermissionDeniedError, "Bitget reports an error in the key's permission settings.", _PERMISSION_FIX),
    "40301": _rule(PermissionDeniedError, "Bitget denied access (ccxt: PermissionDenied).", _PERMISSION_FIX),
    "40016": _rule(
        PermissionDeniedError,
        "Bitget requires a bound phone number or Google Authenticator on the account.",
        "Bind a phone number or Google Authenticator in Bitget → Security, then check again.",
    ),
    "40013": _rule(CredentialsRejectedError, "Bitget says the account status is abnormal.", _ACCOUNT_FIX),
    "40022": _rule(PermissionDeniedError, "Bitget has restricted this business for the account.", _ACCOUNT_FIX),
    "40023": _rule(CredentialsRejectedError, "Bitget has restricted API access for this account.", _ACCOUNT_FIX),
    "40024": _rule(CredentialsRejectedError, "The Bitget account is frozen.", _ACCOUNT_FIX),
    "40026": _rule(CredentialsRejectedError, "The Bitget user is disabled.", _ACCOUNT_FIX),
    "40031": _rule(
        CredentialsRejectedError,
        "The Bitget account has been cancelled and cannot be used again.",
        "Connect a key from an active Bitget account.",
    ),
    "40063": _rule(
        UserFixableError,
        "The account reached Bitget's limit of 10 API keys.",
        "Delete an unused key in Bitget → API Key Management before creating a new one.",
    ),
    **{
        code: _rule(
            PermissionDeniedError,
            "Bitget restricts this account (identity verification or region).",
            "Complete identity verification (KYC) in Bitget, or use an account in a region Bitget serves.",
        )
        for code in ("40100", "40101", "40103", "40104", "40111")
    },
    # --- environment and account system (third-party: ccxt issues #25004, #26838; passivbot PR #601) --------
    "40099": _rule(WrongEnvironmentError, "The key belongs to the other environment (demo vs live).", _DEMO_FIX),
    **{
        code: _rule(
            UserFixableError,
            "This call is not available in Bitget demo trading.",
            "Use a live key for this, or accept that demo trading cannot report it.",
        )
        for code in ("40081", "40105", "40110")
    },
    CLASSIC_ON_UNIFIED_CODE: _rule(
        AccountModeMismatchError,
        "The account is a Unified Trading Account; the classic API does not serve it.",
        "Nothing to do: TradeDock switches to Bitget's unified (V3) API for this account.",
    ),
    UNIFIED_ON_CLASSIC_CODE: _rule(
        AccountModeMismatchError,
        "The account is a classic account; the unified (V3) API does not serve it.",
        "Nothing to do: TradeDock switches to Bitget's classic (V2) API for this account.",
    ),
    # --- exchange-side: retry later (Classic; 429 reference §7–8; 1001/50009 ccxt) --------------------------
    "429": _rule(RateLimitedError, "Bitget is rate limiting requests (Too many requests)."),
    "1001": _rule(RateLimitedError, "Bitget is rate limiting requests (ccxt: RateLimitExceeded)."),
    "50009": _rule(RateLimitedError, "Bitget is rate limiting requests (ccxt: RateLimitExceeded)."),
    "40010": _rule(ExchangeTimeoutError, "Bitget says the request timed out."),
    "40200": _rule(ExchangeUnavailableError, "Bitget is upgrading its servers; try again later."),
    "500": _rule(ExchangeUnavailableError, "Bitget had a server error."),
    "40015": _rule(ExchangeUnavailableError, "Bitget reports a system error (ccxt: ExchangeError); try again later."),
    # --- a request TradeDock built wrongly (ccxt: BadRequest) ---------------------------------------------------
    **{
        code: _rule(InternalError, "Bitget rejected a request parameter; this is a TradeDock bug.")
        for code in ("400", "40017", "40019", "40020")
    },
    # --- body codes that mirror HTTP statuses (doc status table; ccxt) ---------------------------------------
    "401": _rule(UnknownKeyError, "Bitget says the API key is invalid (401).", _KEY_FIX),
    "403": _rule(PermissionDeniedError, "Bitget denied access (403).", _PERMISSION_FIX),
    "40404": _rule(InternalError, "Bitget does not know the requested URL; TradeDock or its base URL is wrong."),
    # --- settings locked by open positions/orders (Classic; reference §4) ------------------------------------
    "40920": _rule(
        UserFixableError,
        "The position mode cannot be switched while positions or orders exist.",
        "Close all positions and cancel all orders of that futures type, then switch the position mode.",
    ),
    "45117": _rule(
        UserFixableError,
        "The margin mode cannot be changed while positions or orders exist.",
        "Close the positions and cancel the orders of that market, then change the margin mode.",
    ),  # --- trading (exchanges/bitget/trading.py); messages as ccxt's bitget table quotes real answers -------------
    # 40762 "The order amount exceeds the balance" / 43012 "Insufficient balance".
    **{
        code: _rule(
            InsufficientMarginError,
            "Not enough available margin on Bitget for this order.",
            "Add USDT to the USDT-M futures account, lower the size or raise the leverage.",
        )
        for code in ("40762", "43012")
    },
    # 40768 / 40109 / 43001: the order does not exist (or no longer).
    **{
        code: _rule(OrderRejectedError, "Bitget has no such order.", "Check the open orders.")
        for code in ("40768", "40109", "43001")
    },
    "45110": _rule(
        OrderRejectedError,
        "The order is worth less than Bitget's minimum (5 USDT).",
        "Order at least the contract's minTradeUSDT worth.",
    ),
    "45111": _rule(
        OrderRejectedError,
        "The order is below Bitget's minimum quantity.",
        "Order at least the contract's minTradeNum.",
    ),
    "40808": _rule(
        OrderRejectedError,
        "Bitget refused the order's size or price precision.",
        "Round the size and price to the contract's steps.",
    ),
    "22002": _rule(
        OrderRejectedError,
        "Bitget refused a reduce-only order: there is no position to close.",
        "Check the position before closing it.",
    ),
    "40786": _rule(
        OrderRejectedError,
        "Bitget already has an order with this client order id.",
        "Look the order up by its client order id instead of sending it again.",
    ),
    "40774": _rule(
        OrderRejectedError,
        "Bitget refused the order: its position side does not match the account's position mode.",
        "Use one-way orders in one-way mode and open/close orders in hedge mode.",
    ),
}

#: Official message substrings for answers whose code we do not know (reference §7). Matched only when the
#: code is not in the table.
_BROAD: dict[str, ErrorRule] = {
    "exchange environment is incorrect": _ROWS["40099"],
    "you are in unified account mode": _ROWS[CLASSIC_ON_UNIFIED_CODE],
    "you are in classic account mode": _ROWS[UNIFIED_ON_CLASSIC_CODE],
    "apikey does not exist": _ROWS["40037"],
    "invalid access_key": _ROWS["40006"],
    "sign signature error": _ROWS["40009"],
    "passphrase is error": _ROWS["40036"],
    "request timestamp expired": _ROWS["40008"],
    "not in the apikey ip whitelist": _ROWS["40038"],
    "invalid ip": _ROWS["40018"],
    "too many requests": _ROWS["429"],
}

ERROR_TABLE = ErrorTable(exchange="Bitget", exact=MappingProxyType(_ROWS), broad=MappingProxyType(_BROAD))


def account_mode_hint(error: AccountModeMismatchError) -> AccountMode | None:
    """The account system an account-mode error says the key belongs to (None if it does not say)."""
    message = (error.native_message or "").lower()
    if error.code == CLASSIC_ON_UNIFIED_CODE or "you are in unified account mode" in message:
        return AccountMode.UNIFIED
    if error.code == UNIFIED_ON_CLASSIC_CODE or "you are in classic account mode" in message:
        return AccountMode.CLASSIC
    return None
