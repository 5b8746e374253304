"""Bybit V5 error codes as data: ``retCode`` → domain error, a plain cause and the fix.

What belongs here: the literal table (one row per code, doc URL in the comment beside it) and the few HTTP
statuses Bybit answers without a JSON envelope. What does not: deciding when to consult it (``adapter.py``) or
transport faults such as timeouts, 5xx and HTML pages (``exchanges/http.py``).

Codes and messages: https://bybit-exchange.github.io/docs/v5/error (UTA section) unless noted; real-world
messages from SDK issue threads are cited in shared/reference/exchanges/bybit.md §7.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from tradedock.errors import (
    AccountModeMismatchError,
    BadSignatureError,
    CredentialsRejectedError,
    ExchangeUnavailableError,
    GeoBlockedError,
    InsufficientMarginError,
    IpNotAllowedError,
    KeyExpiredError,
    OrderRejectedError,
    PermissionDeniedError,
    RateLimitedError,
    TimestampRejectedError,
    UnexpectedResponseError,
    UnknownKeyError,
    UserFixableError,
)
from tradedock.exchanges.errors import ErrorRule, ErrorTable

_UNKNOWN_KEY = ErrorRule(
    UnknownKeyError,
    "Bybit does not know this API key: it has a typo, was deleted, or belongs to another environment "
    "(live, demo trading and testnet keys only work on their own host).",
    "Copy the API key again from Bybit's API management page, and pick the environment the key was created in "
    "(a demo-trading key is created on mainnet after switching to Demo Trading).",
)
_KEY_EXPIRED = ErrorRule(
    KeyExpiredError,
    "This Bybit API key has expired. Keys without an IP whitelist stop working after 90 days, and 7 days after "
    "the account password changes.",
    "Create a new key in Bybit (bind it to the platform's IP addresses so it does not expire) and replace it here.",
)
_TIMESTAMP = ErrorRule(
    TimestampRejectedError,
    "Bybit rejected the request time: this server's clock is outside Bybit's window "
    "(at most 1 s ahead, or recv_window behind, Bybit's clock).",
    "Sync the server clock with NTP; TradeDock retries with the offset it measured from Bybit's server time.",
)
_RATE_LIMITED = ErrorRule(
    RateLimitedError,
    "Bybit is rate limiting requests for this key or IP.",
    "Wait a moment; TradeDock retries later. Nothing is wrong with the key.",
)
_ACCOUNT_MODE = ErrorRule(
    AccountModeMismatchError,
    "This Bybit call is only available to the other account type (Unified Trading Account vs classic).",
    "Upgrade the account to a Unified Trading Account in Bybit (Assets → Unified Trading Account), then check again.",
)
_MARGIN = ErrorRule(
    InsufficientMarginError,
    "Not enough available margin on Bybit for this order.",
    "Add funds to the Unified Trading Account, lower the size or raise the leverage.",
)
_RESTRICTED = ErrorRule(
    PermissionDeniedError,
    "Bybit restricts this account from this action.",
    "Open the Bybit app or contact Bybit support to see what restriction is on the account.",
)

#: retCode → rule. Every auth- and account-related code in bybit.md §7 (and the mode codes of §3/§5).
BYBIT_CODES: Mapping[str, ErrorRule] = MappingProxyType(
    {
        # 10001 parameter error: our request is malformed, a bug on our side. https://bybit-exchange.github.io/docs/v5/error
        "10001": ErrorRule(UnexpectedResponseError, "Bybit rejected a request parameter (a TradeDock bug).", ""),
        # 10002 request time outside [server - recv_window, server + 1000). https://bybit-exchange.github.io/docs/v5/guide
        "10002": _TIMESTAMP,
        # 10003 "API key is invalid": check the key matches the domain (mainnet, testnet, demo). https://bybit-exchange.github.io/docs/v5/error
        # Also seen for keys that expired (peers-and-failure-modes.md §3): the message decides (see BROAD).
        "10003": _UNKNOWN_KEY,
        # 10004 "error sign": the key exists, the signature does not match, i.e. the secret is wrong. https://bybit-exchange.github.io/docs/v5/error
        "10004": ErrorRule(
            BadSignatureError,
            "Bybit knows this API key, but the secret does not match it.",
            "Paste the API secret that was shown once when this key was created; if it is lost, create a new key.",
        ),
        # 10005 permission denied: the key lacks the permission this call needs. https://bybit-exchange.github.io/docs/v5/error
        "10005": ErrorRule(
            PermissionDeniedError,
            "This Bybit API key lacks a permission this check needs.",
            "Edit the key in Bybit's API management and enable the permissions listed in the setup guide.",
        ),
        # 10006 "Too many visits!": per-UID per-endpoint limit. https://bybit-exchange.github.io/docs/v5/rate-limit
        "10006": _RATE_LIMITED,
        # 10007 user authentication failed. https://bybit-exchange.github.io/docs/v5/error
        "10007": ErrorRule(
            CredentialsRejectedError,
            "Bybit could not authenticate this account with the key.",
            "Check that the account is active and the key was not deleted, then create a new key if needed.",
        ),
        # 10008 "Common banned, please check your account mode". https://bybit-exchange.github.io/docs/v5/error
        "10008": ErrorRule(
            PermissionDeniedError,
            'Bybit has banned this account from this action ("common banned"); it may concern the account mode.',
            "Check the account's mode and restrictions in the Bybit app, or contact Bybit support.",
        ),
        # 10009 service restricted for your region. https://bybit-exchange.github.io/docs/v5/error
        "10009": ErrorRule(
            GeoBlockedError,
            "Bybit does not serve requests from this server's region.",
            "Run TradeDock from a region Bybit serves (Bybit blocks e.g. US and Mainland China IPs).",
        ),
        # 10010 "Unmatched IP, please check your API key's bound IP addresses." https://bybit-exchange.github.io/docs/v5/error
        "10010": ErrorRule(
            IpNotAllowedError,
            "The key's IP whitelist on Bybit does not include the IP address this request came from.",
            "Edit the key in Bybit and add the platform's IP addresses to its whitelist.",
        ),
        # 10016 server error. https://bybit-exchange.github.io/docs/v5/error
        "10016": ErrorRule(ExchangeUnavailableError, "Bybit had an internal error.", "Try again in a few minutes."),
        # 10017 route not found: wrong host or path, a deployment bug. https://bybit-exchange.github.io/docs/v5/error
        "10017": ErrorRule(UnexpectedResponseError, "Bybit does not know this API route (a TradeDock bug).", ""),
        # 10018 exceeded IP rate limit (struck through in the docs, still handled). https://bybit-exchange.github.io/docs/v5/error
        "10018": _RATE_LIMITED,
        # 10024 compliance rules triggered. https://bybit-exchange.github.io/docs/v5/error
        "10024": ErrorRule(
            PermissionDeniedError,
            "Bybit's compliance rules block this account from this action.",
            "Contact Bybit support about the compliance restriction on the account.",
        ),
        # 10027 transactions banned. https://bybit-exchange.github.io/docs/v5/error
        "10027": _RESTRICTED,
        # 10028 "The API can only be accessed by unified account users". https://bybit-exchange.github.io/docs/v5/error
        "10028": _ACCOUNT_MODE,
        # 100028 "cannot be accessed by unified account users". https://bybit-exchange.github.io/docs/v5/error
        "100028": ErrorRule(
            AccountModeMismatchError,
            "This Bybit call is not available to Unified Trading Accounts.",
            "Nothing to change in Bybit; this is a TradeDock bug if it persists. Report it.",
        ),
        # 110088 "Please Upgrade to UTA to trade". https://bybit-exchange.github.io/docs/v5/error
        "110088": _ACCOUNT_MODE,
        # 10029 symbol not in the key's whitelist. https://bybit-exchange.github.io/docs/v5/error
        "10029": ErrorRule(
            PermissionDeniedError,
            "This Bybit key is restricted to other symbols.",
            "Edit the key in Bybit and remove the symbol restriction (or add the symbols the platform trades).",
        ),
        # 33004 "(Derivatives) Your api key has expired"; -2015 "(Spot) …". https://bybit-exchange.github.io/docs/v5/error
        "33004": _KEY_EXPIRED,
        "-2015": _KEY_EXPIRED,
        # -1 "request expired: o@0, now[] diff[]". https://bybit-exchange.github.io/docs/v5/error
        "-1": _TIMESTAMP,
        # 429 as a retCode: trading service under high load; retry. https://bybit-exchange.github.io/docs/v5/error
        "429": ErrorRule(RateLimitedError, "Bybit is under high load and throttling requests.", "Try again shortly."),
        # 3100197 temporarily banned while the account upgrades to UTA. https://bybit-exchange.github.io/docs/v5/error
        "3100197": ErrorRule(
            ExchangeUnavailableError,
            "The Bybit account is being upgraded to a Unified Trading Account and is temporarily locked.",
            "Wait until Bybit finishes the upgrade, then check again.",
        ),
        # 20096 KYC needed; 131004 KYC needed (ccxt exact map). https://bybit-exchange.github.io/docs/v5/error
        "20096": ErrorRule(
            PermissionDeniedError,
            "Bybit requires identity verification (KYC) for this.",
            "Complete identity verification in the Bybit app, then check again.",
        ),
        "131004": ErrorRule(
            PermissionDeniedError,
            "Bybit requires identity verification (KYC) for this.",
            "Complete identity verification in the Bybit app, then check again.",
        ),
        # 81007 "Bybit Europe is not supported create API Key" (User section). https://bybit-exchange.github.io/docs/v5/error
        "81007": ErrorRule(
            PermissionDeniedError,
            "Bybit Europe accounts cannot create ordinary API keys.",
            "Use a key created through Bybit EU's 'Connect to Third-Party Applications' flow, if offered.",
        ),
        # 110024 existing position / 110028 open orders: cannot switch position mode.
        # https://bybit-exchange.github.io/docs/v5/position/position-mode
        "110024": ErrorRule(
            UserFixableError,
            "Bybit cannot switch the position mode while a position is open.",
            "Close the open positions for this market, then switch the position mode.",
        ),
        "110028": ErrorRule(
            UserFixableError,
            "Bybit cannot switch the position mode while orders are open.",
            "Cancel the open orders for this market, then switch the position mode.",
        ),
        # 110029 hedge mode not supported for this symbol (UTA 2.0: USDT perpetuals only).
        "110029": ErrorRule(
            UserFixableError,
            "Bybit does not support hedge mode for this market.",
            "Use one-way mode for this market.",
        ),
        # 110073 / 3400045 set margin mode failed. https://bybit-exchange.github.io/docs/v5/account/set-margin-mode
        "110073": ErrorRule(UserFixableError, "Bybit refused to change the margin mode.", "See Bybit's reasons."),
        "3400045": ErrorRule(UserFixableError, "Bybit refused to change the margin mode.", "See Bybit's reasons."),
        # --- trading (exchanges/bybit/trading.py); texts: https://bybit-exchange.github.io/docs/v5/error ---
        # 110004 / 110007 / 110012 / 110044 / 110045: wallet or available balance too low for the order.
        "110004": _MARGIN,
        "110006": _MARGIN,
        "110007": _MARGIN,
        "110012": _MARGIN,
        "110044": _MARGIN,
        "110045": _MARGIN,
        # 110001 order does not exist (or is already finished).
        "110001": ErrorRule(OrderRejectedError, "Bybit has no open order with that id.", "Check the open orders."),
        # 110008 / 110010 the order is already completed or cancelled.
        "110008": ErrorRule(
            OrderRejectedError,
            "Bybit says the order is already filled or cancelled.",
            "Look the order up before changing it.",
        ),
        "110010": ErrorRule(
            OrderRejectedError, "Bybit says the order is already cancelled.", "Look the order up before changing it."
        ),
        # 110017 reduce-only order with nothing to reduce ("orderQty will be truncated to zero").
        "110017": ErrorRule(
            OrderRejectedError,
            "Bybit refused a reduce-only order: there is no position on that side to reduce.",
            "Check the position before closing it.",
        ),
        # 110072 duplicate orderLinkId: an order with this client order id already exists.
        "110072": ErrorRule(
            OrderRejectedError,
            "Bybit already has an order with this client order id.",
            "Look the order up by its client order id instead of sending it again.",
        ),
        # 110094 order value below the instrument's minNotionalValue.
        "110094": ErrorRule(
            OrderRejectedError, "The order is worth less than Bybit's minimum order value (110094).", "Order more."
        ),
        # 110036 / 110038 leverage cannot change in cross-margin (classic) or portfolio margin mode.
        "110036": ErrorRule(
            OrderRejectedError,
            "Bybit does not allow changing leverage in cross margin here.",
            "Switch this position to isolated margin to set its leverage.",
        ),
        "110038": ErrorRule(
            OrderRejectedError,
            "Bybit does not allow changing leverage in portfolio margin mode.",
            "Switch the account to regular (cross) margin to set leverage per symbol.",
        ),
    }
)

#: Message substrings, consulted for unknown codes and for the codes in AMBIGUOUS. Order matters: the first
#: match wins, so clock messages (which contain "expired") come before key-expiry messages.
BYBIT_BROAD: Mapping[str, ErrorRule] = MappingProxyType(
    {
        "recv_window": _TIMESTAMP,
        "request expired": _TIMESTAMP,
        "api key has expired": _KEY_EXPIRED,
        "key expired": _KEY_EXPIRED,
        "key is expired": _KEY_EXPIRED,
        "error sign": BYBIT_CODES["10004"],
        "api key is invalid": _UNKNOWN_KEY,
        "unmatched ip": BYBIT_CODES["10010"],
        "too many visits": _RATE_LIMITED,
    }
)

#: 10003 is also what some expired keys get (peers-and-failure-modes.md §3; UNCONFIRMED which message).
AMBIGUOUS = frozenset({"10003"})

ERROR_TABLE = ErrorTable(exchange="Bybit", exact=BYBIT_CODES, broad=BYBIT_BROAD, ambiguous=AMBIGUOUS)

#: HTTP statuses Bybit may answer without a JSON envelope (text bodies; HTML pages are handled by http.py).
#: https://bybit-exchange.github.io/docs/v5/error (HTTP section) and https://bybit-exchange.github.io/docs/v5/rate-limit
HTTP_STATUS_RULES: Mapping[int, ErrorRule] = MappingProxyType(
    {
        # 401: wrong key or auth params missing.
        401: ErrorRule(
            CredentialsRejectedError,
            "Bybit refused the request's credentials (HTTP 401).",
            _UNKNOWN_KEY.fix,
        ),
        # 403: the IP limit (600 requests / 5 s) was breached ("access too frequent"; ban lifts after ≥10 min),
        # or the request comes from a region Bybit blocks.
        403: ErrorRule(
            RateLimitedError,
            "Bybit refused this server's IP (HTTP 403): its IP rate limit was exceeded or the region is blocked.",
            "Wait at least 10 minutes; if it persists, run TradeDock from a region Bybit serves.",
        ),
    }
)
