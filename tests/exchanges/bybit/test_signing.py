"""Bybit signing against tests/vectors/bybit.json only (never our own signer or the simulator)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tradedock.exchanges.bybit import signing

VECTORS_FILE = Path(__file__).parents[2] / "vectors" / "bybit.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text())["vectors"]
SIGNED = [v for v in VECTORS if v["signature"] is not None]


def test_every_vector_names_its_source() -> None:
    assert VECTORS
    assert all(v["source"] for v in VECTORS)
    assert len(SIGNED) >= 3  # GET with query, POST body, GET without params


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["name"])
def test_string_to_sign_matches_vector(vector: dict[str, Any]) -> None:
    got = signing.string_to_sign(vector["api_key"], vector["timestamp_ms"], vector["recv_window"], vector["payload"])
    assert got == vector["string_to_sign"]


@pytest.mark.parametrize("vector", SIGNED, ids=lambda v: v["name"])
def test_signature_matches_vector(vector: dict[str, Any]) -> None:
    got = signing.signature(
        vector["secret"], vector["api_key"], vector["timestamp_ms"], vector["recv_window"], vector["payload"]
    )
    assert got == vector["signature"]


@pytest.mark.parametrize("vector", SIGNED, ids=lambda v: v["name"])
def test_signed_headers_carry_vector_values(vector: dict[str, Any]) -> None:
    headers = signing.signed_headers(
        api_key=vector["api_key"],
        secret=vector["secret"],
        timestamp_ms=vector["timestamp_ms"],
        recv_window_ms=vector["recv_window"],
        payload=vector["payload"],
        json_body=vector["method"] == "POST",
    )
    assert headers["X-BAPI-API-KEY"] == vector["api_key"]
    assert headers["X-BAPI-TIMESTAMP"] == str(vector["timestamp_ms"])
    assert headers["X-BAPI-RECV-WINDOW"] == str(vector["recv_window"])
    assert headers["X-BAPI-SIGN"] == vector["signature"]
    assert ("Content-Type" in headers) == (vector["method"] == "POST")
    assert "X-BAPI-SIGN-TYPE" not in headers  # omitted for HMAC keys (bybit.md §1.2)
    assert vector["secret"] not in headers.values()


def test_query_from_vector_params_is_byte_identical() -> None:
    vector = next(v for v in VECTORS if v["name"] == "crosschecked_get_with_query")
    query = signing.build_query({"category": "option", "symbol": "BTC-29JUL22-25000-C"})
    assert query == vector["payload"]
    assert signing.build_query({}) == ""


def test_query_refuses_values_that_would_need_encoding() -> None:
    with pytest.raises(ValueError, match="symbol"):
        signing.build_query({"symbol": "BTC USDT"})
