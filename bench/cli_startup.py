"""CLI start-up: how long the real ``tradedock`` command takes for --help, version, list and show.

Runs the installed console script in fresh processes (what a user types), interleaving the commands so a load
spike on the machine hits them all alike, and compares them with ``python -c pass`` (the interpreter's own
start). ``list`` runs against a home with 0 connections and one with 1,000 (sealed through the real vault and
repositories); ``show`` shows one of the 1,000, with a stored verification report. The package's bytecode is
compiled first and the children may write bytecode (``PYTHONDONTWRITEBYTECODE`` is dropped from their
environment), as in a pip-installed copy: a shell that sets it would otherwise recompile every changed module on
each run. Each command runs once first to warm the file cache, then ``--runs`` times; wall time (best and
median) and CPU time (user + system of the child, best and median) are reported. Prints a Markdown table.

    .venv/bin/python -m bench.cli_startup [--runs 15] [--connections 1000]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from tradedock import eventloop
from tradedock.config import load_settings
from tradedock.db.repositories import ConnectionRepository, NewCheckResult, UserRepository, VerificationRunRepository
from tradedock.services.context import open_app
from tradedock.services.records import LOCAL_OWNER
from tradedock.vault import SealContext
from tradedock.verification import CHECK_IDS


async def seed(home: Path, count: int) -> str:
    """``count`` Bitget connections in ``home`` (through open_app: migrations, master key, vault canary)."""
    ctx = await open_app(load_settings(home=home, database_url=None, master_key=None, master_key_file=None))
    try:
        async with ctx.transaction() as session:
            owner = (await UserRepository(session).get_or_create(LOCAL_OWNER)).id
            repo = ConnectionRepository(session)
            for i in range(count):
                connection_id = f"00000000-0000-4000-8000-{i:012d}"
                fields = {"api_key": f"bg_{i:032x}", "secret": os.urandom(32).hex(), "passphrase": f"pass{i:08d}"}
                await repo.add(
                    connection_id=connection_id,
                    owner_id=owner,
                    exchange="bitget",
                    environment="live",
                    label=f"account {i}",
                    scope="futures",
                    status="connected",
                    key_fingerprint=ctx.vault.fingerprint("bitget", fields["api_key"]),
                    masked_key="bg_…" + fields["api_key"][-4:],
                    sealed=ctx.vault.seal(fields, SealContext(owner, connection_id, "bitget")),
                    contract_type="usdt_m",
                )
        if count:  # `show` shows a connection with its last verification report, as after a connect
            async with ctx.transaction() as session:
                await VerificationRunRepository(session).add(
                    connection_id="00000000-0000-4000-8000-000000000000",
                    trigger="connect",
                    status="connected",
                    started_at=datetime.now(UTC),
                    duration_ms=420,
                    results=[NewCheckResult(check_id, "pass", f"{check_id} is fine") for check_id in CHECK_IDS],
                )
    finally:
        await ctx.aclose()
    return "00000000-0000-4000-8000-000000000000"


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of one run of ``argv``; fails loudly on a non-zero exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run(runs: int, count: int) -> list[tuple[str, float, float, float, float]]:
    import tradedock

    compileall.compile_dir(str(Path(tradedock.__file__).parent), quiet=1)
    tradedock_command = str(Path(sys.executable).with_name("tradedock"))
    base_env = {
        k: v for k, v in os.environ.items() if not k.startswith("TRADEDOCK_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    with TemporaryDirectory() as tmp:
        empty, full = Path(tmp) / "empty", Path(tmp) / "full"
        show_id = eventloop.run(seed(full, count))
        eventloop.run(seed(empty, 0))
        env_empty = {**base_env, "TRADEDOCK_HOME": str(empty)}
        env_full = {**base_env, "TRADEDOCK_HOME": str(full)}
        listed = subprocess.run([tradedock_command, "list", "--json"], env=env_full, capture_output=True, check=True)
        assert len(json.loads(listed.stdout)) == count, "the seeded connections are not what list shows"
        cases: list[tuple[str, list[str], dict[str, str]]] = [
            ("python -c pass", [sys.executable, "-c", "pass"], base_env),
            ("tradedock --help", [tradedock_command, "--help"], env_empty),
            ("tradedock version", [tradedock_command, "version"], env_empty),
            ("tradedock list (0 connections)", [tradedock_command, "list"], env_empty),
            (f"tradedock list ({count:,} connections)", [tradedock_command, "list"], env_full),
            (f"tradedock list --json ({count:,} connections)", [tradedock_command, "list", "--json"], env_full),
            ("tradedock show ID", [tradedock_command, "show", show_id], env_full),
        ]
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in cases}
        for _, argv, env in cases:  # warm-up
            _timed(argv, env)
        for _ in range(runs):
            for name, argv, env in cases:
                samples[name].append(_timed(argv, env))
    rows = []
    for name, _, _ in cases:
        walls = [wall for wall, _ in samples[name]]
        cpus = [cpu for _, cpu in samples[name]]
        rows.append((name, min(walls), statistics.median(walls), min(cpus), statistics.median(cpus)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--connections", type=int, default=1000)
    args = parser.parse_args()
    rows = run(args.runs, args.connections)
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| command | best wall | median wall | best CPU (user+sys) | median CPU |\n|---|---|---|---|---|")
    for name, best, median, best_cpu, cpu in rows:
        figures = " | ".join(f"{seconds * 1000:.0f} ms" for seconds in (best, median, best_cpu, cpu))
        print(f"| `{name}` | {figures} |")


if __name__ == "__main__":
    main()
