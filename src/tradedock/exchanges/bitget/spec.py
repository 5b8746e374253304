"""Bitget's static description (`SPEC`) and the local credential inspector it carries.

What belongs here: the three credential fields (api_key, secret, passphrase) with their meaning and shape,
capability flags, and `inspect_credentials`, which finds swapped or misplaced fields before any network
call, and `PASTE_SHAPES` (how other exchanges' inspectors recognise a Bitget key). What does not: HTTP or
signing.

Key format facts (reference §9) are NOT official: real keys look like ``bg_`` + 32 lower-case hex and
secrets like 64 hex, as seen in public code and third-party checks; the docs only show ``bg_xxxx…``. So the
field patterns are lenient (they must never reject a real key) and departures from the usual shape are
warnings. The passphrase rule "8–32 English letters and numbers" is documented for keys created through
the API only; the web form's rule is UNCONFIRMED, so it is a warning too.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from tradedock.domain import ContractType, Credentials, ExchangeId
from tradedock.exchanges.base import (
    Capabilities,
    CredentialField,
    CredentialFinding,
    ExchangeSpec,
    FindingSeverity,
    PasteShape,
)
from tradedock.exchanges.bitget import endpoints
from tradedock.exchanges.bitget.errors import ERROR_TABLE
from tradedock.exchanges.bitget.guide import GUIDE
from tradedock.exchanges.bitget.profile import PROFILE

USUAL_KEY = re.compile(r"bg_[0-9a-f]{32}")
USUAL_SECRET = re.compile(r"[0-9a-f]{64}")
USUAL_PASSPHRASE = re.compile(r"[A-Za-z0-9]{8,32}")
HEX = re.compile(r"[0-9a-fA-F]+")

API_KEY_SHAPE = "usually bg_ followed by 32 lower-case hex characters"
SECRET_SHAPE = "usually 64 hex characters"
PASSPHRASE_SHAPE = "usually 8–32 letters and numbers, chosen by you when the key was created"

CREDENTIAL_FIELDS = (
    CredentialField(
        name="api_key",
        label="API key",
        help="the API key shown in Bitget → API Key Management (it starts with bg_)",
        secret=False,
        pattern=r"[A-Za-z0-9_\-]{8,128}",
        shape=API_KEY_SHAPE,
    ),
    CredentialField(
        name="secret",
        label="Secret key",
        help="the secret key Bitget showed once when the key was created",
        secret=True,
        pattern=r"[A-Za-z0-9+/=_\-]{16,256}",
        shape=SECRET_SHAPE,
    ),
    CredentialField(
        name="passphrase",
        label="Passphrase",
        help="the API passphrase you set when creating this key — not your login password",
        secret=True,
        pattern=r"\S{1,128}",
        shape=PASSPHRASE_SHAPE,
    ),
)


def _finding(
    field: str, problem: str, message: str, fix: str, severity: FindingSeverity = FindingSeverity.FAIL
) -> CredentialFinding:
    return CredentialFinding(field=field, problem=problem, message=message, fix=fix, severity=severity)


def _misplacement(key: str, secret: str, passphrase: str) -> list[CredentialFinding]:
    """Fields pasted into the wrong box: these are certain enough to fail."""
    found: list[CredentialFinding] = []
    if USUAL_SECRET.fullmatch(key) and USUAL_KEY.fullmatch(secret):
        found.append(
            _finding(
                "api_key",
                "swapped",
                "The API key and the secret key look swapped: the key field holds 64 hex characters and the "
                "secret field holds a bg_… key.",
                "Paste the bg_… value into API key and the 64-character value into Secret key.",
            )
        )
    elif USUAL_KEY.fullmatch(secret):
        found.append(
            _finding(
                "secret",
                "key_in_secret",
                "The secret field holds an API key (bg_…), not the secret key.",
                "Paste the secret key Bitget showed when the key was created into Secret key.",
            )
        )
    if secret and secret == passphrase:
        found.append(
            _finding(
                "secret",
                "passphrase_in_secret",
                "The secret key and the passphrase are identical: the passphrase was probably pasted into the "
                "secret field.",
                "Paste the 64-character secret key into Secret key and your own API passphrase into Passphrase.",
            )
        )
    elif USUAL_SECRET.fullmatch(passphrase) and secret and not USUAL_SECRET.fullmatch(secret):
        found.append(
            _finding(
                "secret",
                "passphrase_in_secret",
                "The secret key and the passphrase look swapped: the passphrase field holds a 64-hex secret.",
                "Put the 64-character secret key into Secret key and the passphrase you chose into Passphrase.",
            )
        )
    elif USUAL_KEY.fullmatch(passphrase):
        found.append(
            _finding(
                "passphrase",
                "key_in_passphrase",
                "The passphrase field holds an API key (bg_…).",
                "Enter the API passphrase you chose when creating the key — not the key, not your login password.",
            )
        )
    return found


def _shapes(key: str, secret: str, passphrase: str, already: set[str]) -> list[CredentialFinding]:
    """Soft warnings where a field departs from the usual (unofficial) shape."""
    found: list[CredentialFinding] = []
    if "api_key" not in already and key and not USUAL_KEY.fullmatch(key):
        hint = (
            f" It has {len(key) - 3} characters after bg_; check nothing was cut off when copying."
            if key.startswith("bg_")
            else ""
        )
        found.append(
            _finding(
                "api_key",
                "bad_format",
                f"The API key does not have the usual Bitget shape ({API_KEY_SHAPE}).{hint}",
                "Copy the whole API key again from Bitget → API Key Management.",
                FindingSeverity.WARN,
            )
        )
    if "secret" not in already and secret and not USUAL_SECRET.fullmatch(secret):
        detail = "letters outside 0-9/a-f" if not HEX.fullmatch(secret) else f"{len(secret)} characters"
        found.append(
            _finding(
                "secret",
                "bad_format",
                f"The secret key does not have the usual shape ({SECRET_SHAPE}; this one has {detail}).",
                "Paste the full secret key Bitget showed when the key was created; if it is lost, create a new key.",
                FindingSeverity.WARN,
            )
        )
    if "passphrase" not in already and passphrase and not USUAL_PASSPHRASE.fullmatch(passphrase):
        found.append(
            _finding(
                "passphrase",
                "bad_format",
                f"The passphrase is not the usual shape ({PASSPHRASE_SHAPE}; this one has {len(passphrase)} "
                "characters). It may still be right.",
                "Enter the API passphrase you chose when creating this key — not your login password.",
                FindingSeverity.WARN,
            )
        )
    return found


def inspect_credentials(credentials: Credentials) -> tuple[CredentialFinding, ...]:
    """Local checks on already-trimmed Bitget credentials: misplaced fields and shapes. Missing fields are left
    to the field patterns; other exchanges' keys to the registry's paste detection (`PASTE_SHAPES`)."""
    key = credentials.get("api_key")
    secret = credentials.get("secret")
    passphrase = credentials.get("passphrase")
    found = _misplacement(key, secret, passphrase)
    flagged = {f.field for f in found}
    if any(f.problem == "swapped" for f in found):
        flagged |= {"secret"}
    if any(f.problem == "passphrase_in_secret" for f in found):
        flagged |= {"passphrase"}
    return tuple(found + _shapes(key, secret, passphrase, flagged))


#: What Bitget credentials usually look like, for recognising them when pasted under another exchange. The
#: passphrase is left out: it is the user's own text, so it would "recognise" other exchanges' keys.
PASTE_SHAPES = (
    PasteShape("api_key", USUAL_KEY.pattern, "a Bitget API key (bg_…)", distinctive=True),
    PasteShape("secret", USUAL_SECRET.pattern, "a Bitget secret key (64 hex characters)"),
)

CAPABILITIES = Capabilities(
    trading=True,  # classic (V2) USDT-M perpetuals: exchanges/bitget/trading.py
    key_info=True,
    ip_whitelist=True,
    key_expiry=False,
    account_mode=True,
    position_mode=True,
    margin_mode=True,
    spot=True,
    futures=True,
    notes=MappingProxyType({"key_expiry": "Bitget's account-info endpoints report no expiry date for API keys."}),
)


SPEC = ExchangeSpec(
    id=ExchangeId.BITGET,
    name="Bitget",
    credential_fields=CREDENTIAL_FIELDS,
    base_urls=endpoints.BASE_URLS,
    sandbox_paths=endpoints.SANDBOX_PATHS,
    capabilities=CAPABILITIES,
    inspect_credentials=inspect_credentials,
    profile=PROFILE,
    guide=GUIDE,
    error_table=ERROR_TABLE,
    public_id_field="api_key",
    paste_shapes=PASTE_SHAPES,
    contract_types=(ContractType.USDT_M, ContractType.USDC_M, ContractType.COIN_M),
    guide_url=endpoints.GUIDE_URL,
)
