"""Bybit fault scenarios produce the wire answers a client must classify as "exchange unreachable"."""

from __future__ import annotations

from typing import Any

import pytest

QUERY_API = "/v5/user/query-api"


async def test_rate_limit_fault_is_bybit_10006_with_limit_headers(bybit: Any) -> None:
    creds = await bybit.scenario("rate_limit")
    response = await bybit.get(creds, QUERY_API)
    assert response.status_code == 200
    assert (response.json()["retCode"], response.json()["retMsg"]) == (10006, "Too many visits!")
    assert response.headers["X-Bapi-Limit-Status"] == "0"
    assert int(response.headers["X-Bapi-Limit-Reset-Timestamp"]) > response.json()["time"] - 1


@pytest.mark.parametrize(
    ("scenario", "status", "marker"),
    [
        ("http_500", 500, "500 Internal Server Error"),
        ("http_503_html", 503, "maintenance"),
        ("geo_block", 403, "CloudFront"),
    ],
)
async def test_html_faults_hit_public_and_private_paths(bybit: Any, scenario: str, status: int, marker: str) -> None:
    creds = await bybit.scenario(scenario)
    for response in (await bybit.http.get("/v5/market/time"), await bybit.get(creds, QUERY_API)):
        assert response.status_code == status
        assert marker in response.text
        assert response.headers["content-type"].startswith("text/html")


async def test_fault_limited_to_a_path_leaves_the_rest_working(bybit: Any) -> None:
    creds = await bybit.scenario("healthy")
    await bybit.control.set_faults(error="http_503_html", paths=["/v5/account/wallet-balance"])
    assert (await bybit.get(creds, QUERY_API)).json()["retCode"] == 0
    response = await bybit.get(creds, "/v5/account/wallet-balance", {"accountType": "UNIFIED"})
    assert response.status_code == 503


async def test_timeout_scenario_configures_a_hang(bybit: Any) -> None:
    await bybit.scenario("timeout")
    assert (bybit.state.faults.error, bybit.state.faults.error_rate) == ("timeout", 1.0)
