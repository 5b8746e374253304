"""`tradedock sandbox` bookkeeping: one sandbox per HOME (a second refuses instead of overwriting the URL file),
a file left by a killed sandbox is recognised as stale, and a client hanging up is not a simulator error."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.requests import ClientDisconnect

from tradedock.cli.sandbox import claim_urls_file
from tradedock.config import load_settings
from tradedock.errors import InvalidInputError
from tradedock_sim.cli import quiet_client_disconnects


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_second_sandbox_on_the_same_home_refuses(tmp_path: Path) -> None:
    urls_file = tmp_path / "sandbox-urls.json"
    running = os.getppid()  # a live process that is not us
    urls_file.write_text(json.dumps({"pid": running, "urls": {"bybit": "http://127.0.0.1:9"}}))
    with pytest.raises(InvalidInputError) as refused:
        claim_urls_file(urls_file)
    assert f"process {running}" in refused.value.message and "already running" in refused.value.message
    assert json.loads(urls_file.read_text())["pid"] == running  # untouched


def test_a_file_left_by_a_killed_sandbox_is_taken_over(tmp_path: Path) -> None:
    urls_file = tmp_path / "sandbox-urls.json"
    urls_file.write_text(json.dumps({"pid": _dead_pid(), "urls": {"bybit": "http://127.0.0.1:9"}}))
    claim_urls_file(urls_file)
    assert json.loads(urls_file.read_text()) == {"pid": os.getpid(), "urls": {}}
    assert oct(urls_file.stat().st_mode & 0o777) == oct(0o600)


def test_stale_recorded_urls_are_not_used(tradedock_home: Path) -> None:
    settings = load_settings()
    tradedock_home.mkdir(mode=0o700)
    dead = _dead_pid()
    settings.sandbox_urls_file.write_text(json.dumps({"pid": dead, "urls": {"bybit": "http://127.0.0.1:9"}}))
    assert settings.effective_sandbox_urls() == {}
    assert settings.stale_sandbox_pid() == dead
    settings.sandbox_urls_file.write_text(json.dumps({"pid": os.getpid(), "urls": {"bybit": "http://127.0.0.1:9"}}))
    assert settings.effective_sandbox_urls() == {"bybit": "http://127.0.0.1:9"}
    assert settings.stale_sandbox_pid() is None


def _log_with(exc: BaseException) -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        return logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application", (), sys.exc_info()
        )


def test_a_client_hanging_up_is_not_logged_as_a_simulator_error() -> None:
    quiet_client_disconnects()
    logger = logging.getLogger("uvicorn.error")
    assert not logger.filter(_log_with(ClientDisconnect()))
    assert not logger.filter(_log_with(ExceptionGroup("wrapped", [ClientDisconnect()])))
    assert logger.filter(_log_with(RuntimeError("a real bug")))
