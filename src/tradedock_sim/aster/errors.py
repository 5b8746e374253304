"""Aster's error answers: `AsterError` and one constructor per code the simulator returns.

Belongs here: codes, messages and HTTP statuses, with the doc they come from. Does not belong here: deciding
*when* an error applies (that is `auth.py` and `endpoints.py`).

Aster answers errors as `{"code": <negative int>, "msg": "..."}`; "codes are universal, but messages can
vary" (https://github.com/asterdex/api-docs, `V3(Recommended)/EN/aster-finance-futures-api-v3.md`,
"Error Codes"). HTTP statuses per the same doc: 4XX client fault, 429 rate limit, 418 IP ban, 5XX Aster's fault.
Signature failures are observed as HTTP 400 (shared/reference/exchanges/aster.md §5).

Codes the docs leave UNCONFIRMED for V3 (aster.md §8 item 5) and what this simulator chose:
    unknown signer / signer not approved for `user` / expired or revoked agent / bad signature
                                    -1000 "Signature check failed" (the only V3 auth failure seen in sources)
    duplicate, too-old or out-of-window nonce
                                    -4225 "Nonce Expired" (the V3 doc's Noop demo output)
    client IP not in the agent's whitelist
                                    -1011 NON_WHITE_LIST "This IP cannot access this route."
    agent lacks canRead on a USER_DATA endpoint
                                    -2015 REJECTED_MBX_KEY "Invalid API-key, IP, or permissions for action."
    agent lacks canPerpTrade / canSpotTrade on a TRADE endpoint
                                    -4088 NO_PLACE_ORDER_PERMISSION "User can not place order currently"
"""

from __future__ import annotations

from typing import Any

FUTURES_DOC = "https://github.com/asterdex/api-docs/blob/master/V3(Recommended)/EN/aster-finance-futures-api-v3.md"
SPOT_DOC = "https://github.com/asterdex/api-docs/blob/master/V3(Recommended)/EN/aster-finance-spot-api-v3.md"


class AsterError(Exception):
    """An error answer: HTTP `status` with body `{"code": code, "msg": msg}`."""

    def __init__(self, code: int, msg: str, status: int = 400, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


# -1000 UNKNOWN; in V3 observed as "Signature check failed" with HTTP 400 (aster.md §5, [3P], issue 126:
# https://github.com/asterdex/api-docs/issues/126).
def signature_check_failed() -> AsterError:
    return AsterError(-1000, "Signature check failed")


# -1003 TOO_MANY_REQUESTS, HTTP 429 then 418 once banned (FUTURES_DOC "Limits"; aster.md §5-6).
def too_many_requests(limit: int, retry_after_s: int) -> AsterError:
    return AsterError(
        -1003,
        f"Too many requests; current limit is {limit} request weight per 1 MINUTE. "
        "Please use the websocket for live updates to avoid polling the API.",
        status=429,
        headers=(("Retry-After", str(retry_after_s)),),
    )


def ip_banned(until_ms: int, retry_after_s: int) -> AsterError:
    return AsterError(
        -1003,
        f"Way too many requests; IP banned until {until_ms}. Please use the websocket for live updates to avoid bans.",
        status=418,
        headers=(("Retry-After", str(retry_after_s)),),
    )


# -1011 NON_WHITE_LIST (FUTURES_DOC "Error Codes").
def ip_not_whitelisted() -> AsterError:
    return AsterError(-1011, "This IP cannot access this route.")


# -1102 MANDATORY_PARAM_EMPTY_OR_MALFORMED (FUTURES_DOC "Error Codes").
def mandatory_param(name: str) -> AsterError:
    return AsterError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


# -1121 BAD_SYMBOL (FUTURES_DOC "Error Codes").
def invalid_symbol() -> AsterError:
    return AsterError(-1121, "Invalid symbol.")


# -1120 BAD_INTERVAL (FUTURES_DOC "Error Codes").
def invalid_interval() -> AsterError:
    return AsterError(-1120, "Invalid interval.")


# -1130 INVALID_PARAMETER (FUTURES_DOC "Error Codes").
def invalid_parameter(name: str) -> AsterError:
    return AsterError(-1130, f"Data sent for parameter '{name}' is not valid.")


# -2015 REJECTED_MBX_KEY (FUTURES_DOC "Error Codes"); V3 use UNCONFIRMED, chosen for a missing canRead.
def rejected_permissions() -> AsterError:
    return AsterError(-2015, "Invalid API-key, IP, or permissions for action.")


# -4088 NO_PLACE_ORDER_PERMISSION (FUTURES_DOC "Error Codes"); chosen for missing canPerpTrade/canSpotTrade.
def no_trade_permission() -> AsterError:
    return AsterError(-4088, "User can not place order currently")


# -4225 "Nonce Expired": FUTURES_DOC "Noop" demo output; chosen for every nonce refusal.
def nonce_expired() -> AsterError:
    return AsterError(-4225, "Nonce Expired")


# Position mode refusals, POST /fapi/v3/positionSide/dual (FUTURES_DOC "Change Position Mode(TRADE)").
def position_side_no_change() -> AsterError:
    return AsterError(-4059, "No need to change position side.")


def position_side_open_orders() -> AsterError:
    return AsterError(-4067, "Position side cannot be changed if there exists open orders.")


def position_side_position_exists() -> AsterError:
    return AsterError(-4068, "Position side cannot be changed if there exists position.")


# Margin type refusals, POST /fapi/v3/marginType (FUTURES_DOC "Change Margin Type(TRADE)"; -4168 via ccxt).
def margin_type_no_change() -> AsterError:
    return AsterError(-4046, "No need to change margin type.")


def margin_type_open_orders() -> AsterError:
    return AsterError(-4047, "Margin type cannot be changed if there exists open orders.")


def margin_type_position_exists() -> AsterError:
    return AsterError(-4048, "Margin type cannot be changed if there exists position.")


def isolated_under_multi_assets() -> AsterError:
    return AsterError(-4168, "Unable to adjust to isolated-margin mode under the Multi-Assets mode.")


# POST /fapi/v3/multiAssetsMargin with the mode already set: -4171 (Binance-clone code; UNCONFIRMED for Aster).
def multi_assets_no_change() -> AsterError:
    return AsterError(-4171, "Adjusted asset mode is currently set and does not need to be adjusted.")


# Unknown path: Binance-style -5000 answer with HTTP 404 (UNCONFIRMED wording for Aster).
def unknown_path(method: str, path: str) -> AsterError:
    return AsterError(-5000, f"Path {path}, Method {method} is invalid", status=404)
