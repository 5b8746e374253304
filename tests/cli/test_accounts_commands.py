"""`tradedock user create`, `tradedock token create` (in-process, Typer's CliRunner) and `tradedock serve` (a real
subprocess: only it proves the printed URL, the migrations at start-up and the access log on stderr)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tradedock.cli.main import app
from tradedock.services.accounts import AccountService
from tradedock.services.context import open_app

PASSWORD = "a long enough password"


def _invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


async def _principal_of(token: str) -> tuple[str, bool]:
    ctx = await open_app()
    try:
        async with ctx.transaction() as session:
            who = await AccountService(session, ctx.clock).from_token(token)
    finally:
        await ctx.aclose()
    return who.email, who.is_operator


def test_user_and_token_create(tradedock_home: Path) -> None:
    code, out, _ = _invoke(
        "user", "create", "Op@Example.com", "--operator", "--password-stdin", "--json", stdin=PASSWORD + "\n"
    )
    assert code == 0, out
    assert json.loads(out)["email"] == "op@example.com" and json.loads(out)["is_operator"] is True
    assert PASSWORD not in out

    code, out, _ = _invoke("token", "create", "--user", "op@example.com", "--name", "ci", "--json")
    assert code == 0, out
    made = json.loads(out)
    assert set(made) == {"token", "id"} and made["token"].startswith("tdp_")
    assert asyncio.run(_principal_of(made["token"])) == ("op@example.com", True)

    code, out, err = _invoke("token", "create", "--user", "op@example.com", "--name", "human")
    assert code == 0 and out.strip().startswith("tdp_") and "shown only this once" in err


def test_bad_input_is_named_not_a_traceback(tradedock_home: Path) -> None:
    code, out, _ = _invoke("user", "create", "not-an-email", "--password-stdin", "--json", stdin=PASSWORD + "\n")
    assert code == 2 and json.loads(out)["error"]["field"] == "email"
    code, out, _ = _invoke("user", "create", "a@example.com", "--password-stdin", "--json", stdin="short\n")
    assert code == 2 and json.loads(out)["error"]["field"] == "password"
    code, out, _ = _invoke("user", "create", "a@example.com", "--password-stdin", "--json", stdin=PASSWORD + "\n")
    assert code == 0
    code, out, _ = _invoke("user", "create", "a@example.com", "--password-stdin", "--json", stdin=PASSWORD + "\n")
    assert code == 2 and json.loads(out)["error"]["field"] == "email"
    code, out, _ = _invoke("token", "create", "--user", "nobody@example.com", "--name", "x", "--json")
    assert code == 2 and json.loads(out)["error"]["field"] == "user"


@pytest.mark.slow
def test_serve_prints_its_url_and_logs_requests_without_secrets(tradedock_home: Path) -> None:
    assert _invoke("user", "create", "op@example.com", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    _, out, _ = _invoke("token", "create", "--user", "op@example.com", "--name", "ci", "--json")
    token = json.loads(out)["token"]
    env = {**os.environ, "TRADEDOCK_HOME": str(tradedock_home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tradedock", "serve", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert ready["openapi"].endswith("/api/v1/openapi.json")
        with httpx.Client(base_url=ready["api"], timeout=30) as client:
            assert client.get("/openapi.json").status_code == 200
            assert (
                client.get("/me", headers={"Authorization": f"Bearer {token}"}).json()["user"]["email"]
                == "op@example.com"
            )
            login = client.post("/auth/login", json={"email": "op@example.com", "password": PASSWORD})
            assert login.status_code == 200
            cookie = client.cookies["tradedock_session"]
            csrf = login.json()["csrf_token"]
            assert client.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/api/v1/openapi.json", 200),
        ("GET", "/api/v1/me", 200),
        ("POST", "/api/v1/auth/login", 200),
        ("POST", "/api/v1/auth/logout", 204),
    ]
    for secret in (token, PASSWORD, cookie, csrf):
        assert secret not in err
