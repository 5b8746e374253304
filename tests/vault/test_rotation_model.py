"""A stateful model of the master-key life cycle (add → promote → rewrap → retire at zero), interleaved with
seals and opens: whatever the order, every record opens, and a key is only retired when nothing names it."""

from __future__ import annotations

import base64
import os

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tradedock.vault import SealContext, SealedSecrets, Vault, parse_key_spec


class KeyLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.keys: list[tuple[str, str]] = [("k0", base64.b64encode(os.urandom(32)).decode())]  # primary first
        self.counter = 1
        self.records: list[tuple[SealContext, SealedSecrets, dict[str, str]]] = []
        self.vault = self._build()

    def _build(self) -> Vault:
        return Vault(parse_key_spec(",".join(f"{kid}:{b64}" for kid, b64 in self.keys)))

    @rule(secret=st.text(min_size=1, max_size=30))
    def seal(self, secret: str) -> None:
        ctx = SealContext("owner", f"conn-{len(self.records)}", "bybit")
        fields = {"api_key": f"key{len(self.records)}", "secret": secret}
        self.records.append((ctx, self.vault.seal(fields, ctx), fields))

    @rule()
    def add_key_decrypt_only(self) -> None:
        self.keys.append((f"k{self.counter}", base64.b64encode(os.urandom(32)).decode()))
        self.counter += 1
        self.vault = self._build()

    @precondition(lambda self: len(self.keys) > 1)
    @rule(index=st.integers(min_value=1, max_value=10))
    def promote(self, index: int) -> None:
        chosen = self.keys.pop(index % len(self.keys) or 1)
        self.keys.insert(0, chosen)
        self.vault = self._build()

    @rule()
    def rewrap_all(self) -> None:
        self.records = [(ctx, self.vault.rewrap(sealed, ctx), fields) for ctx, sealed, fields in self.records]
        assert all(sealed.kek_id == self.vault.primary_key_id for _, sealed, _ in self.records)

    @precondition(lambda self: len(self.keys) > 1)
    @rule()
    def retire_unused_keys(self) -> None:
        used = {sealed.kek_id for _, sealed, _ in self.records} | {self.keys[0][0]}
        self.keys = [(kid, b64) for kid, b64 in self.keys if kid in used]
        self.vault = self._build()

    @invariant()
    def everything_opens(self) -> None:
        for ctx, sealed, fields in self.records:
            assert self.vault.open(sealed, ctx) == fields


TestKeyLifecycle = KeyLifecycle.TestCase
TestKeyLifecycle.settings = settings(max_examples=60, stateful_step_count=20, deadline=None)
