"""The planted-secret sweep over every CLI command (issue 17): plain, ``--json`` and ``--verbose``, success and
failure paths, on SQLite and PostgreSQL. It scans stdout, stderr, every log line, every file in the home and
the database (SQLite files, or ``pg_dump``) for each planted secret in raw, URL-encoded, JSON-escaped, base64
and hex forms (see `tests.security.sweep`), and fails on any hit.

Includes the slips users make: the secret given as a JSON key, the fields swapped, the secret pasted as the
label or as the connection id. Commands that run servers (``serve``, ``sandbox``, ``demo``) are exempt here
with the reason; `test_every_command_is_swept` fails when a new command is added without a sweep entry.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

from tests.security.conftest import InProcessCli, Result
from tests.security.sweep import Sweep
from tradedock.cli.main import app

#: Fields whose values must never come back (public addresses — Aster wallets — are shown on purpose).
PLANTED_FIELDS = ("api_key", "secret", "passphrase", "private_key")

SWEPT = {
    "version", "guide", "connect", "list", "show", "check", "replace", "remove", "balances", "vault rotate",
    "user create", "token create", "db upgrade", "fix",
    "strategy list", "strategy create", "strategy show", "strategy publish", "strategy rotate-secret",
    "strategy remove", "strategy builtins",
    "bot list", "bot create", "bot show", "bot start", "bot pause", "bot stop", "bot remove",
}  # fmt: skip
EXEMPT = {
    "serve": "runs the HTTP server; the API sweep covers its routes",
    "sandbox": "runs the simulators in the foreground; it prints sandbox-only keys it minted itself",
    "demo": "starts the simulators and connects keys it minted itself",
    "worker": "runs the monitor loop; tests/monitor/test_workers_pg.py scans every worker's output for the keys",
}
VARIANTS = ((), ("--json",), ("--verbose",))


def _commands(group: Any, prefix: str = "") -> Iterator[str]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group (Typer may vendor its own click: no isinstance)
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}"


def test_every_command_is_swept() -> None:
    commands = set(_commands(typer.main.get_command(app)))
    assert commands - SWEPT - set(EXEMPT) == set(), "add the new command to the sweep below (or EXEMPT, with why)"
    assert SWEPT <= commands


@dataclass
class Runner:
    tcli: InProcessCli
    sweep: Sweep

    def run(self, *args: str, stdin: str | None = None, variant: tuple[str, ...] = ()) -> Result:
        if variant == ("--verbose",):
            argv = ["--verbose", *args]
        else:
            argv = [*args, *variant]
        result = self.tcli.run(*argv, stdin=stdin)
        self.sweep.record(f"tradedock {' '.join(argv)!r} stdout", result.stdout)
        self.sweep.record(f"tradedock {' '.join(argv)!r} stderr", result.stderr)
        assert "Traceback" not in result.stdout + result.stderr, argv
        return result

    def each(self, *args: str, stdin: str | None = None) -> list[Result]:
        return [self.run(*args, stdin=stdin, variant=variant) for variant in VARIANTS]

    def connect(self, exchange: str, credentials: object, *extra: str) -> list[Result]:
        stdin = credentials if isinstance(credentials, str) else json.dumps(credentials)
        return self.each("connect", exchange, "--environment", "sandbox", "--credentials", "-", *extra, stdin=stdin)

    def key(self, exchange: str) -> dict[str, str]:
        credentials = self.tcli.healthy(exchange)
        self.sweep.plant_fields(credentials, PLANTED_FIELDS)
        return credentials


def _connection_id(tcli: InProcessCli, credentials: dict[str, str]) -> str:
    public_id = credentials.get("api_key") or credentials["api_wallet"]
    rows = tcli.raw.execute("SELECT id FROM connections WHERE masked_key = ?", ("…" + public_id[-4:],))
    assert len(rows) == 1, rows
    return str(rows[0][0])


@pytest.mark.slow
def test_no_planted_secret_leaves_through_any_command(tcli: InProcessCli, tmp_path: Path) -> None:
    sweep = Sweep()
    r = Runner(tcli, sweep)
    fake = "Sw33pFakeSecret" + secrets.token_hex(12)
    sweep.plant(fake)

    for args in (("version",), ("guide", "bybit"), ("guide", "bitget"), ("guide", "aster"), ("db", "upgrade")):
        r.each(*args)

    # Successes (the 2nd and 3rd variants meet "already connected": a refusal path).
    bybit, bitget, aster = r.key("bybit"), r.key("bitget"), r.key("aster")
    results = r.connect("bybit", bybit)
    assert [x.code for x in results] == [0, 2, 2]
    bybit_id = _connection_id(tcli, bybit)
    assert r.connect("bitget", bitget)[0].code == 0
    bitget_id = _connection_id(tcli, bitget)
    assert r.connect("aster", aster)[0].code == 0
    from_file = r.key("bybit")
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps(from_file))
    assert r.run("connect", "bybit", "--environment", "sandbox", "--credentials", str(path), "--json").code == 0

    # Failure paths: wrong secret and passphrase (the exchange refuses), malformed and oversized input.
    other = r.key("bybit")
    assert {x.code for x in r.connect("bybit", {**other, "secret": fake})} == {4}
    other_bitget = r.key("bitget")
    assert {x.code for x in r.connect("bitget", {**other_bitget, "passphrase": "Wr0ng" + fake[:20]})} == {4}
    sweep.plant("Wr0ng" + fake[:20])
    assert {x.code for x in r.connect("bybit", json.dumps({**other, "secret": fake})[:-3])} == {2}
    assert {x.code for x in r.connect("bybit", {**other, "secret": fake + "é"})} == {2}
    assert {x.code for x in r.connect("bybit", {**other, "secret": fake * 40})} == {2}

    # Slips: the secret as a JSON key, the fields swapped, the secret as the label, the secret as the id.
    assert {x.code for x in r.connect("bybit", {"api_key": other["api_key"], other["secret"]: ""})} == {2}
    assert {x.code for x in r.connect("bybit", {"api_key": other["api_key"], fake: other["secret"]})} == {2}
    swapped = {"api_key": other["secret"], "secret": other["api_key"]}
    assert {x.code for x in r.connect("bybit", swapped)} <= {2, 4}
    assert {x.code for x in r.connect("bybit", other, "--label", other["secret"])} == {2}
    assert {x.code for x in r.connect("bybit", other, "--label", f"main {other['secret']} acct")} == {2}
    for command in ("show", "check", "balances"):
        assert {x.code for x in r.each(command, other["secret"])} == {2}
    assert {x.code for x in r.each("remove", other["secret"], "--yes")} == {2}

    # Reads and re-verification of stored connections.
    r.each("list")
    r.each("show", bybit_id)
    r.each("show", bybit_id[:8])
    r.each("check", bitget_id)
    r.each("check", "--all")
    r.each("balances", bybit_id)
    r.each("fix", bitget_id, "--yes")  # nothing to fix on a healthy key: a refusal path
    assert {x.code for x in r.each("fix", other["secret"], "--yes")} == {2}

    # Replace: success, wrong secret, secret as key, secret as id.
    uid = tcli.raw.execute("SELECT account_uid FROM connections WHERE id = ?", (bybit_id,))[0][0]
    for _ in VARIANTS:
        new = tcli.sim(
            "bybit",
            "/_sim/keys",
            {"uid": uid, "permissions": {"ContractTrade": ["Order", "Position"]}, "ips": ["127.0.0.1"]},
        )
        new = {k: new[k] for k in ("api_key", "secret")}
        sweep.plant_fields(new, PLANTED_FIELDS)
        replaced = r.run("replace", bybit_id, "--credentials", "-", "--json", stdin=json.dumps(new))
        assert replaced.code == 0, replaced.stdout + replaced.stderr
    r.each("replace", bybit_id, "--credentials", "-", stdin=json.dumps({**other, "secret": fake}))
    r.each("replace", bybit_id, "--credentials", "-", stdin=json.dumps({"api_key": other["api_key"], fake: ""}))
    r.each("replace", other["secret"], "--credentials", "-", stdin=json.dumps(other))

    # Accounts: the password comes on stdin and must never be echoed.
    password = "Sw33pPassw0rd-" + secrets.token_urlsafe(12)
    sweep.plant(password)
    for n, variant in enumerate(VARIANTS):
        r.run("user", "create", f"sweep{n}@example.com", "--password-stdin", stdin=password + "\n", variant=variant)
    r.each("user", "create", "not-an-email", "--password-stdin", stdin=password + "\n")
    r.each("token", "create", "--user", "sweep0@example.com", "--name", "ci")

    # Strategies and bots. A signal secret is printed by `strategy create` / `rotate-secret` once, on purpose:
    # those answers are swept with it blanked, then it is planted and must appear nowhere else.
    def shown_once(*args: str) -> dict[str, Any]:
        result = tcli.run(*args, "--json")
        assert result.code == 0, result.stdout + result.stderr
        made: dict[str, Any] = json.loads(result.stdout)
        for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
            sweep.record(f"tradedock {' '.join(args)!r} {name}", text.replace(made["secret"], "<signal secret>"))
        sweep.plant(made["secret"])
        return made

    for variant in VARIANTS:
        result = r.run("strategy", "create", "sweep " + "-".join(variant), variant=variant)
        assert result.code == 0
        secret_line = result.stdout.strip().splitlines()[0] if variant == ("--json",) else ""
        assert not secret_line or secret_line.startswith("{")
    strategy_id = shown_once("strategy", "create", "signals")["strategy"]["id"]
    shown_once("strategy", "rotate-secret", strategy_id)
    r.each("strategy", "list")
    r.each("strategy", "builtins")
    r.each("strategy", "show", strategy_id)
    r.each("strategy", "publish", strategy_id)  # the local user is no operator: a refusal path
    for command in ("show", "publish", "rotate-secret"):
        assert {x.code for x in r.each("strategy", command, other["secret"])} == {2}
    bot_args = ("--connection", bitget_id, "--strategy", strategy_id, "--symbol", "BTCUSDT", "--quote", "50")
    bots = [json.loads(r.run("bot", "create", *bot_args, "--json").stdout)["id"] for _ in VARIANTS]
    r.each("bot", "create", *bot_args)
    assert {x.code for x in r.each("bot", "create", *bot_args[:2], "--strategy", other["secret"], "--quote", "1")} == {
        2
    }
    r.each("bot", "list")
    r.each("bot", "show", bots[0])
    r.each("bot", "start", bots[0])
    r.each("bot", "pause", bots[0])
    r.each("bot", "stop", bots[0], "--close-position")
    for command in ("show", "start", "pause", "stop"):
        assert {x.code for x in r.each("bot", command, other["secret"])} == {2}
    assert {x.code for x in r.each("bot", "remove", other["secret"], "--yes")} == {2}
    for variant in VARIANTS:
        doomed_bot = json.loads(r.run("bot", "create", *bot_args, "--json").stdout)["id"]
        assert r.run("bot", "remove", doomed_bot, "--yes", variant=variant).code == 0
    for variant, bot_id in zip(VARIANTS, bots[1:] + bots[:1], strict=True):
        r.run("bot", "stop", bot_id, variant=variant)
    for variant in VARIANTS:
        doomed_strategy = json.loads(tcli.run("strategy", "create", "doomed", "--json").stdout)
        sweep.plant(doomed_strategy["secret"])
        assert r.run("strategy", "remove", doomed_strategy["strategy"]["id"], "--yes", variant=variant).code == 0
    assert {x.code for x in r.each("strategy", "remove", other["secret"], "--yes")} == {2}

    # Vault rotation, then removal (each variant removes its own connection).
    r.each("vault", "rotate")
    for variant in VARIANTS:
        doomed = r.key("bybit")
        stdin = json.dumps(doomed)
        assert r.run("connect", "bybit", "--environment", "sandbox", "--credentials", "-", stdin=stdin).code == 0
        connection_id = _connection_id(tcli, doomed)
        assert r.run("remove", connection_id, "--yes", variant=variant).code == 0

    # Everything stored: the database (SQLite files or pg_dump), every file in the home, and the logs.
    sweep.record_bytes("database", tcli.raw.dump())
    for file in sorted(p for p in tcli.home.rglob("*") if p.is_file()):
        sweep.record_bytes(f"home file {file.name}", file.read_bytes())
    sweep.record("logs", "\n".join(tcli.log))
    assert len(sweep.secrets) >= 20
    sweep.assert_clean()
