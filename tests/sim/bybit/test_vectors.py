"""The simulator's Bybit checker against tests/vectors/bybit.json (copied from the docs, never generated here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.sim.bybit import signing
from tradedock_sim.bybit.auth import expected_signature, string_to_sign
from tradedock_sim.core import ApiKey
from tradedock_sim.core.control import create_account
from tradedock_sim.core.state import wall_clock_ms

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[2] / "vectors" / "bybit.json").read_text(encoding="utf-8")
)["vectors"]
SIGNED = [v for v in VECTORS if v["signature"] is not None]


def _id(vector: dict[str, Any]) -> str:
    return str(vector["name"])


@pytest.mark.parametrize("vector", VECTORS, ids=_id)
def test_string_to_sign_matches_doc(vector: dict[str, Any]) -> None:
    built = string_to_sign(
        str(vector["timestamp_ms"]), vector["api_key"], str(vector["recv_window"]), vector["payload"]
    )
    assert built == vector["string_to_sign"]


@pytest.mark.parametrize("vector", SIGNED, ids=_id)
def test_checker_signature_matches_vector(vector: dict[str, Any]) -> None:
    args = (str(vector["timestamp_ms"]), vector["api_key"], str(vector["recv_window"]), vector["payload"])
    assert expected_signature(vector["secret"], *args) == vector["signature"]


@pytest.mark.parametrize("vector", SIGNED, ids=_id)
def test_test_signer_matches_vector(vector: dict[str, Any]) -> None:
    """The helper that drives the simulator in these tests is itself pinned to the vectors."""
    args = (vector["timestamp_ms"], vector["api_key"], vector["recv_window"], vector["payload"])
    assert signing.sign(vector["secret"], *args) == vector["signature"]


def _install_vector_key(bybit: Any, vector: dict[str, Any]) -> None:
    """Put the vector's key into the simulator and move its clock to just after the vector's timestamp."""
    state = bybit.state
    uid = "100000042"
    create_account(state, bybit.http.sim_app.state.plugin, {"uid": uid, "balances": {"UNIFIED": {"USDT": "5"}}})
    state.keys[vector["api_key"]] = ApiKey(
        key_id=vector["api_key"],
        uid=uid,
        credentials={"api_key": vector["api_key"], "secret": vector["secret"]},
        permissions={"ContractTrade": ["Order", "Position"]},
        ips=["*"],
    )
    state.clock_offset_ms = vector["timestamp_ms"] + 200 - wall_clock_ms()


@pytest.mark.parametrize("vector", SIGNED, ids=_id)
async def test_vector_request_is_accepted_end_to_end(bybit: Any, vector: dict[str, Any]) -> None:
    _install_vector_key(bybit, vector)
    headers = {
        "X-BAPI-API-KEY": vector["api_key"],
        "X-BAPI-TIMESTAMP": str(vector["timestamp_ms"]),
        "X-BAPI-RECV-WINDOW": str(vector["recv_window"]),
        "X-BAPI-SIGN": vector["signature"],
    }
    if vector["method"] == "GET":
        query = f"?{vector['payload']}" if vector["payload"] else ""
        response = await bybit.http.get(f"/v5/user/query-api{query}", headers=headers)
    else:
        response = await bybit.http.post(
            "/v5/position/switch-mode", content=vector["payload"].encode(), headers=headers
        )
    assert response.status_code == 200
    assert response.json()["retCode"] == 0


@pytest.mark.parametrize("vector", SIGNED, ids=_id)
async def test_vector_with_one_changed_hex_digit_is_10004(bybit: Any, vector: dict[str, Any]) -> None:
    _install_vector_key(bybit, vector)
    signature = vector["signature"]
    tampered = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    headers = {
        "X-BAPI-API-KEY": vector["api_key"],
        "X-BAPI-TIMESTAMP": str(vector["timestamp_ms"]),
        "X-BAPI-RECV-WINDOW": str(vector["recv_window"]),
        "X-BAPI-SIGN": tampered,
    }
    response = await bybit.http.get("/v5/user/query-api", headers=headers)
    assert response.json()["retCode"] == 10004
