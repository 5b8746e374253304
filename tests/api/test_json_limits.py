"""Every JSON body is size- and depth-checked before FastAPI parses it (issue 18 item 5): 80,000 nested
brackets are a 422 naming ``body`` (not a crashed server, even with py_ecc's 100,000 recursion limit in force);
an oversized body is a 413; neither echoes the body."""

from __future__ import annotations

import sys

import pytest

from tests.api.conftest import Api

pytestmark = pytest.mark.usefixtures("backend")


async def test_deep_and_large_json_bodies_are_refused_before_parsing(api: Api) -> None:
    import py_ecc  # noqa: F401  (raises the recursion limit, as verifying an Aster key does in a server)

    assert sys.getrecursionlimit() >= 100_000
    auth = (await api.user("limits@example.com")).auth
    deep = "[" * 30_000 + "]" * 30_000
    answer = await api.client.post(
        "/api/v1/connections", content=deep, headers={**auth, "content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "body" and "nested more than" in answer.json()["detail"]
    huge = '{"exchange": "bybit", "credentials": {"api_key": "' + "A" * 200_000 + '"}}'
    answer = await api.client.post(
        "/api/v1/connections", content=huge, headers={**auth, "content-type": "application/json"}
    )
    assert answer.status_code == 413 and "AAAAAAAAAA" not in answer.text
    # The server is still up and ordinary bodies still parse.
    answer = await api.client.post("/api/v1/connections", json={"exchange": "bybit", "credentials": {}}, headers=auth)
    assert answer.status_code == 422 and answer.json()["field"] != "body"
