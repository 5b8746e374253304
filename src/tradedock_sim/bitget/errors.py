"""Bitget error answers and the response envelope, as the simulator sends them.

What belongs here: the `{code, msg, requestTime, data}` envelope, the catalogue of the Bitget error codes the
simulator can answer with (code, official message, HTTP status) and the `BitgetError` exception handlers raise.
What does not: deciding *when* an error applies (that is `auth.py` and the handlers).

Sources (all from /work/shared/reference/exchanges/bitget.md §7):
- envelope: every Bitget REST answer is ``{"code": "<string>", "msg": ..., "requestTime": <ms>, "data": ...}``,
  success is ``code "00000"`` / ``msg "success"``, errors carry ``data: null``
  (https://www.bitget.com/api-doc/common/intro, ccxt PR #19778).
- codes and messages: official Classic REST error table,
  https://www.bitget.com/legacy-docs/classic/contract/error-code/restapi; 40084/40085/40099 from ccxt issues
  #26838, #25004 and passivbot PR #601 (not in the official table).
- HTTP status: auth and business errors are seen live as HTTP 400 with the JSON body (sieblyio/bitget-api #33,
  BitgetLimited/v3-bitget-api-sdk #7, gocryptotrader tests); rate limits are HTTP 429; unknown paths 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SUCCESS_CODE = "00000"


@dataclass(frozen=True)
class ErrorSpec:
    """One Bitget error code as the exchange answers it."""

    code: str
    msg: str
    http_status: int = 400


# https://www.bitget.com/legacy-docs/classic/contract/error-code/restapi (official messages, verbatim)
ACCESS_KEY_EMPTY = ErrorSpec("40001", "ACCESS_KEY cannot be empty")
ACCESS_SIGN_EMPTY = ErrorSpec("40002", "ACCESS_SIGN cannot be empty")
INVALID_TIMESTAMP = ErrorSpec("40005", "Invalid ACCESS_TIMESTAMP")
INVALID_ACCESS_KEY = ErrorSpec("40006", "Invalid ACCESS_KEY")
TIMESTAMP_EXPIRED = ErrorSpec("40008", "Request timestamp expired")
SIGN_ERROR = ErrorSpec("40009", "sign signature error")
PASSPHRASE_EMPTY = ErrorSpec("40011", "ACCESS_PASSPHRASE cannot be empty")
PASSPHRASE_INCORRECT = ErrorSpec("40012", "apikey/password is incorrect")
PARAMETER_ERROR = ErrorSpec("40017", "Parameter verification failed")
INVALID_IP = ErrorSpec("40018", "Invalid IP")
PARAMETER_EMPTY = ErrorSpec("40019", "Parameter {0} cannot be empty")
APIKEY_NOT_EXIST = ErrorSpec("40037", "Apikey does not exist")
SERVER_UPGRADE = ErrorSpec("40200", "Server upgrade, please try again later", 503)
NOT_FOUND = ErrorSpec("40404", "Request URL NOT FOUND", 404)
TOO_MANY_REQUESTS = ErrorSpec("429", "Too Many Requests", 429)
POSITION_MODE_LOCKED = ErrorSpec("40920", "Position or order exists, the position mode cannot be switched")
MARGIN_MODE_LOCKED = ErrorSpec("45117", "Currently holding positions or orders, the margin mode cannot be adjusted")
SYSTEM_ERROR = ErrorSpec("40015", "System is abnormal, please try again later", 500)

# Not in the official table; message text from ccxt issues #26838 / #25004 and passivbot PR #601.
CLASSIC_KEY_ON_UTA_API = ErrorSpec(
    "40084", "You are in Classic Account mode, and the Unified Account API is not supported at this time"
)
UTA_KEY_ON_CLASSIC_API = ErrorSpec(
    "40085", "You are in Unified Account mode, and the Classic Account API is not supported at this time"
)
WRONG_ENVIRONMENT = ErrorSpec("40099", "exchange environment is incorrect")


def incorrect_permissions(needed: str) -> ErrorSpec:
    """40014 with its official template "Incorrect permissions, need {0} permissions" filled in."""
    return ErrorSpec("40014", f"Incorrect permissions, need {needed} permissions")


def parameter_empty(name: str) -> ErrorSpec:
    return ErrorSpec(PARAMETER_EMPTY.code, PARAMETER_EMPTY.msg.replace("{0}", name))


def parameter_error(detail: str) -> ErrorSpec:
    return ErrorSpec(PARAMETER_ERROR.code, detail)


class BitgetError(Exception):
    """Raised by the verifier and handlers; the plugin turns it into an error envelope."""

    def __init__(self, spec: ErrorSpec) -> None:
        super().__init__(f"{spec.code} {spec.msg}")
        self.spec = spec

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def http_status(self) -> int:
        return self.spec.http_status


def success_envelope(data: Any, now_ms: int) -> dict[str, Any]:
    """The success answer; `requestTime` is a number on success in every doc example."""
    return {"code": SUCCESS_CODE, "msg": "success", "requestTime": now_ms, "data": data}


def error_envelope(spec: ErrorSpec, now_ms: int) -> dict[str, Any]:
    """The error answer: `data` is null (ccxt PR #19778 example)."""
    return {"code": spec.code, "msg": spec.msg, "requestTime": now_ms, "data": None}
