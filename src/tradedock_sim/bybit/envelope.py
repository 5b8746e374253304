"""Bybit V5 response envelope and the retCodes the simulator answers with.

Envelope (https://bybit-exchange.github.io/docs/v5/guide, "Common response parameters"):
`{"retCode", "retMsg", "result", "retExtInfo", "time"}`. Error codes: https://bybit-exchange.github.io/docs/v5/error.
retCode errors travel with HTTP 200 (SDK issue threads read them as JSON bodies; the exact status per code is
UNCONFIRMED in the reference), except where the docs name an HTTP status.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from tradedock_sim.core import sim_state

# https://bybit-exchange.github.io/docs/v5/error (UTA table); texts as seen in real answers where known.
PARAMS_ERROR = 10001
TIMESTAMP_OUT_OF_WINDOW = 10002
INVALID_API_KEY = 10003
SIGN_ERROR = 10004
PERMISSION_DENIED = 10005
TOO_MANY_VISITS = 10006
UNMATCHED_IP = 10010
ROUTE_NOT_FOUND = 10017
UTA_ONLY = 10028
NON_UTA_ONLY = 100028
KEY_EXPIRED = 33004
POSITION_EXISTS = 110024
POSITION_MODE_NOT_MODIFIED = 110025
MARGIN_MODE_NOT_MODIFIED = 110026
OPEN_ORDERS_EXIST = 110028
HEDGE_NOT_SUPPORTED = 110029
LEVERAGE_NOT_MODIFIED = 110043
PORTFOLIO_MARGIN_LEVERAGE = 110038

MESSAGES = {
    INVALID_API_KEY: "API key is invalid.",
    PERMISSION_DENIED: "Permission denied, please check your API key permissions.",
    TOO_MANY_VISITS: "Too many visits!",
    UNMATCHED_IP: "Unmatched IP, please check your API key's bound IP addresses.",
    UTA_ONLY: "The API can only be accessed by unified account users.",
    NON_UTA_ONLY: "The API cannot be accessed by unified account users.",
    KEY_EXPIRED: "Your api key has expired.",
    POSITION_EXISTS: "Position is not empty, cannot switch position mode",
    POSITION_MODE_NOT_MODIFIED: "Position mode is not modified",
    MARGIN_MODE_NOT_MODIFIED: "Cross/isolated margin mode is not modified",
    OPEN_ORDERS_EXIST: "Open orders exist, cannot switch position mode",
    HEDGE_NOT_SUPPORTED: "This symbol does not support hedge mode",
    LEVERAGE_NOT_MODIFIED: "leverage not modified",
    PORTFOLIO_MARGIN_LEVERAGE: "You are not allowed to change leverage due to portfolio margin mode.",
}


def body(request: Request, ret_code: int, ret_msg: str, result: Any) -> dict[str, Any]:
    return {
        "retCode": ret_code,
        "retMsg": ret_msg,
        "result": result,
        "retExtInfo": {},
        "time": sim_state(request).now_ms(),
    }


def ok(request: Request, result: Any, *, headers: dict[str, str] | None = None, ret_msg: str = "OK") -> JSONResponse:
    return JSONResponse(body(request, 0, ret_msg, result), headers=headers)


def error(
    request: Request,
    ret_code: int,
    ret_msg: str | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    result: Any = None,
) -> JSONResponse:
    message = ret_msg if ret_msg is not None else MESSAGES.get(ret_code, "error")
    return JSONResponse(
        body(request, ret_code, message, {} if result is None else result), status_code=status_code, headers=headers
    )


def limit_headers(limit: int, remaining: int, reset_at_ms: int) -> dict[str, str]:
    """Sent on every private answer (https://bybit-exchange.github.io/docs/v5/rate-limit)."""
    return {
        "X-Bapi-Limit": str(limit),
        "X-Bapi-Limit-Status": str(remaining),
        "X-Bapi-Limit-Reset-Timestamp": str(reset_at_ms),
    }


def rate_limited(request: Request, *, limit: int, reset_at_ms: int | None = None) -> JSONResponse:
    """retCode 10006 "Too many visits!" with the limit headers (per-UID per-endpoint budget exceeded)."""
    reset = reset_at_ms if reset_at_ms is not None else sim_state(request).now_ms() + 1000
    return error(request, TOO_MANY_VISITS, headers=limit_headers(limit, 0, reset))
