"""``tradedock worker``: run the monitor on its own (re-checks, expiry warnings, webhook deliveries).

What belongs here: opening TradeDock, running the monitor until SIGTERM/SIGINT, and the ready line. On PostgreSQL
the worker is a procrastinate worker (`tradedock.monitor.queue.QueueWorker`): any number of them, on any number of
hosts, share the re-check and delivery jobs. On SQLite it is the in-process loop of rounds
(`tradedock.monitor.MonitorRunner`, as in `tradedock serve`). Either way the connection's lease is fenced in the
check's record transaction: no connection is checked twice at once, and a killed worker's work is done by another
once its lease (``TRADEDOCK_MONITOR_LEASE_S``) expires. What does not: the rules (services.monitor).
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

        from tradedock.eventloop import settle_long_running
        from tradedock.services.monitor import MonitorService

        ctx = await open_context(settings)
        try:
            service = MonitorService(ctx)
            if once:
                from tradedock.services.execution import ExecutionService

                result = await service.run_round()
                await service.aclose()
                executed = await ExecutionService(ctx, service.worker_id).run_round()  # the bots' orders due now
                summary = {
                    "worker": service.worker_id,
                    "checked": result.checked,
                    "failed": result.failed,
                    "deferred": result.deferred,
                    "bot_orders_sent": executed.sent,
                }
                deferred = f", deferred {result.deferred} (rate budget full)" if result.deferred else ""
                print(
                    json.dumps(summary)
                    if as_json
                    else f"Checked {result.checked}, failed {result.failed}{deferred}; "
                    f"sent {executed.sent} bot order(s)."
                )
                return EXIT_OK
            stopping = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stopping.set)
            queue = "procrastinate" if ctx.engine.dialect.name == "postgresql" else "rounds"
            await service.meet(stopping)  # workers started together count each other before the first request
            settle_long_running()  # started: what survives now lives as long as the process
            ready = {"worker": service.worker_id, "database": ctx.engine.dialect.name, "queue": queue}
            print(
                json.dumps(ready) if as_json else f"TradeDock worker {service.worker_id} running (Ctrl+C to stop)",
                flush=True,
            )
            if queue == "procrastinate":
                from tradedock.monitor.queue import QueueWorker
                from tradedock.services.builtin_strategies import builtin_tick_hook  # signals from market data
                from tradedock.services.execution import tick_hook  # the bots' execution engine, once per tick
                from tradedock.services.retention import retention_tick_hook  # old history, every ten minutes

                # Signals from market data once per tick for everyone; the bots' orders in every worker (leased).
                queue_worker = QueueWorker(
                    ctx,
                    service=service,
                    tick_hooks=(builtin_tick_hook(), retention_tick_hook()),
                    worker_hooks=(tick_hook(service.worker_id),),
                )
                await queue_worker.run(stopping)
            else:
                from tradedock.monitor import MonitorRunner

                runner = MonitorRunner(ctx, service=service)
                runner.stopping = stopping
                await runner.run()
            return EXIT_OK
        finally:
            await ctx.aclose()

    run(go(), as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command()(worker)
