"""`tradedock connect` in a real terminal: hidden prompts that say what each field is, then the report; one
Ctrl-C at a prompt ends the command at once (exit 130), cleanly, with nothing stored."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import subprocess
import sys
import termios
import time

from tests.cli.conftest import Cli

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


CTRL_C = "\x03"


def _run_in_terminal(cli: Cli, args: list[str], answers: list[str], timeout_s: float = 60) -> tuple[int, str]:
    """Run the command with a pseudo-terminal as its controlling terminal, answering each prompt once it is
    fully written (click prints the label, then getpass turns echo off and prints the final space). An answer
    of `CTRL_C` types Ctrl-C (the terminal sends SIGINT) and nothing else — no Enter afterwards."""
    master, slave = pty.openpty()

    def controlling_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        # As a shell starts a command in a terminal: Ctrl-C interrupts it. A test run started in the background by a
        # non-interactive shell (`… &`) ignores SIGINT, and a child would inherit that and never see the Ctrl-C.
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    proc = subprocess.Popen(
        [sys.executable, "-m", "tradedock", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**cli.env, "COLUMNS": "120"},
        preexec_fn=controlling_terminal,
    )
    os.close(slave)
    output = b""
    pending = list(answers)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            if pending and output.endswith(b": "):
                # A prompt ends in ": ", but so may a chunk cut inside a field's help line ("API secret: …"):
                # answer only once the terminal has been quiet for 0.3 s after it.
                more, _, _ = select.select([master], [], [], 0.3)
                if more:
                    continue
                answer = pending.pop(0)
                os.write(master, (answer if answer == CTRL_C else answer + "\r").encode())
                output += b"\n"
            if proc.poll() is not None and not ready:
                break
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # still running: fail on the caller's assertion, showing the screen
            proc.kill()
            code = proc.wait(timeout=10)
            output += f"\n[still running after {timeout_s:g} s; killed]".encode()
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return code, ANSI.sub(b"", output).decode(errors="replace")


def test_connect_prompts_for_each_field_hidden_and_connects(cli: Cli) -> None:
    preset = cli.scenario("bitget", "healthy")
    creds = preset["credentials"]
    code, screen = _run_in_terminal(
        cli,
        ["connect", "bitget", "--environment", "sandbox", "--label", "terminal"],
        [f"  {creds['api_key']} ", creds["secret"], creds["passphrase"]],
    )
    assert code == 0, screen
    assert "not your login password" in screen  # the passphrase is explained
    assert creds["secret"] not in screen and creds["passphrase"] not in screen  # hidden input
    assert "Verdict: Connected" in screen
    assert "pasted spaces" in screen
    listed = cli.run("list", "--json").json()
    assert [row["label"] for row in listed] == ["terminal"]


def test_one_ctrl_c_at_a_secret_prompt_exits_130_at_once_with_nothing_stored(cli: Cli) -> None:
    preset = cli.scenario("bybit", "healthy")
    code, screen = _run_in_terminal(
        cli,
        ["connect", "bybit", "--environment", "sandbox", "--label", "interrupted"],
        [preset["credentials"]["api_key"], CTRL_C],  # Ctrl-C at the (hidden) secret prompt, no Enter after it
        timeout_s=60,
    )
    assert code == 130, screen
    assert "Interrupted: nothing was stored." in screen
    assert "Traceback" not in screen and "CancelledError" not in screen and "Aborted" not in screen
    assert cli.run("list", "--json").json() == []
