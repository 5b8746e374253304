"""The simulator's Bitget verifier against the signing vectors in tests/vectors/bitget.json.

The vectors come from reference/exchanges/bitget.md §1 (official prehash examples; signatures computed with the
stdlib, several confirmed byte for byte by ccxt), never from our own signer or this simulator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tradedock_sim.bitget import errors
from tradedock_sim.bitget.auth import BitgetKey, SignedRequest, authenticate, prehash, sign, signature_matches

VECTORS_FILE = Path(__file__).resolve().parents[2] / "vectors" / "bitget.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text())["vectors"]
SIGNED = [v for v in VECTORS if v.get("signature") and v.get("request_path")]
KEY = "bg_" + "0" * 32


def _request(vector: dict[str, Any], signature: str, **headers: str) -> SignedRequest:
    base = {
        "ACCESS-KEY": KEY,
        "ACCESS-SIGN": signature,
        "ACCESS-TIMESTAMP": vector["timestamp"],
        "ACCESS-PASSPHRASE": "Passphrase1",
    }
    return SignedRequest(vector["method"], vector["request_path"], vector["query"], vector["body"], base | headers)


def _lookup(secret: str) -> Any:
    key = BitgetKey(api_key=KEY, secret=secret, passphrase="Passphrase1", uid="1", environment="live")
    return lambda api_key: key if api_key == KEY else None


def test_vectors_file_has_signed_vectors() -> None:
    assert len(SIGNED) >= 5


@pytest.mark.parametrize("vector", [v for v in VECTORS if v.get("request_path")], ids=lambda v: v["name"])
def test_prehash_matches_the_documented_string(vector: dict[str, Any]) -> None:
    built = prehash(vector["timestamp"], vector["method"], vector["request_path"], vector["query"], vector["body"])
    assert built == vector["prehash"]


@pytest.mark.parametrize("vector", SIGNED, ids=lambda v: v["name"])
def test_signature_matches_the_vector(vector: dict[str, Any]) -> None:
    assert sign(vector["secret"], vector["prehash"]) == vector["signature"]
    request = _request(vector, vector["signature"])
    assert signature_matches(vector["secret"], request, vector["timestamp"], vector["signature"])


@pytest.mark.parametrize("vector", SIGNED, ids=lambda v: v["name"])
def test_authenticate_accepts_the_vector_at_its_own_time(vector: dict[str, Any]) -> None:
    key = authenticate(
        _request(vector, vector["signature"]),
        lookup=_lookup(vector["secret"]),
        now_ms=int(vector["timestamp"]),
        client_ip="127.0.0.1",
    )
    assert key.api_key == KEY


@pytest.mark.parametrize("vector", SIGNED, ids=lambda v: v["name"])
def test_authenticate_rejects_a_tampered_request(vector: dict[str, Any]) -> None:
    if vector["body"]:
        # Same JSON meaning, different bytes: Bitget signs the exact body string.
        tampered = dict(vector, body=vector["body"].replace(":", ": ", 1))
    else:
        tampered = dict(vector, request_path=vector["request_path"] + "x")
    with pytest.raises(errors.BitgetError) as caught:
        authenticate(
            _request(tampered, vector["signature"]),
            lookup=_lookup(vector["secret"]),
            now_ms=int(vector["timestamp"]),
            client_ip="127.0.0.1",
        )
    assert caught.value.code == "40009"


@pytest.mark.parametrize("vector", SIGNED[:1], ids=lambda v: v["name"])
def test_authenticate_rejects_the_vector_with_another_secret(vector: dict[str, Any]) -> None:
    with pytest.raises(errors.BitgetError) as caught:
        authenticate(
            _request(vector, vector["signature"]),
            lookup=_lookup("not-the-secret"),
            now_ms=int(vector["timestamp"]),
            client_ip="127.0.0.1",
        )
    assert caught.value.code == "40009"


@pytest.mark.parametrize("vector", SIGNED[:1], ids=lambda v: v["name"])
def test_vector_replayed_31_seconds_later_is_expired(vector: dict[str, Any]) -> None:
    with pytest.raises(errors.BitgetError) as caught:
        authenticate(
            _request(vector, vector["signature"]),
            lookup=_lookup(vector["secret"]),
            now_ms=int(vector["timestamp"]) + 31_000,
            client_ip="127.0.0.1",
        )
    assert caught.value.code == "40008"


@pytest.mark.parametrize("vector", SIGNED, ids=lambda v: v["name"])
def test_the_test_helper_signer_reproduces_the_vector(vector: dict[str, Any]) -> None:
    # tests/sim/bitget/helpers.py signs the requests of the other tests; it must agree with the vectors too.
    from tests.sim.bitget.helpers import doc_signature

    args = (vector["timestamp"], vector["method"], vector["request_path"], vector["query"], vector["body"])
    assert doc_signature(vector["secret"], *args) == vector["signature"]
