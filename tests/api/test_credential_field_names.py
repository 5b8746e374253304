"""API validation errors never name a user-typed key inside ``credentials`` unless it is a field an exchange
takes (issue 17: a secret pasted as a JSON key must not come back in problem+json ``field``)."""

from __future__ import annotations

import secrets

import pytest

from tests.api.conftest import Api

pytestmark = pytest.mark.usefixtures("backend")


async def test_a_secret_as_a_credentials_key_is_not_echoed_by_validation(api: Api) -> None:
    auth = (await api.user("keys@example.com")).auth
    planted = "Sw33p" + secrets.token_urlsafe(24)
    body = {"exchange": "bybit", "environment": "sandbox", "credentials": {"api_key": "ABCDEFGHIJKLMNOPQR", planted: 5}}
    answer = await api.client.post("/api/v1/connections", json=body, headers=auth)
    assert answer.status_code == 422
    assert planted not in answer.text and planted.lower() not in answer.text.lower()
    assert answer.json()["field"] == "credentials"
    # A known field name is still named, so the error stays useful.
    body["credentials"] = {"api_key": "ABCDEFGHIJKLMNOPQR", "secret": 5}
    answer = await api.client.post("/api/v1/connections", json=body, headers=auth)
    assert answer.status_code == 422 and answer.json()["field"] == "credentials.secret"
