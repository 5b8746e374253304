"""``tradedock worker``: run the monitor on its own (re-checks, expiry warnings, webhook deliveries).

What belongs here: opening TradeDock, running `tradedock.monitor.MonitorRunner` until SIGTERM/SIGINT, and the
ready line. Any number of workers may run at once on PostgreSQL (leases: no connection is checked twice at once;
a killed worker's leases expire after ``TRADEDOCK_MONITOR_LEASE_S``). What does not: the rules (services.monitor).
"""

from __future__ import annotations

import json

import typer

from .common import EXIT_OK, open_context, run, settings_or_exit


def worker(
    once: bool = typer.Option(False, "--once", help="Run one round (everything due now), then exit."),
    as_json: bool = typer.Option(False, "--json", help="Print the ready line and round results as JSON."),
) -> None:
    """Run the monitor: re-check connections on their schedule, send expiry warnings, deliver webhooks."""
    settings = settings_or_exit(as_json=as_json)

    async def go() -> int:
        import asyncio
        import signal

        from tradedock.monitor import MonitorRunner
        from tradedock.services.monitor import MonitorService

        ctx = await open_context(settings)
        try:
            service = MonitorService(ctx)
            if once:
                result = await service.run_round()
                await service.aclose()
                summary = {"worker": service.worker_id, "checked": result.checked, "failed": result.failed}
                print(json.dumps(summary) if as_json else f"Checked {result.checked}, failed {result.failed}.")
                return EXIT_OK
            runner = MonitorRunner(ctx, service=service)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, runner.stopping.set)
            ready = {"worker": service.worker_id, "database": ctx.engine.dialect.name}
            print(
                json.dumps(ready) if as_json else f"TradeDock worker {service.worker_id} running (Ctrl+C to stop)",
                flush=True,
            )
            await runner.run()
            return EXIT_OK
        finally:
            await ctx.aclose()

    run(go(), as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command()(worker)
