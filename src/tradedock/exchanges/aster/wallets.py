"""Local checks of Aster V3 credentials: address and private-key shapes, EIP-55 checksums, key → address.

What belongs here: `inspect_credentials` (run before any network call) and the small address helpers it
and the adapter use. What does not: signing (``signing.py``) or anything that talks to Aster.

An Aster V3 connection is three values (DESIGN.md): ``api_wallet`` (the API wallet / agent address, the
``signer``), ``private_key`` (that API wallet's key) and ``main_wallet`` (the user's login wallet, ``user``).
The key must derive to ``api_wallet``; the usual mistakes are pasting the main wallet's key, a key of another
API wallet, a mistyped address, or the two addresses in swapped fields (aster.md §9.1).

coincurve, pycryptodome and eth-utils are imported inside the functions that need them, so importing the
spec — listing exchanges, rendering a guide, `tradedock --help` — never loads them.
"""

from __future__ import annotations

import re

from tradedock.domain import Credentials, mask
from tradedock.exchanges.base import CredentialFinding, FindingSeverity

ADDRESS_PATTERN = r"0x[0-9a-fA-F]{40}"
PRIVATE_KEY_PATTERN = r"(0x)?[0-9a-fA-F]{64}"
ADDRESS_SHAPE = "0x followed by 40 hex characters"
PRIVATE_KEY_SHAPE = "64 hex characters, with or without 0x"
API_WALLET_HOWTO = "More → API Management → Pro API → Authorize new API wallet"

_ADDRESS = re.compile(ADDRESS_PATTERN)
_PRIVATE_KEY = re.compile(PRIVATE_KEY_PATTERN)
#: At most this many differing hex digits between the entered and the derived address counts as a typo.
_TYPO_DISTANCE = 2


def is_address(value: str) -> bool:
    return _ADDRESS.fullmatch(value) is not None


def has_valid_checksum(address: str) -> bool:
    """EIP-55: an all-lower or all-upper address carries no checksum; a mixed-case one must match it."""
    digits = address[2:]
    if digits == digits.lower() or digits == digits.upper():
        return True
    from eth_utils.address import to_checksum_address

    return bool(to_checksum_address(address) == address)


def checksum(address: str) -> str:
    """The EIP-55 form of a well-formed address."""
    from eth_utils.address import to_checksum_address

    return str(to_checksum_address(address.lower()))


def same_address(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def derive_address(private_key: str) -> str | None:
    """The checksummed address of a private key, or None when it is not a usable secp256k1 key."""
    if _PRIVATE_KEY.fullmatch(private_key) is None:
        return None
    # Not eth-account (a second of start-up) nor eth-keys (a second public-key derivation inside): libsecp256k1's
    # public key, keccak of its 64 bytes, the last 20 bytes (Ethereum yellow paper, appendix F; issue 19).
    from coincurve import PublicKey
    from Crypto.Hash import keccak

    try:
        raw = bytes.fromhex(private_key.removeprefix("0x").removeprefix("0X"))
        public = PublicKey.from_secret(raw).format(compressed=False)[1:]
    except Exception:  # zero or ≥ curve order; never echo the key
        return None
    return checksum("0x" + keccak.new(digest_bits=256, data=public).digest()[-20:].hex())


def short(address: str) -> str:
    """``0x…abcd``: enough to recognise an address in a message."""
    return "0x" + mask(address)


def _distance(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a.lower(), b.lower(), strict=True))


def _format_findings(creds: Credentials) -> list[CredentialFinding]:
    out: list[CredentialFinding] = []
    for name, label in (("api_wallet", "API wallet address"), ("main_wallet", "main wallet address")):
        value = creds.get(name)
        if not value:
            out.append(CredentialFinding(name, "missing", f"The {label} is empty.", f"Paste the {label}."))
        elif _PRIVATE_KEY.fullmatch(value) and not is_address(value):
            out.append(
                CredentialFinding(
                    name,
                    "swapped",
                    f"The {label} field holds something shaped like a private key ({PRIVATE_KEY_SHAPE}).",
                    f"Put the private key in the private key field; the {label} is {ADDRESS_SHAPE}.",
                )
            )
        elif not is_address(value):
            out.append(
                CredentialFinding(
                    name,
                    "bad_format",
                    f"The {label} is not an address: expected {ADDRESS_SHAPE} (got {len(value)} characters).",
                    f"Copy the {label} again from Aster; it starts with 0x and has 42 characters in total.",
                )
            )
    key = creds.get("private_key")
    if not key:
        out.append(
            CredentialFinding(
                "private_key", "missing", "The private key is empty.", "Paste the API wallet's private key."
            )
        )
    elif is_address(key):
        out.append(
            CredentialFinding(
                "private_key",
                "swapped",
                "The private key field holds an address, not a private key.",
                f"Paste the API wallet's private key ({PRIVATE_KEY_SHAPE}), shown once when you created it.",
            )
        )
    elif _PRIVATE_KEY.fullmatch(key) is None:
        out.append(
            CredentialFinding(
                "private_key",
                "bad_format",
                f"The private key has the wrong shape: expected {PRIVATE_KEY_SHAPE}.",
                "Copy the API wallet's private key again, without spaces or quotes. If you no longer have it, "
                f"authorize a new API wallet ({API_WALLET_HOWTO}).",
            )
        )
    elif derive_address(key) is None:
        out.append(
            CredentialFinding(
                "private_key",
                "bad_format",
                "The private key is not a valid Ethereum private key (out of range).",
                "Copy the API wallet's private key again.",
            )
        )
    return out


def _checksum_finding(name: str, label: str, value: str) -> CredentialFinding | None:
    if has_valid_checksum(value):
        return None
    return CredentialFinding(
        name,
        "bad_checksum",
        f"The {label} fails its EIP-55 checksum (the mix of upper- and lower-case letters), so a character "
        "was probably mistyped.",
        f"Copy the {label} again instead of typing it.",
    )


def inspect_credentials(creds: Credentials) -> tuple[CredentialFinding, ...]:
    """Everything wrong with Aster credentials that can be seen without a network call."""
    creds, _changed = creds.trimmed()
    findings = _format_findings(creds)
    if findings:
        return tuple(findings)
    api_wallet, main_wallet, key = creds["api_wallet"], creds["main_wallet"], creds["private_key"]
    derived = derive_address(key)
    assert derived is not None  # _format_findings checked it

    if same_address(api_wallet, main_wallet):
        # Which of the two fields is wrong cannot be told locally; if the key is this address's key and it is
        # the login wallet, it is the main key — say so without claiming it.
        # The key signing for its own address as both signer and user is ccxt's model (a main wallet as its own
        # signer). Whether Aster accepts that is UNCONFIRMED (aster.md §8 item 10); TradeDock refuses it either
        # way, so the message never claims what Aster would answer.
        caution = (
            " That is a main wallet signing for itself: TradeDock signs only with an API wallet's key, whether or "
            "not Aster accepts a main wallet as its own signer. If that address is your login wallet, the private "
            "key you pasted is your MAIN wallet's key — never paste it anywhere."
            if same_address(derived, api_wallet)
            else ""
        )
        findings.append(
            CredentialFinding(
                "api_wallet",
                "same_address",
                "The API wallet address and the main wallet address are the same. The API wallet is a separate "
                "address that Aster creates for API trading." + caution,
                f"Enter the API wallet's address (Aster: {API_WALLET_HOWTO}) as API wallet and its private key, "
                "and your login wallet's address as main wallet.",
            )
        )
    elif same_address(derived, main_wallet):
        findings.append(
            CredentialFinding(
                "private_key",
                "main_wallet_key",
                "This is your MAIN wallet's private key — never paste it anywhere. (Or the two address fields "
                "are swapped.)",
                f"Create an API wallet ({API_WALLET_HOWTO}) and use its private key. If the address in "
                "'main wallet' is really your API wallet, swap the two addresses.",
            )
        )
    elif not same_address(derived, api_wallet):
        typo = _distance(derived, api_wallet) <= _TYPO_DISTANCE or not has_valid_checksum(api_wallet)
        if typo:
            findings.append(
                CredentialFinding(
                    "api_wallet",
                    "address_typo",
                    f"The private key belongs to {short(derived)}, and the API wallet address you entered "
                    f"differs from it in {_distance(derived, api_wallet)} character(s): probably a typo.",
                    f"Copy the API wallet address again; it should be {derived}.",
                )
            )
        else:
            findings.append(
                CredentialFinding(
                    "private_key",
                    "other_api_wallet",
                    f"This private key belongs to another API wallet ({short(derived)}), not to {short(api_wallet)}.",
                    "Paste the private key of the API wallet you entered, or enter the address of the API wallet "
                    "this key belongs to.",
                )
            )
    else:
        bad = _checksum_finding("api_wallet", "API wallet address", api_wallet)
        if bad is not None:  # same letters as the derived address, only the case was changed
            findings.append(
                CredentialFinding(
                    bad.field, bad.problem, bad.message, bad.fix + f" Expected {derived}.", FindingSeverity.WARN
                )
            )
    main_bad = _checksum_finding("main_wallet", "main wallet address", main_wallet)
    if main_bad is not None:
        findings.append(main_bad)
    return tuple(findings)
