"""Aster V3 request signing (API wallet / EIP-712) and the microsecond nonce source. Pure apart from the nonce memory.

What belongs here: turning ordered request params + ``user``/``signer``/``nonce`` into the exact string that
is signed and sent, the EIP-712 typed data around it, the signature encoding, and `NonceSource`. What does
not: HTTP (``adapter.py``), address checks (``wallets.py``), or the legacy ABI / V1 HMAC schemes (not used).

Scheme (aster.md §1.2–§1.7, https://github.com/asterdex/api-docs/blob/master/V3(Recommended)/EN/aster-finance-futures-api-v3.md
"EIP712 signature"): ``msg`` is the query string exactly as sent, minus ``signature``; the API wallet's key
signs the typed data ``Message{string msg}`` in domain ``AsterSignTransaction``/``1``/chainId/zero address;
``&signature=<sig>`` is appended last. Tested only against ``tests/vectors/aster.json``.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from coincurve import PrivateKey
from Crypto.Hash import keccak as _keccak

from tradedock.clock import Clock
from tradedock.errors import InvalidInputError

DOMAIN_NAME = "AsterSignTransaction"
DOMAIN_VERSION = "1"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

#: UNCONFIRMED (aster.md §1.5/§8.3) whether Aster needs, accepts or rejects the ``0x`` prefix. The official JS
#: demos (ethers) and ccxt send ``0x`` + hex and work; the Rust crate sends bare hex. We send ``0x`` + lowercase.
SIGNATURE_PREFIX = "0x"

_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Message": [{"name": "msg", "type": "string"}],
}

Params = Mapping[str, object] | Iterable[tuple[str, object]]


def keccak(data: bytes) -> bytes:
    """Keccak-256 (Ethereum's, not SHA3-256) through pycryptodome directly: eth-utils' wrapper over the same
    code costs twice as much per hash (issue 19)."""
    return _keccak.new(digest_bits=256, data=data).digest()


def encode_value(value: object) -> str:
    """One param value as Aster expects it: lowercase booleans, JSON for lists/dicts, ``str`` otherwise."""
    if isinstance(value, bool):  # str(True) == "True", which Aster rejects (aster.md §1.3)
        return "true" if value else "false"
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def auth_params(params: Params, *, user: str | None, signer: str, nonce: int) -> list[tuple[str, str]]:
    """The params in the order they are signed and sent: business params as given, then nonce, user, signer.

    That order reproduces both official shapes (business params + ``nonce`` + ``signer``, aster.md §1.9 B1)
    and ccxt's ``nonce, user, signer`` (B3). Aster's rule is only "sign exactly what you send".
    """
    items = params.items() if isinstance(params, Mapping) else params
    ordered = [(str(k), encode_value(v)) for k, v in items]
    ordered.append(("nonce", str(nonce)))
    if user is not None:  # aster.md §1.2: whether `user` is required is UNCONFIRMED; every client sends it
        ordered.append(("user", user))
    ordered.append(("signer", signer))
    return ordered


def build_message(pairs: Sequence[tuple[str, str]]) -> str:
    """``k=v&k=v`` in the given order, values form-encoded like the official Python example's ``urlencode``.

    Connection checks only send ``[0-9A-Za-z]``, digits and ``0x`` addresses, where raw and encoded agree
    (aster.md §1.3: which form Aster checks for escaped values is UNCONFIRMED).
    """
    return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs)


def typed_data(msg: str, chain_id: int) -> dict[str, Any]:
    """The EIP-712 typed data Aster V3 signs (aster.md §1.4)."""
    return {
        "types": _TYPES,
        "primaryType": "Message",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": ZERO_ADDRESS,
        },
        "message": {"msg": msg},
    }


#: keccak("Message(string msg)"): the EIP-712 type hash of Aster's one struct.
_MESSAGE_TYPE_HASH = keccak(b"Message(string msg)")


#: keccak of the EIP-712 domain type (https://eips.ethereum.org/EIPS/eip-712, "Definition of domainSeparator").
_DOMAIN_TYPE_HASH = keccak(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")


@functools.lru_cache(maxsize=8)
def _domain_separator(chain_id: int) -> bytes:
    """``hashStruct(domain)`` for ``chain_id``: the type hash, then each field encoded as 32 bytes (strings as their
    keccak, the chain id big-endian, the address left-padded), computed once per chain. Checked against the
    documented digests in tests/vectors/aster.json."""
    return keccak(
        _DOMAIN_TYPE_HASH
        + keccak(DOMAIN_NAME.encode())
        + keccak(DOMAIN_VERSION.encode())
        + chain_id.to_bytes(32, "big")
        + bytes(12)
        + bytes.fromhex(ZERO_ADDRESS.removeprefix("0x"))
    )


def digest(msg: str, chain_id: int) -> bytes:
    """The 32-byte EIP-712 digest of ``msg`` (what the ECDSA signature covers):
    ``keccak(0x19 0x01 ‖ domainSeparator ‖ keccak(typeHash ‖ keccak(msg)))``. Only ``msg`` changes per request,
    so the domain part is computed once per chain instead of re-encoding the whole typed data every time."""
    struct_hash = keccak(_MESSAGE_TYPE_HASH + keccak(msg.encode("utf-8")))
    return keccak(b"\x19\x01" + _domain_separator(chain_id) + struct_hash)


class KeySigner:
    """An API wallet's private key, parsed once (per adapter: deriving the key object costs more than a
    signature), signing Aster messages. Holds the key only as long as its owner does; never cached globally.

    A coincurve (libsecp256k1) key used directly: eth-keys' coincurve backend, which eth-account uses, makes the
    same RFC 6979 signature but re-parses the key (a public-key derivation) on every signature (issue 19)."""

    __slots__ = ("_key",)

    def __init__(self, private_key: str) -> None:
        try:
            raw = bytes.fromhex(private_key.removeprefix("0x").removeprefix("0X"))
            if len(raw) != 32 or not any(raw):
                raise ValueError
            self._key = PrivateKey(raw)
        except Exception:  # never echo the key: a library message may contain it
            raise InvalidInputError(
                "private_key",
                "The private key is not a valid secp256k1 key",
                fix="Paste the API wallet's private key: 64 hex characters, with or without 0x.",
            ) from None

    def sign(self, msg: str, chain_id: int) -> str:
        """The signature as sent: ``0x`` + 130 lowercase hex chars, ``r‖s‖v`` with v = 27/28 (aster.md §1.5);
        deterministic (RFC 6979), as eth-account's."""
        signature = self._key.sign_recoverable(digest(msg, chain_id), hasher=None)  # r‖s‖recovery id (0/1)
        return SIGNATURE_PREFIX + signature[:64].hex() + f"{signature[64] + 27:02x}"

    def __repr__(self) -> str:
        return "KeySigner(<hidden>)"


def sign_message(msg: str, private_key: str, chain_id: int) -> str:
    """The signature as sent: ``0x`` + 130 lowercase hex chars, ``r‖s‖v`` with v = 27/28 (aster.md §1.5)."""
    return KeySigner(private_key).sign(msg, chain_id)


@dataclass(frozen=True, repr=False)
class SignedRequest:
    """One signed V3 request: the signed ``msg``, the signature and the query to send."""

    msg: str
    signature: str
    chain_id: int

    @property
    def query(self) -> str:
        """What goes on the wire (query string or form body): ``msg`` then ``&signature=…`` last."""
        return f"{self.msg}&signature={self.signature}" if self.msg else f"signature={self.signature}"

    @property
    def typed_data(self) -> dict[str, Any]:
        """The EIP-712 typed data that was signed."""
        return typed_data(self.msg, self.chain_id)

    def __repr__(self) -> str:  # the signature is not a secret, but keep reprs short and boring
        return f"SignedRequest(msg={self.msg!r})"


def sign_request(
    params: Params,
    *,
    user: str | None,
    signer: str,
    nonce: int,
    private_key: str | KeySigner,
    chain_id: int,
) -> SignedRequest:
    """Sign one V3 request. ``params`` are the business params in the order they will be sent; pass a
    `KeySigner` when signing several requests with one key."""
    msg = build_message(auth_params(params, user=user, signer=signer, nonce=nonce))
    key = private_key if isinstance(private_key, KeySigner) else KeySigner(private_key)
    return SignedRequest(msg=msg, signature=key.sign(msg, chain_id), chain_id=chain_id)


class NonceMemory:
    """The last nonce handed out per signer; shared by every `NonceSource` built on it (thread-safe)."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}
        self._lock = threading.Lock()

    def claim(self, scopes: Sequence[str], candidate: int) -> int:
        """A nonce ≥ ``candidate`` and above the last one of every scope (addresses, case-insensitive)."""
        keys = [scope.lower() for scope in scopes]
        with self._lock:
            nonce = max(candidate, *(self._last.get(key, 0) + 1 for key in keys))
            for key in keys:
                self._last[key] = nonce
            return nonce


#: One memory per process, so two adapters for the same API wallet never reuse a nonce (aster.md §1.7: a
#: used nonce is rejected; the server tracks recent nonces per signer).
PROCESS_NONCES = NonceMemory()


class NonceSource:
    """Microsecond nonces from ``clock`` + the measured exchange offset, strictly increasing per signer.

    Real microseconds with a monotonic bump (like the Rust SDK's ``new_nonce``), not the doc's
    ``seconds * 1e6 + counter``, so two calls in the same µs or after the clock steps back still differ.
    """

    def __init__(self, clock: Clock, *, memory: NonceMemory | None = None) -> None:
        self._clock = clock
        self._memory = memory if memory is not None else PROCESS_NONCES

    def next(self, signer: str, offset_ms: int = 0, *, user: str | None = None) -> int:
        """The next nonce for ``signer``; ``offset_ms`` is how far the exchange's clock is ahead of ours.

        With ``user`` the nonce is also unique per main wallet: the 2026-06-30 doc keeps "the most recent 100
        nonces" per *user*, PR #157 per *signer* (aster.md §1.7, UNCONFIRMED), so it is kept unique for both.
        """
        scopes = (signer,) if user is None else (signer, user)
        return self._memory.claim(scopes, self._clock.now_us() + offset_ms * 1000)
