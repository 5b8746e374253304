"""Aster V3 signing checked against tests/vectors/aster.json only (aster.md §1.9), plus the nonce source."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from tradedock.clock import FrozenClock
from tradedock.errors import InvalidInputError
from tradedock.exchanges.aster.signing import (
    NonceMemory,
    NonceSource,
    auth_params,
    build_message,
    digest,
    encode_value,
    sign_message,
    sign_request,
    typed_data,
)

VECTORS: dict[str, Any] = json.loads((Path(__file__).parents[2] / "vectors" / "aster.json").read_text())
KEY = VECTORS["demo_key"]["private_key"]
EIP712 = VECTORS["eip712"]
REQUEST_VECTORS = [v for v in EIP712 if v["signer"] is not None]


class TestVectorsFile:
    def test_every_vector_names_its_source(self) -> None:
        for group in ("eip712", "legacy_abi", "v1_hmac"):
            for vector in VECTORS[group]:
                assert vector["source"].strip(), vector["id"]

    def test_demo_key_derives_to_the_published_signer(self) -> None:
        assert Account.from_key(KEY).address == VECTORS["demo_key"]["signer"]


class TestSignRequest:
    @pytest.mark.parametrize("vector", REQUEST_VECTORS, ids=lambda v: v["id"])
    def test_message_and_signature_match_vector(self, vector: dict[str, Any]) -> None:
        signed = sign_request(
            [tuple(p) for p in vector["params"]],
            user=vector["user"],
            signer=vector["signer"],
            nonce=vector["nonce"],
            private_key=KEY,
            chain_id=vector["chain_id"],
        )
        assert signed.msg == vector["msg"]
        assert signed.signature == "0x" + vector["signature"]
        assert signed.query == vector["msg"] + "&signature=0x" + vector["signature"]

    @pytest.mark.parametrize("vector", REQUEST_VECTORS, ids=lambda v: v["id"])
    def test_typed_data_matches_domain(self, vector: dict[str, Any]) -> None:
        signed = sign_request(
            [tuple(p) for p in vector["params"]],
            user=vector["user"],
            signer=vector["signer"],
            nonce=vector["nonce"],
            private_key=KEY,
            chain_id=vector["chain_id"],
        )
        domain = VECTORS["eip712_domain"]
        assert signed.typed_data["domain"] == {
            "name": domain["name"],
            "version": domain["version"],
            "chainId": vector["chain_id"],
            "verifyingContract": domain["verifying_contract"],
        }
        assert signed.typed_data["primaryType"] == "Message"
        assert signed.typed_data["types"]["Message"] == [{"name": "msg", "type": "string"}]
        assert signed.typed_data["message"] == {"msg": vector["msg"]}

    def test_mapping_params_keep_insertion_order(self) -> None:
        vector = REQUEST_VECTORS[0]
        signed = sign_request(
            dict(vector["params"]),
            user=None,
            signer=vector["signer"],
            nonce=vector["nonce"],
            private_key=KEY,
            chain_id=vector["chain_id"],
        )
        assert signed.msg == vector["msg"]


class TestSignMessage:
    @pytest.mark.parametrize("vector", EIP712, ids=lambda v: v["id"])
    def test_signature_and_digest(self, vector: dict[str, Any]) -> None:
        signature = sign_message(vector["msg"], KEY, vector["chain_id"])
        assert signature == "0x" + vector["signature"]
        assert len(signature) == 2 + 130
        assert int(signature[-2:], 16) == vector["v"]
        assert "0x" + digest(vector["msg"], vector["chain_id"]).hex() == vector["digest"]

    def test_key_without_0x_signs_the_same(self) -> None:
        vector = EIP712[0]
        assert sign_message(vector["msg"], KEY.removeprefix("0x"), vector["chain_id"]) == "0x" + vector["signature"]

    def test_chain_id_changes_the_signature(self) -> None:
        b1, b2 = EIP712[0], EIP712[1]
        assert b1["msg"] == b2["msg"]
        assert sign_message(b1["msg"], KEY, 714) == "0x" + b2["signature"]
        assert sign_message(b1["msg"], KEY, 1666) != sign_message(b1["msg"], KEY, 714)

    def test_bad_key_is_an_input_error_without_the_key(self) -> None:
        bad = "0x" + "0" * 64  # zero is not a valid secp256k1 key
        with pytest.raises(InvalidInputError) as info:
            sign_message("x", bad, 1666)
        assert info.value.field == "private_key"
        assert "0" * 64 not in str(info.value)


class TestMessageBuilding:
    def test_booleans_are_lowercase(self) -> None:
        assert encode_value(True) == "true"
        assert encode_value(False) == "false"

    def test_lists_are_compact_json(self) -> None:
        assert encode_value([{"a": 1}]) == '[{"a":1}]'

    def test_auth_params_order_business_then_nonce_user_signer(self) -> None:
        pairs = auth_params([("symbol", "X"), ("flag", True)], user="0xU", signer="0xS", nonce=7)
        assert pairs == [("symbol", "X"), ("flag", "true"), ("nonce", "7"), ("user", "0xU"), ("signer", "0xS")]

    def test_user_left_out_when_none(self) -> None:
        assert [k for k, _ in auth_params({}, user=None, signer="0xS", nonce=1)] == ["nonce", "signer"]

    def test_message_is_the_query_string(self) -> None:
        assert build_message([("a", "1"), ("b", "x y")]) == "a=1&b=x+y"

    def test_typed_data_is_json_serialisable(self) -> None:
        json.dumps(typed_data("a=1", 1666))


class TestNonceSource:
    def test_microseconds_plus_offset(self) -> None:
        clock = FrozenClock()
        source = NonceSource(clock, memory=NonceMemory())
        assert source.next("0xA", offset_ms=250) == clock.now_us() + 250_000
        assert len(str(source.next("0xB"))) == 16  # 16 digits, like the doc's example nonce

    def test_same_microsecond_still_increases(self) -> None:
        source = NonceSource(FrozenClock(), memory=NonceMemory())
        nonces = [source.next("0xA") for _ in range(5)]
        assert nonces == sorted(set(nonces))
        assert nonces[-1] - nonces[0] == 4

    def test_clock_stepping_back_still_increases(self) -> None:
        clock = FrozenClock()
        source = NonceSource(clock, memory=NonceMemory())
        first = source.next("0xA")
        clock.advance(seconds=-30)
        second = source.next("0xA")
        assert second > first
        clock.advance(minutes=5)
        assert source.next("0xA") == clock.now_us()

    def test_offset_going_down_still_increases(self) -> None:
        source = NonceSource(FrozenClock(), memory=NonceMemory())
        first = source.next("0xA", offset_ms=5_000)
        assert source.next("0xA", offset_ms=-5_000) > first

    def test_per_signer_and_case_insensitive(self) -> None:
        clock = FrozenClock()
        source = NonceSource(clock, memory=NonceMemory())
        a1 = source.next("0xAbC")
        b1 = source.next("0xdef")
        assert a1 == b1 == clock.now_us()  # another signer has its own sequence
        assert source.next("0xabc") == a1 + 1

    def test_user_scope_spans_signers(self) -> None:
        clock = FrozenClock()
        source = NonceSource(clock, memory=NonceMemory())
        first = source.next("0xAgentOne", user="0xMain")
        assert source.next("0xAgentTwo", user="0xmain") == first + 1  # same main wallet: still unique
        assert source.next("0xAgentThree", user="0xOther") == clock.now_us()

    def test_sources_sharing_memory_never_collide(self) -> None:
        memory = NonceMemory()
        clock = FrozenClock()
        one, two = NonceSource(clock, memory=memory), NonceSource(clock, memory=memory)
        assert len({one.next("0xA"), two.next("0xA"), one.next("0xA")}) == 3

    def test_threads_get_unique_nonces(self) -> None:
        source = NonceSource(FrozenClock(), memory=NonceMemory())
        seen: list[int] = []
        lock = threading.Lock()

        def work() -> None:
            got = [source.next("0xA") for _ in range(200)]
            with lock:
                seen.extend(got)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(set(seen)) == 800

    def test_real_time_progresses(self) -> None:
        clock = FrozenClock()
        source = NonceSource(clock, memory=NonceMemory())
        first = source.next("0xA")
        clock.advance(**{"seconds": 1})
        assert source.next("0xA") - first == int(timedelta(seconds=1).total_seconds() * 1_000_000)
