"""Bitget request authentication, written from the Bitget docs alone (never from `tradedock.exchanges`).

What belongs here: the prehash rule, the HMAC-SHA256/base64 signature check, the 30-second timestamp window,
the passphrase check, the demo/live environment check (`paptrading` header) and the key's IP whitelist, in the
order the simulator applies them. What does not: account mode (classic vs unified), permissions and rate limits,
which depend on the endpoint (see `routes.py`), nor any HTTP framework type.

Source: https://www.bitget.com/api-doc/common/signature (via /work/shared/reference/exchanges/bitget.md §1):
``ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + ["?" + queryString] + body))``.
Timestamp rule ("within 30 seconds of the API server time", else 40008): Common docs, Standard Specification.
Demo rule (a demo key needs ``paptrading: 1``, a live key must not send it, else 40099): ccxt issues #25004,
#25502, #26125 (bitget.md §7/§9).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, unquote_plus

from tradedock_sim.bitget import errors
from tradedock_sim.bitget.errors import BitgetError

#: "must be within 30 seconds of the API server time" (Common docs, Timestamp). Applied in both directions:
#: UNCONFIRMED whether a timestamp from the future is judged the same way.
TIMESTAMP_WINDOW_MS = 30_000

#: Third-party tools check ``^bg_[0-9a-f]{32}$`` (bitget.md §9, UNCONFIRMED). A key header that does not even look
#: like a key gets 40006 "Invalid ACCESS_KEY"; a well-formed key the exchange does not know gets 40037
#: "Apikey does not exist", which is what a live probe with a fake key returned (bitget.md §7, ccxt PR #19778).
_KEY_SHAPE = re.compile(r"^bg_[0-9a-zA-Z]{16,64}$")


@dataclass(frozen=True)
class BitgetKey:
    """What the verifier needs to know about one API key (built by the plugin from the simulator state)."""

    api_key: str
    secret: str
    passphrase: str
    uid: str
    environment: str  # "live" or "demo"
    ips: tuple[str, ...] = ()
    expires_at_ms: int | None = None
    permissions: tuple[str, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class SignedRequest:
    """One HTTP request as it arrived: the raw query (no leading "?") and the exact body text."""

    method: str
    path: str
    raw_query: str
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


def prehash(timestamp: str, method: str, request_path: str, query: str, body: str) -> str:
    """The string Bitget signs: ``timestamp + METHOD + requestPath + ("?" + query if query) + body``."""
    text = timestamp + method.upper() + request_path
    if query:
        text += "?" + query
    return text + body


def sign(secret: str, message: str) -> str:
    """Base64 of HMAC-SHA256(key=secret, message)."""
    digest = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(secret: str, request: SignedRequest, timestamp: str, given: str) -> bool:
    """True when `given` signs this request.

    The query is tried as sent and percent-decoded: ccxt signs the raw values but puts URL-encoded values in
    the URL (comment in ccxt bitget.py sign()), and Bitget accepts it, so Bitget must compare the decoded form.
    For ASCII values the forms are identical. The decoded comparison is an inference: UNCONFIRMED.
    """
    candidates = {request.raw_query, unquote(request.raw_query), unquote_plus(request.raw_query)}
    for query in candidates:
        expected = sign(secret, prehash(timestamp, request.method, request.path, query, request.body))
        if hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace")):
            return True
    return False


def is_demo_request(request: SignedRequest) -> bool:
    """Bitget demo trading: the normal host plus the header ``paptrading: 1`` (bitget.md §9)."""
    return (request.header("paptrading") or "").strip() == "1"


def authenticate(
    request: SignedRequest,
    *,
    lookup: Callable[[str], BitgetKey | None],
    now_ms: int,
    client_ip: str,
) -> BitgetKey:
    """Check one private request; return its key or raise `BitgetError` with the code Bitget would send.

    Order: headers present → timestamp well-formed and fresh → key known and not expired → environment →
    passphrase → signature → IP whitelist. The order between these checks is not documented: UNCONFIRMED.
    """
    api_key = (request.header("ACCESS-KEY") or "").strip()
    signature = (request.header("ACCESS-SIGN") or "").strip()
    timestamp = (request.header("ACCESS-TIMESTAMP") or "").strip()
    passphrase = request.header("ACCESS-PASSPHRASE")
    if not api_key:
        raise BitgetError(errors.ACCESS_KEY_EMPTY)
    if not signature:
        raise BitgetError(errors.ACCESS_SIGN_EMPTY)
    if not passphrase:
        raise BitgetError(errors.PASSPHRASE_EMPTY)
    if not timestamp.isdigit():
        raise BitgetError(errors.INVALID_TIMESTAMP)
    if abs(now_ms - int(timestamp)) > TIMESTAMP_WINDOW_MS:
        raise BitgetError(errors.TIMESTAMP_EXPIRED)

    if not _KEY_SHAPE.match(api_key):
        raise BitgetError(errors.INVALID_ACCESS_KEY)
    key = lookup(api_key)
    # An expired key: the docs give no code of their own, so it is answered like a deleted key (UNCONFIRMED).
    if key is None or (key.expires_at_ms is not None and key.expires_at_ms <= now_ms):
        raise BitgetError(errors.APIKEY_NOT_EXIST)

    if (key.environment == "demo") != is_demo_request(request):
        raise BitgetError(errors.WRONG_ENVIRONMENT)
    if not hmac.compare_digest(passphrase.encode("utf-8"), key.passphrase.encode("utf-8")):
        raise BitgetError(errors.PASSPHRASE_INCORRECT)
    if not signature_matches(key.secret, request, timestamp, signature):
        raise BitgetError(errors.SIGN_ERROR)
    if key.ips and client_ip not in key.ips:
        raise BitgetError(errors.INVALID_IP)
    return key
