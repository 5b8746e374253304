"""Test-side Aster V3 client signing, written from Aster's docs with eth-account directly.

Belongs here: building and signing requests the way the docs describe (so tests do not use the simulator's
verifier or `tradedock`'s signer to produce what they check). Source: asterdex/api-docs
`V3(Recommended)/EN/aster-finance-futures-api-v3.md` ("Signature"), shared/reference/exchanges/aster.md §1.3-1.7.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from eth_account import Account

CHAIN_IDS = {"live": 1666, "testnet": 714}


def sign_msg(msg: str, private_key: str, chain_id: int) -> str:
    """EIP-712 `Message{msg}` under domain AsterSignTransaction/1/chainId/zero address; hex without 0x."""
    typed = {
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
            "verifyingContract": "0x0000000000000000000000000000000000000000",
        },
        "message": {"msg": msg},
    }
    signed = Account.sign_typed_data(private_key, full_message=typed)
    return bytes(signed.signature).hex()


_last_nonce = 0


def fresh_nonce(offset_ms: int = 0) -> int:
    """Microseconds from the local clock, strictly increasing within this process; `offset_ms` shifts one
    nonce off the clock on purpose (and does not move the sequence)."""
    global _last_nonce
    if offset_ms:
        return int(time.time() * 1_000_000) + offset_ms * 1000
    nonce = max(int(time.time() * 1_000_000), _last_nonce + 1)
    _last_nonce = nonce
    return nonce


def signed_query(
    params: list[tuple[str, str]] | None,
    *,
    signer: str,
    private_key: str,
    user: str | None = None,
    nonce: int | None = None,
    environment: str = "live",
    chain_id: int | None = None,
) -> str:
    """`business params & nonce & user & signer` then `&signature=...` appended last, as the docs show."""
    pairs = list(params or [])
    pairs.append(("nonce", str(nonce if nonce is not None else fresh_nonce())))
    if user is not None:
        pairs.append(("user", user))
    pairs.append(("signer", signer))
    msg = urlencode(pairs)
    signature = sign_msg(msg, private_key, chain_id if chain_id is not None else CHAIN_IDS[environment])
    return f"{msg}&signature={signature}"
