"""The production signer against tests/vectors/bitget.json (never against itself or the simulator)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tradedock.exchanges.bitget.signing import encode_query, prehash, sign, signed_headers

VECTORS_FILE = Path(__file__).parents[2] / "vectors" / "bitget.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text())["vectors"]
SIGNED = [v for v in VECTORS if v["signature"]]


def test_every_vector_names_its_source() -> None:
    assert VECTORS
    assert all(v["source"].strip() for v in VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
class TestPrehash:
    def test_matches_the_documented_prehash(self, vector: dict[str, Any]) -> None:
        built = prehash(vector["timestamp"], vector["method"], vector["request_path"], vector["query"], vector["body"])
        assert built == vector["prehash"]

    def test_lower_case_method_is_upper_cased(self, vector: dict[str, Any]) -> None:
        built = prehash(
            vector["timestamp"], vector["method"].lower(), vector["request_path"], vector["query"], vector["body"]
        )
        assert built == vector["prehash"]


@pytest.mark.parametrize("vector", SIGNED, ids=[v["name"] for v in SIGNED])
class TestSignedHeaders:
    def test_signature_matches_vector(self, vector: dict[str, Any]) -> None:
        assert sign(vector["secret"], vector["prehash"]) == vector["signature"]

    def test_headers_carry_the_vector_signature(self, vector: dict[str, Any]) -> None:
        headers = signed_headers(
            api_key="bg_0123456789abcdef0123456789abcdef",
            secret=vector["secret"],
            passphrase="Passphrase1",
            timestamp_ms=int(vector["timestamp"]),
            method=vector["method"],
            request_path=vector["request_path"],
            query=vector["query"],
            body=vector["body"],
        )
        assert headers["ACCESS-SIGN"] == vector["signature"]
        assert headers["ACCESS-TIMESTAMP"] == vector["timestamp"]
        assert headers["ACCESS-KEY"] == "bg_0123456789abcdef0123456789abcdef"
        assert headers["ACCESS-PASSPHRASE"] == "Passphrase1"
        assert headers["Content-Type"] == "application/json"
        assert headers["locale"] == "en-US"
        assert "paptrading" not in headers

    def test_demo_adds_paptrading_and_keeps_the_signature(self, vector: dict[str, Any]) -> None:
        headers = signed_headers(
            api_key="k",
            secret=vector["secret"],
            passphrase="p",
            timestamp_ms=vector["timestamp"],
            method=vector["method"],
            request_path=vector["request_path"],
            query=vector["query"],
            body=vector["body"],
            demo=True,
        )
        assert headers["paptrading"] == "1"
        assert headers["ACCESS-SIGN"] == vector["signature"]

    def test_another_secret_gives_another_signature(self, vector: dict[str, Any]) -> None:
        assert sign(vector["secret"] + "x", vector["prehash"]) != vector["signature"]


class TestEncodeQuery:
    def test_sorts_keys_like_the_documented_examples(self) -> None:
        # The documented query of vector "single_account_with_product_type", given in another order.
        vector = next(v for v in VECTORS if v["name"] == "single_account_with_product_type")
        query = encode_query({"symbol": "btcusdt", "productType": "USDT-FUTURES", "marginCoin": "usdt"})
        assert query == vector["query"]

    def test_empty_params_give_no_query(self) -> None:
        assert encode_query({}) == ""
        vector = next(v for v in VECTORS if v["name"] == "spot_account_info")
        assert prehash(vector["timestamp"], "GET", vector["request_path"], encode_query({})) == vector["prehash"]
