"""Aster V3 request authentication, written from Aster's docs alone (never from `tradedock.exchanges`).

Belongs here: extracting the signed string from what the client sent, recovering the EIP-712 signer, the nonce
window and replay book, the agent (API wallet) binding, expiry, IP whitelist and permission rules. Does not
belong here: HTTP plumbing (`plugin.py`), endpoint payloads (`endpoints.py`), error wording (`errors.py`).

The scheme (https://github.com/asterdex/api-docs, `V3(Recommended)/EN/aster-finance-futures-api-v3.md`,
"Signature" / "V3 Nonce Mechanism"; shared/reference/exchanges/aster.md §1):
* params `user` (main wallet), `signer` (API wallet), `nonce` (microseconds), `signature`;
* the signed string is *exactly* the query string or form body that was sent, minus `&signature=...`;
* EIP-712 domain `AsterSignTransaction` / `1` / chainId 1666 (mainnet) or 714 (testnet) / zero address,
  primary type `Message(string msg)`; the recovered address must equal `signer`;
* `signer` must be an approved, unexpired agent of `user`;
* nonce within ±10 s of server time, unique among the user's 100 most recent nonces, and not below the
  smallest of them once 100 are held.

Lenient where the docs disagree (aster.md §8), so every client that follows *some* official source works:
`user` may be omitted (the agent's own main wallet is used, as the current doc examples do); the signature may
carry `0x` or not, in any hex case, with v as 27/28 or 0/1; a signature over the percent-decoded string is
accepted too (the official JS demo signs the raw string but sends it encoded, aster.md §1.3).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote_plus

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address

from tradedock_sim.aster import errors

CHAIN_IDS: Mapping[str, int] = {"live": 1666, "testnet": 714}
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
NONCE_WINDOW_US = 10_000_000  # ±10 s since 2026-04-09 (aster.md §1.7; PR 157 says 60 s, not yet in the docs)
NONCE_MEMORY = 100  # "each user maintains only the most recent 100 nonces" (aster.md §1.7)

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_HEX_SIGNATURE = re.compile(r"^(0x)?[0-9a-fA-F]{130}$")

PERMISSIONS = ("canRead", "canSpotTrade", "canPerpTrade", "canWithdraw")


def typed_data(msg: str, chain_id: int) -> dict[str, object]:
    """The EIP-712 document Aster V3 signs: `Message{msg}` under the `AsterSignTransaction` domain."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Message": [{"name": "msg", "type": "string"}],
        },
        "primaryType": "Message",
        "domain": {
            "name": "AsterSignTransaction",
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": ZERO_ADDRESS,
        },
        "message": {"msg": msg},
    }


def recover_signer(msg: str, signature: str, chain_id: int) -> str | None:
    """The checksummed address that produced `signature` over `msg`, or None if the signature is malformed."""
    text = signature.strip()
    if not _HEX_SIGNATURE.match(text):
        return None
    raw = bytearray(bytes.fromhex(text.removeprefix("0x").removeprefix("0X")))
    if raw[64] in (0, 1):  # some signers emit the bare recovery id
        raw[64] += 27
    if raw[64] not in (27, 28):
        return None
    try:
        signable = encode_typed_data(full_message=typed_data(msg, chain_id))
        return str(Account.recover_message(signable, signature=bytes(raw)))
    except Exception:  # invalid curve point, s out of range: just "not a valid signature"
        return None


def is_address(value: str) -> bool:
    return bool(_ADDRESS.match(value))


def same_address(a: str, b: str) -> bool:
    return a.lower() == b.lower()


@dataclass(frozen=True)
class SignedRequest:
    """What a request carried: its params, its signature and the candidate strings it may have signed."""

    params: dict[str, str]
    signature: str | None
    signed_strings: tuple[str, ...]


def _strip_signature(raw: str) -> tuple[str, str | None]:
    """`raw` without its `signature=` pair (kept byte-for-byte otherwise), and the signature value."""
    kept: list[str] = []
    signature: str | None = None
    for pair in raw.split("&") if raw else []:
        if pair.startswith("signature="):
            signature = pair.removeprefix("signature=")
        else:
            kept.append(pair)
    return "&".join(kept), signature


def read_signed_request(query: str, body: str) -> SignedRequest:
    """Params from query and form body; the signed string is the part that carries `signature`.

    Aster V3 accepts everything in the query string or in an `application/x-www-form-urlencoded` body
    (aster.md §1.6). When the signature sits in the body, the body is what was signed, and vice versa.
    """
    params = dict(parse_qsl(query, keep_blank_values=True))
    params.update(parse_qsl(body, keep_blank_values=True))
    source = body if "signature=" in body else query
    unsigned, signature = _strip_signature(source)
    params.pop("signature", None)
    candidates = [unsigned]
    decoded = unquote_plus(unsigned)
    if decoded != unsigned:
        candidates.append(decoded)
    return SignedRequest(params=params, signature=signature, signed_strings=tuple(candidates))


@dataclass(frozen=True)
class Agent:
    """An approved API wallet as the exchange knows it (a view over the simulator's key record)."""

    address: str
    user: str
    environment: str
    expires_at: int | None
    ips: tuple[str, ...]
    permissions: Mapping[str, bool]


@dataclass
class NonceBook:
    """The most recent `NONCE_MEMORY` nonces of each (environment, user), for replay protection."""

    _seen: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def admit(self, environment: str, user: str, nonce: int) -> None:
        """Record `nonce` or raise -4225: a duplicate, or below the minimum once the book is full."""
        book = self._seen.setdefault((environment, user.lower()), [])
        if nonce in book:
            raise errors.nonce_expired()
        if len(book) >= NONCE_MEMORY:
            smallest = min(book)
            if nonce < smallest:
                raise errors.nonce_expired()
            book.remove(smallest)
        book.append(nonce)


def parse_whitelist(entries: tuple[str, ...] | list[str]) -> list[str]:
    """Flatten whitelist entries: each may itself be space- or comma-separated (the docs use both)."""
    return [part for entry in entries for part in re.split(r"[\s,]+", entry.strip()) if part]


def ip_allowed(entries: tuple[str, ...] | list[str], client_ip: str) -> bool:
    """True if there is no whitelist, or `client_ip` matches an address or CIDR block in it."""
    networks = parse_whitelist(entries)
    if not networks or "*" in networks:
        return True
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    for entry in networks:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _nonce(params: Mapping[str, str]) -> int:
    raw = params.get("nonce", "")
    if not raw.isdigit():
        raise errors.mandatory_param("nonce")
    return int(raw)


def authenticate(
    signed: SignedRequest,
    *,
    environment: str,
    now_ms: int,
    client_ip: str,
    find_agent: Callable[[str], Agent | None],
    nonces: NonceBook,
) -> Agent:
    """Check a V3-signed request end to end; return the agent that signed it or raise `AsterError`.

    Order: mandatory params, nonce window, signature, agent binding and expiry, replay, IP whitelist. The
    nonce is only recorded once the signature and agent are good, so a forger cannot burn a user's nonces.
    """
    params = signed.params
    for name in ("signer", "nonce"):
        if not params.get(name):
            raise errors.mandatory_param(name)
    if not signed.signature:
        raise errors.mandatory_param("signature")
    signer = params["signer"]
    user = params.get("user")
    if not is_address(signer):
        raise errors.mandatory_param("signer")
    if user is not None and not is_address(user):
        raise errors.mandatory_param("user")
    nonce = _nonce(params)
    if abs(nonce - now_ms * 1000) > NONCE_WINDOW_US:
        raise errors.nonce_expired()

    chain_id = CHAIN_IDS[environment]
    recovered = [recover_signer(text, signed.signature, chain_id) for text in signed.signed_strings]
    if not any(address is not None and same_address(address, signer) for address in recovered):
        raise errors.signature_check_failed()

    agent = find_agent(to_checksum_address(signer))
    if agent is None or agent.environment != environment:
        raise errors.signature_check_failed()
    if user is not None and not same_address(user, agent.user):
        raise errors.signature_check_failed()
    if agent.expires_at is not None and now_ms >= agent.expires_at:
        raise errors.signature_check_failed()

    nonces.admit(environment, agent.user, nonce)
    if not ip_allowed(agent.ips, client_ip):
        raise errors.ip_not_whitelisted()
    return agent


def require_permission(agent: Agent, permission: str) -> None:
    """Refuse the call unless the agent has `permission` (-2015 for reads, -4088 for trading)."""
    if agent.permissions.get(permission, False):
        return
    if permission == "canRead":
        raise errors.rejected_permissions()
    raise errors.no_trade_permission()
