"""Sandbox URLs must be loopback unless the operator allows a remote sandbox: credentials are sent there, in
clear over http (issue 18 item 6). Checked where the URL is used, so the recorded file is covered too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.security.conftest import InProcessCli
from tradedock.config import load_settings
from tradedock.domain import Environment, ExchangeId
from tradedock.errors import InvalidInputError
from tradedock.services.exchange_access import ExchangeAccess, check_sandbox_url


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9", "http://127.8.9.10:9/x", "https://[::1]:9", "http://localhost:9", "http://LOCALHOST"]
)
def test_loopback_urls_are_accepted(url: str) -> None:
    check_sandbox_url("bybit", url, allow_remote=False)


@pytest.mark.parametrize(
    "url",
    ["http://203.0.113.5:9", "http://sandbox.example.com", "http://127.0.0.1.evil.example", "http://[::ffff:10.0.0.1]"],
)
def test_remote_hosts_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(InvalidInputError, match="not this machine") as caught:
        check_sandbox_url("bybit", url, allow_remote=False)
    assert caught.value.field == "TRADEDOCK_SANDBOX_URLS"
    assert "TRADEDOCK_SANDBOX_ALLOW_REMOTE" in (caught.value.fix or "")
    check_sandbox_url("bybit", url, allow_remote=True)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "file:///etc/passwd", "127.0.0.1:80", "javascript:alert(1)"])
def test_other_schemes_are_refused_even_when_remote_is_allowed(url: str) -> None:
    with pytest.raises(InvalidInputError, match="not an http"):
        check_sandbox_url("bybit", url, allow_remote=True)


def test_the_recorded_urls_file_is_checked_too(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path, sandbox_urls={})
    settings.sandbox_urls_file.write_text(json.dumps({"bybit": "http://198.51.100.7:8080"}))
    access = ExchangeAccess(settings=settings, clock=None, transports={})  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"198\.51\.100\.7"):
        access.base_url(ExchangeId.BYBIT, Environment.SANDBOX, Environment.LIVE)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_connect_to_a_remote_sandbox_sends_nothing_and_exits_2(tcli: InProcessCli) -> None:
    credentials = tcli.healthy("bitget")
    tcli.env["TRADEDOCK_SANDBOX_URLS"] = json.dumps({"bitget": "http://192.0.2.1:9"})
    result = tcli.connect("bitget", credentials)
    assert result.code == 2, result.stdout
    assert json.loads(result.stdout)["error"]["field"] == "TRADEDOCK_SANDBOX_URLS"
