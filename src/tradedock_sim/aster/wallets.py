"""Ethereum keypairs for simulated Aster wallets (main wallets and API wallets).

Belongs here: making a private key and its checksummed address, reproducibly from the state's RNG. Does not
belong here: which wallet is approved for which (that is `ApiKey` records in the core state).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from eth_account import Account

# Order of the secp256k1 group: a private key must lie in [1, n-1].
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass(frozen=True)
class Wallet:
    """An EVM wallet: checksummed `address` and its 0x-prefixed hex `private_key` (never in reprs)."""

    address: str
    private_key: str = field(repr=False)


def new_wallet(rng: random.Random) -> Wallet:
    """A fresh keypair drawn from `rng` (seeded states give reproducible wallets)."""
    secret = 0
    while not 1 <= secret < SECP256K1_ORDER:
        secret = rng.getrandbits(256)
    private_key = "0x" + secret.to_bytes(32, "big").hex()
    return Wallet(address=str(Account.from_key(private_key).address), private_key=private_key)
