"""Aster's error codes relevant to connecting a key, as data: code → domain error, cause and fix.

What belongs here: `ERROR_TABLE` (one row per code, the doc beside it), the success code, and nothing else.
What does not: transport faults (HTTP 5xx/HTML/429/418 are mapped in ``exchanges/http.py``) or the adapter's
refinement of -1000 by local key derivation (``adapter.py``).

Aster answers errors as ``{"code": -NNNN, "msg": "…"}``; several successes carry ``{"code": 200, "msg":
"success"}`` (aster.md §4–§5, https://github.com/asterdex/api-docs/blob/master/V3(Recommended)/EN/aster-finance-futures-api-v3.md#error-codes).
V3 has no documented codes for "unknown signer", "agent not approved", "expired agent" or "duplicate nonce"
(aster.md §8.5, UNCONFIRMED); the only observed V3 auth failure is ``-1000 "Signature check failed"``. So
-1000 is decided by its message, and unknown codes fall back to message needles.
"""

from __future__ import annotations

from types import MappingProxyType

from tradedock.errors import (
    AgentNotApprovedError,
    BadSignatureError,
    CredentialsRejectedError,
    ExchangeUnavailableError,
    InsufficientMarginError,
    IpNotAllowedError,
    KeyExpiredError,
    OrderRejectedError,
    PermissionDeniedError,
    RateLimitedError,
    TimestampRejectedError,
    UnknownKeyError,
    UserFixableError,
)
from tradedock.exchanges.errors import ErrorRule, ErrorTable

#: ``code`` of a successful answer that still carries an envelope (e.g. ``{"code":200,"msg":"success"}``).
SUCCESS_CODES = frozenset({"200", "0"})

_DOC = "https://github.com/asterdex/api-docs/blob/master/V3(Recommended)/EN/aster-finance-futures-api-v3.md"
_HOWTO = "More → API Management → Pro API"

_NOT_APPROVED = ErrorRule(
    AgentNotApprovedError,
    "Aster rejected the request: this API wallet is not an approved agent of that main wallet (or it was removed).",
    f"Check that the main wallet is the wallet you log in to Aster with, and that the API wallet is listed "
    f"under {_HOWTO}. If it is not, authorize a new API wallet and connect that one.",
)
_EXPIRED = ErrorRule(
    KeyExpiredError,
    "The API wallet (agent) has expired or was revoked.",
    f"Authorize a new API wallet ({_HOWTO} → Authorize new API wallet) and connect it instead.",
)
_NONCE = ErrorRule(
    TimestampRejectedError,
    "Aster rejected the request nonce: it was reused or is outside the allowed time window.",
    "Make sure this server's clock is synchronised (NTP), then try again.",
)
_IP = ErrorRule(
    IpNotAllowedError,
    "This server's IP address is not on the API wallet's IP whitelist.",
    "Add the platform's IP addresses to the API wallet's IP whitelist on Aster, or remove the whitelist.",
)
_RATE = ErrorRule(
    RateLimitedError,
    "Aster is rate limiting requests from this server.",
    "Wait a minute and check again.",
)

ERROR_TABLE = ErrorTable(
    exchange="aster",
    exact=MappingProxyType(
        {
            # -1000 UNKNOWN "An unknown error occured while processing the request." (_DOC "Error Codes" 10xx).
            # With an auth message it is decided in `broad`; a bare -1000 is Aster's own fault: retry later.
            "-1000": ErrorRule(ExchangeUnavailableError, "Aster reported an unknown internal error.", "Try again."),
            # -1002 UNAUTHORIZED "You are not authorized to execute this request." (_DOC 10xx)
            "-1002": ErrorRule(
                PermissionDeniedError,
                "Aster says this API wallet is not authorized to execute this request.",
                f"Check the API wallet's permissions under {_HOWTO}.",
            ),
            # -1003 TOO_MANY_REQUESTS, incl. "Way too many requests; IP banned until %s" (_DOC 10xx)
            "-1003": _RATE,
            # -1015 TOO_MANY_ORDERS (_DOC 10xx; ccxt maps it to RateLimitExceeded)
            "-1015": _RATE,
            # -1011 NON_WHITE_LIST "This IP cannot access this route." (_DOC 10xx)
            "-1011": _IP,
            # -1021 INVALID_TIMESTAMP (V1; removed from the V3 list on 2026-03-17, kept in case a host still sends it)
            "-1021": ErrorRule(
                TimestampRejectedError,
                "Aster says the request time is outside its allowed window.",
                "Make sure this server's clock is synchronised (NTP), then try again.",
            ),
            # -1022 INVALID_SIGNATURE "Signature for this request is not valid." (_DOC 10xx)
            "-1022": ErrorRule(
                BadSignatureError,
                "Aster says the signature is not valid: the private key does not belong to this API wallet.",
                "Paste the private key of the API wallet you entered (shown once when you created it).",
            ),
            # -2014 BAD_API_KEY_FMT "API-key format invalid." (_DOC 20xx; a V1 header code)
            "-2014": ErrorRule(
                UnknownKeyError,
                "Aster says the key format is invalid.",
                "Use a V3 API wallet (address + private key), not a V1 API key.",
            ),
            # -2015 REJECTED_MBX_KEY "Invalid API-key, IP, or permissions for action." (_DOC 20xx). The doc lists
            # it both for a missing permission and for a non-whitelisted IP (aster.md §4); the message cannot
            # tell which, so it is a permission problem whose fix names both.
            "-2015": ErrorRule(
                PermissionDeniedError,
                "Aster rejected the API wallet for this action: wrong wallet, IP not whitelisted, or missing "
                "permission.",
                "Check the API wallet's IP whitelist and permissions on Aster.",
            ),
            # -4056 INVALID_API_KEY_TYPE, -4057 INVALID_RSA_PUBLIC_KEY (_DOC 40xx)
            "-4056": ErrorRule(CredentialsRejectedError, "Aster says the key type is invalid.", "Use a V3 API wallet."),
            "-4057": ErrorRule(CredentialsRejectedError, "Aster says the key type is invalid.", "Use a V3 API wallet."),
            # -4087 REDUCE_ONLY_ORDER_PERMISSION "User can only place reduce only order" (_DOC 40xx)
            "-4087": ErrorRule(
                PermissionDeniedError,
                "Aster only lets this account place reduce-only orders.",
                "Check the account's trading status on Aster.",
            ),
            # -4088 NO_PLACE_ORDER_PERMISSION "User can not place order currently" (_DOC 40xx)
            "-4088": ErrorRule(
                PermissionDeniedError,
                "Aster does not let this API wallet place orders.",
                f"Enable perpetual/spot trading for the API wallet ({_HOWTO}).",
            ),
            # -4225 "Nonce Expired": nonce already used or older than the 100 most recent (_DOC "Noop" demo output)
            "-4225": _NONCE,
            # --- trading (exchanges/aster/trading.py); Binance futures codes as _DOC "Error Codes" lists them ---
            # -2019 MARGIN_NOT_SUFFICIEN "Margin is insufficient."
            "-2019": ErrorRule(
                InsufficientMarginError,
                "Not enough available margin on Aster for this order.",
                "Add USDT to the futures account, lower the size or raise the leverage.",
            ),
            # -2013 NO_SUCH_ORDER / -2011 CANCEL_REJECTED (unknown or finished order).
            **{
                code: ErrorRule(OrderRejectedError, "Aster has no such open order.", "Check the open orders.")
                for code in ("-2013", "-2011")
            },
            # -4164 MIN_NOTIONAL "Order's notional must be no smaller than 5.0 (unless you choose reduce only)".
            "-4164": ErrorRule(
                OrderRejectedError, "The order is worth less than Aster's minimum (5 USDT).", "Order at least 5 USDT."
            ),
            # -1111 BAD_PRECISION, -4003 QTY_LESS_THAN_ZERO, -4005 QTY_GREATER_THAN_MAX_QTY.
            **{
                code: ErrorRule(
                    OrderRejectedError,
                    "Aster refused the order's quantity or price (precision or range).",
                    "Use the symbol's tick and step sizes and its quantity limits.",
                )
                for code in ("-1111", "-4003", "-4005")
            },
            # -2022 REDUCE_ONLY_REJECT "ReduceOnly Order is rejected."
            "-2022": ErrorRule(
                OrderRejectedError,
                "Aster refused a reduce-only order: there is nothing to reduce on that side.",
                "Check the position before closing it.",
            ),
            # -4116 DUPLICATED_CLIENT_ORDER_ID "ClientOrderId is duplicated."
            "-4116": ErrorRule(
                OrderRejectedError,
                "Aster already has an order with this client order id.",
                "Look the order up by its client order id instead of sending it again.",
            ),
            # -4061 POSITION_SIDE_NOT_MATCH "Order's position side does not match user's setting."
            "-4061": ErrorRule(
                OrderRejectedError,
                "The order's position side does not match the account's position mode.",
                "Use BOTH in one-way mode and LONG/SHORT in hedge mode.",
            ),
            # -4028 INVALID_LEVERAGE
            "-4028": ErrorRule(OrderRejectedError, "Aster refused the leverage.", "Use 1 to the symbol's maximum."),
            # -4059 / -4046 / -4171: the setting already is as asked (the trader treats them as success).
            "-4059": ErrorRule(OrderRejectedError, "The position mode already is as asked.", "Nothing to do."),
            "-4046": ErrorRule(OrderRejectedError, "The margin type already is as asked.", "Nothing to do."),
            "-4171": ErrorRule(OrderRejectedError, "The asset mode already is as asked.", "Nothing to do."),
            # -4067 / -4068: open orders / position block a position-mode switch.
            "-4067": ErrorRule(
                UserFixableError,
                "Aster cannot switch the position mode while orders are open.",
                "Cancel the open orders, then switch the position mode.",
            ),
            "-4068": ErrorRule(
                UserFixableError,
                "Aster cannot switch the position mode while a position is open.",
                "Close the open positions, then switch the position mode.",
            ),
        }
    ),
    # Checked for -1000 and for codes not in `exact`. Order matters: specific phrases first.
    broad=MappingProxyType(
        {
            "agent expired": _EXPIRED,
            "agent has expired": _EXPIRED,
            "agent is expired": _EXPIRED,
            "expired agent": _EXPIRED,
            "agent revoked": _EXPIRED,
            "nonce": _NONCE,
            "agent not found": _NOT_APPROVED,
            "agent not exist": _NOT_APPROVED,
            "agent does not exist": _NOT_APPROVED,
            "not approved": _NOT_APPROVED,
            "unauthorized agent": _NOT_APPROVED,
            "invalid signer": _NOT_APPROVED,
            "signer not": _NOT_APPROVED,
            # The one observed V3 auth failure (aster.md §5, [3P], issue #126): unregistered signer, wrong key or
            # a string mismatch. The adapter turns it into BadSignatureError when the key does not derive to
            # the API wallet; otherwise the agent/main-wallet pairing is what is wrong.
            "signature check failed": _NOT_APPROVED,
            "signature invalid": _NOT_APPROVED,
            "cannot access this route": _IP,
            "whitelist": _IP,
            "too many requests": _RATE,
        }
    ),
    ambiguous=frozenset({"-1000"}),
)
