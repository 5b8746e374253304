"""The simulator's Aster V3 verifier against the signing vectors in tests/vectors/aster.json (aster.md §1.9).

These vectors come from the reference docs (computed outside TradeDock with eth-account and ccxt), so a
verifier bug cannot hide behind a matching signer bug.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradedock_sim.aster import auth
from tradedock_sim.aster.errors import AsterError

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "aster.json").read_text())
DEMO = VECTORS["demo_key"]
EIP712 = {vector["id"]: vector for vector in VECTORS["eip712"]}
ENV_OF_CHAIN = {1666: "live", 714: "testnet"}


def demo_agent(environment: str, **changes: Any) -> auth.Agent:
    fields: dict[str, Any] = {
        "address": DEMO["signer"],
        "user": DEMO["user"],
        "environment": environment,
        "expires_at": None,
        "ips": (),
        "permissions": {"canRead": True, "canSpotTrade": False, "canPerpTrade": True, "canWithdraw": False},
    }
    fields.update(changes)
    return auth.Agent(**fields)


def check(query: str, environment: str, now_ms: int, agent: auth.Agent | None, body: str = "") -> auth.Agent:
    return auth.authenticate(
        auth.read_signed_request(query, body),
        environment=environment,
        now_ms=now_ms,
        client_ip="127.0.0.1",
        find_agent=lambda address: agent if agent is not None and address == agent.address else None,
        nonces=auth.NonceBook(),
    )


class TestDomainConstants:
    def test_chain_ids_match_the_vectors(self) -> None:
        assert auth.CHAIN_IDS == VECTORS["eip712_domain"]["chain_ids"]

    def test_typed_data_hashes_to_the_documented_digests(self) -> None:
        from eth_account.messages import encode_typed_data
        from eth_utils.crypto import keccak

        for vector in EIP712.values():
            signable = encode_typed_data(full_message=auth.typed_data(vector["msg"], vector["chain_id"]))
            digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
            assert "0x" + digest.hex() == vector["digest"], vector["id"]


class TestRecoverSigner:
    @pytest.mark.parametrize("vector_id", sorted(EIP712))
    def test_each_vector_recovers_the_demo_signer(self, vector_id: str) -> None:
        vector = EIP712[vector_id]
        assert auth.recover_signer(vector["msg"], vector["signature"], vector["chain_id"]) == DEMO["signer"]

    @pytest.mark.parametrize("vector_id", ["B1", "B2"])
    def test_wrong_chain_id_recovers_someone_else(self, vector_id: str) -> None:
        vector = EIP712[vector_id]
        other_chain = 714 if vector["chain_id"] == 1666 else 1666
        assert auth.recover_signer(vector["msg"], vector["signature"], other_chain) != DEMO["signer"]

    def test_tampered_msg_recovers_someone_else(self) -> None:
        vector = EIP712["B1"]
        tampered = vector["msg"].replace("quantity=20", "quantity=21")
        assert auth.recover_signer(tampered, vector["signature"], 1666) != DEMO["signer"]

    def test_0x_prefix_and_upper_case_are_accepted(self) -> None:
        vector = EIP712["B3"]
        assert auth.recover_signer(vector["msg"], "0x" + vector["signature"].upper(), 1666) == DEMO["signer"]

    def test_bare_recovery_id_is_accepted(self) -> None:
        vector = EIP712["B1"]  # v = 28 -> recovery id 1
        signature = vector["signature"][:-2] + "01"
        assert auth.recover_signer(vector["msg"], signature, 1666) == DEMO["signer"]

    @pytest.mark.parametrize("signature", ["", "zz" * 65, "ab" * 64, "ab" * 66, "00" * 64 + "1d"])
    def test_malformed_signatures_recover_nobody(self, signature: str) -> None:
        assert auth.recover_signer(EIP712["B1"]["msg"], signature, 1666) is None


class TestAuthenticateVectors:
    """The whole check (params, nonce window, signature, agent binding) on the vectors' exact strings."""

    @pytest.mark.parametrize("vector_id", ["B1", "B2", "B3"])
    def test_vector_query_passes(self, vector_id: str) -> None:
        vector = EIP712[vector_id]
        environment = ENV_OF_CHAIN[vector["chain_id"]]
        query = f"{vector['msg']}&signature={vector['signature']}"
        agent = check(query, environment, vector["nonce"] // 1000, demo_agent(environment))
        assert agent.user == DEMO["user"]

    def test_vector_as_form_body_passes(self) -> None:
        vector = EIP712["B3"]
        body = f"{vector['msg']}&signature=0x{vector['signature']}"
        assert check("", "live", vector["nonce"] // 1000, demo_agent("live"), body=body).address == DEMO["signer"]

    def test_testnet_signature_is_refused_on_live(self) -> None:
        vector = EIP712["B2"]
        query = f"{vector['msg']}&signature={vector['signature']}"
        with pytest.raises(AsterError) as refused:
            check(query, "live", vector["nonce"] // 1000, demo_agent("live"))
        assert (refused.value.status, refused.value.code) == (400, -1000)

    def test_tampered_query_is_refused(self) -> None:
        vector = EIP712["B1"]
        query = f"{vector['msg'].replace('price=0.5', 'price=0.6')}&signature={vector['signature']}"
        with pytest.raises(AsterError) as refused:
            check(query, "live", vector["nonce"] // 1000, demo_agent("live"))
        assert refused.value.code == -1000

    def test_reordered_params_are_refused(self) -> None:
        """The signed string is exactly what was sent: the same params in another order do not verify."""
        vector = EIP712["B3"]
        user, signer = f"user={DEMO['user']}", f"signer={DEMO['signer']}"
        query = f"nonce={vector['nonce']}&{signer}&{user}&signature={vector['signature']}"
        with pytest.raises(AsterError) as refused:
            check(query, "live", vector["nonce"] // 1000, demo_agent("live"))
        assert refused.value.code == -1000

    def test_signer_bound_to_another_user_is_refused(self) -> None:
        vector = EIP712["B3"]
        query = f"{vector['msg']}&signature={vector['signature']}"
        other_users_agent = demo_agent("live", user="0x000000000000000000000000000000000000dEaD")
        with pytest.raises(AsterError) as refused:
            check(query, "live", vector["nonce"] // 1000, other_users_agent)
        assert refused.value.code == -1000

    def test_vector_nonce_is_stale_today(self) -> None:
        vector = EIP712["B3"]
        query = f"{vector['msg']}&signature={vector['signature']}"
        eleven_seconds_later = vector["nonce"] // 1000 + 11_000
        with pytest.raises(AsterError) as refused:
            check(query, "live", eleven_seconds_later, demo_agent("live"))
        assert refused.value.code == -4225


class TestRoundTripProperty:
    """Any message signed per the docs (eth-account, test side) verifies; any change to it does not."""

    @settings(max_examples=25, deadline=None)
    @given(msg=st.text(max_size=200), secret=st.integers(min_value=1, max_value=2**255), testnet=st.booleans())
    def test_signed_message_recovers_and_tampering_breaks_it(self, msg: str, secret: int, testnet: bool) -> None:
        from eth_account import Account

        from tests.sim.aster.signing import sign_msg

        private_key = "0x" + secret.to_bytes(32, "big").hex()
        chain_id = 714 if testnet else 1666
        signature = sign_msg(msg, private_key, chain_id)
        address = Account.from_key(private_key).address
        assert auth.recover_signer(msg, signature, chain_id) == address
        assert auth.recover_signer(msg + "&", signature, chain_id) != address
