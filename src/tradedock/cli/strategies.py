"""``tradedock strategy …``: list, create, show, publish, rotate-secret, remove — webhook and built-in strategies.

What belongs here: the options of each command, printing a new signal secret once (stdout; the note on stderr,
as ``token create`` does) and the TradingView alert message that goes with it, and the plain or ``--json``
rendering (user text always as `rich.text.Text`). Commands act as the local CLI user, or as an API user with
``--user EMAIL`` (publishing needs an operator). What does not: the rules (services.strategies). Services,
settings and Rich are imported inside the commands (start-up time).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer

from tradedock.errors import InvalidInputError

from .common import EXIT_OK, guarded, open_context, run, settings_or_exit

if TYPE_CHECKING:
    from tradedock.config import Settings
    from tradedock.services.context import AppContext

T = TypeVar("T")

strategy_app = typer.Typer(no_args_is_help=True, help="Strategies: signal sources that bots trade.")

JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON.")
USER_OPTION = typer.Option(
    None, "--user", help="Act as this API user (e-mail) instead of the local CLI user; publishing needs an operator."
)
STRATEGY_ID = typer.Argument(..., help="A strategy id (tradedock strategy list).")
#: A TradingView alert message for a webhook strategy ({{…}} are TradingView's placeholders).
ALERT_TEMPLATE = {
    "signal_id": "{{ticker}}-{{strategy.market_position}}-{{timenow}}",
    "action": "{{strategy.market_position}}",
    "symbol": "{{ticker}}",
    "time": "{{timenow}}",
}


async def acting_owner(ctx: AppContext, user: str | None) -> str:
    """The owner the services act for: the local CLI user, or an existing API user named with ``--user``."""
    from tradedock.services.accounts import AccountService
    from tradedock.services.records import LOCAL_OWNER

    if user is None:
        return LOCAL_OWNER
    async with ctx.reading() as session:
        return (await AccountService(session, ctx.clock).existing_user(user)).email


async def with_context(settings: Settings, fn: Callable[[AppContext], Awaitable[T]]) -> T:
    ctx = await open_context(settings)
    try:
        return await fn(ctx)
    finally:
        await ctx.aclose()


def remove_after_confirming(
    settings: Settings,
    *,
    yes: bool,
    as_json: bool,
    item_id: str,
    ask: Callable[[AppContext], Awaitable[tuple[str, str]]],
    delete: Callable[[AppContext, str], Awaitable[None]],
    done: Callable[[str], str],
) -> NoReturn:
    """What ``strategy remove`` and ``bot remove`` share: without ``--yes``, look the item up (``ask`` returns the
    question and the item's full id) and confirm on the terminal (no terminal: refused, naming ``--yes``); then
    ``delete`` it and print ``done(id)`` (``--json``: ``{"removed": id}``)."""
    if not yes:
        with guarded(as_json=as_json):
            if not sys.stdin.isatty():
                raise InvalidInputError("yes", "no terminal to confirm the removal on", fix="Add --yes.")
            from tradedock import eventloop

            from .prompts import confirm

            question, item_id = eventloop.run(with_context(settings, ask))
            if not confirm(question):
                print("Nothing was removed.", file=sys.stderr)
                raise typer.Exit(EXIT_OK)

    async def go() -> int:
        from rich.text import Text

        from .output import make_console, print_json

        await with_context(settings, lambda ctx: delete(ctx, item_id))
        if as_json:
            print_json({"removed": item_id})
        else:
            make_console().print(Text(done(item_id)))
        return EXIT_OK

    run(go(), as_json=as_json)


def _print_secret(made: dict[str, Any], *, as_json: bool) -> None:
    """A new signal secret: once, on stdout, with the alert message to paste into TradingView."""
    from rich.text import Text

    from .output import make_console, print_json

    if as_json:
        print_json(made)
        return
    strategy = made["strategy"]
    out, err = make_console(), make_console(stderr=True)
    out.print(made["secret"], markup=False, highlight=False)
    note = Text(f"Signal secret of strategy {strategy['name']!r} (id {strategy['id']}). ")
    note.append("It is shown only this once: store it now.", style="bold")
    err.print(note)
    err.print(
        Text(
            f"Post signals to {made['signal_url_path']} (the secret in the body, or the X-TradeDock-Secret "
            "header). TradingView alert message:"
        )
    )
    err.print(Text(json.dumps({"secret": made["secret"], **ALERT_TEMPLATE})), soft_wrap=True)


def _strategy_rows(strategies: list[dict[str, Any]]) -> Any:
    from rich.text import Text

    from .output import grid

    rows = [
        [
            Text(s["id"]),
            Text(s["name"]),
            Text(s["kind"] if s["kind"] == "webhook" else f"builtin {s.get('builtin_name') or ''}"),
            Text(s["visibility"] + ("" if s["owned"] else " (not yours)")),
            Text(s.get("secret_hint") or "—"),
        ]
        for s in strategies
    ]
    headers = ("id", "name", "kind", "visibility", "secret")
    return grid(f"Strategies ({len(rows)})", headers, rows, right=set())


@strategy_app.command("list")
def list_strategies(user: str = USER_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Your strategies and every published one."""
    settings = settings_or_exit(as_json=as_json)

    async def go() -> int:
        from tradedock.services.strategies import StrategyService

        from .output import make_console, print_json

        async def work(ctx: AppContext) -> list[dict[str, Any]]:
            return [v.to_json() for v in await StrategyService(ctx, await acting_owner(ctx, user)).list()]

        strategies = await with_context(settings, work)
        if as_json:
            print_json(strategies)
        elif not strategies:
            make_console().print("No strategies yet. Create one: tradedock strategy create NAME", markup=False)
        else:
            make_console().print(_strategy_rows(strategies), soft_wrap=True)
        return EXIT_OK

    run(go(), as_json=as_json)


@strategy_app.command("builtins")
def builtins(as_json: bool = JSON_OPTION) -> None:
    """The built-in strategies and their parameters (for strategy create --builtin NAME --params JSON)."""
    from rich.text import Text

    from tradedock.services.builtin_strategies import builtin_catalog

    from .output import make_console, print_json

    catalog = [b.to_json() for b in builtin_catalog()]
    if as_json:
        print_json(catalog)
        return
    console = make_console()
    for strategy in catalog:
        console.print(Text(f"{strategy['name']} — {strategy['title']}", style="bold"))
        console.print(Text(f"  {strategy['description']}"))
        for param in strategy["params"]:
            line = Text(f"  {param['name']}", style="bold")
            extra = "required" if param["required"] else f"default {param['default']}"
            if param["choices"]:
                extra += f"; one of {', '.join(param['choices'])}"
            line.append(f" ({param['kind']}, {extra}): {param['help']}", style="")
            console.print(line)


@strategy_app.command("create")
def create(
    name: str = typer.Argument(..., help="A name for the strategy (shown exactly as typed)."),
    description: str = typer.Option("", "--description", help="What the strategy does."),
    max_signal_age: int = typer.Option(60, "--max-signal-age", help="Refuse webhook signals older than this (s)."),
    builtin: str = typer.Option(
        None, "--builtin", help="A built-in strategy (ma_crossover, dca) instead of a webhook strategy."
    ),
    params: str = typer.Option(None, "--params", help='The built-in strategy\'s parameters as JSON, e.g. {"fast": 9}.'),
    user: str = USER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a webhook strategy (its signal secret is printed once) or a built-in one (--builtin)."""
    settings = settings_or_exit(as_json=as_json)
    parsed: dict[str, Any] = {}
    with guarded(as_json=as_json):
        if params is not None and builtin is None:
            raise InvalidInputError("params", "--params goes with --builtin", fix="Add --builtin NAME, or drop it.")
        if params is not None:
            from tradedock.jsonlimits import JsonLimitError, loads_limited

            try:
                value = loads_limited(params)
            except (JsonLimitError, ValueError):
                raise InvalidInputError("params", "--params is not a JSON object", fix='e.g. {"fast": 9}.') from None
            if not isinstance(value, dict):
                raise InvalidInputError("params", "--params is not a JSON object", fix='e.g. {"fast": 9}.')
            parsed = value

    async def go() -> int:
        from tradedock.services.strategies import StrategyService

        from .output import make_console, print_json

        async def work(ctx: AppContext) -> dict[str, Any]:
            service = StrategyService(ctx, await acting_owner(ctx, user))
            if builtin is None:
                made = await service.create_webhook(name, description=description, max_signal_age_s=max_signal_age)
                return dict(made.to_json())
            view = await service.create_builtin(name, builtin, parsed, description=description)
            return {"strategy": view.to_json(), "secret": None, "signal_url_path": None}

        made = await with_context(settings, work)
        if made["secret"] is not None:
            _print_secret(made, as_json=as_json)
        elif as_json:
            print_json(made)
        else:
            strategy = made["strategy"]
            from rich.text import Text

            make_console().print(Text(f"Created built-in strategy {strategy['name']!r} (id {strategy['id']})."))
        return EXIT_OK

    run(go(), as_json=as_json)


@strategy_app.command("show")
def show(strategy_id: str = STRATEGY_ID, user: str = USER_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Show a strategy (never its secret) and, if it is yours, its newest accepted signals."""
    settings = settings_or_exit(as_json=as_json)

    async def go() -> int:
        from rich.text import Text

        from tradedock.services.strategies import StrategyService

        from .output import grid, make_console, print_json, render_fields

        async def work(ctx: AppContext) -> dict[str, Any]:
            service = StrategyService(ctx, await acting_owner(ctx, user))
            view = (await service.get(strategy_id)).to_json()
            signals = await service.signals(view["id"], limit=20) if view["owned"] else []
            return {**view, "signals": [s.to_json() for s in signals]}

        view = await with_context(settings, work)
        if as_json:
            print_json(view)
            return EXIT_OK
        console = make_console()
        signals = view.pop("signals")
        view["params"] = json.dumps(view["params"]) if view["params"] else None
        render_fields(console, view, none_text={"secret_hint": "none (built-in)", "builtin_name": "— (webhook)"})
        if signals:
            rows = [
                [Text(s["received_at"][:19]), Text(s["signal_id"]), Text(s["action"]), Text(s["symbol"]),
                 Text(s["outcome"])]
                for s in signals
            ]  # fmt: skip
            headers = ("received", "signal_id", "action", "symbol", "outcome")
            console.print(grid("Newest signals", headers, rows, right=set()), soft_wrap=True)
        return EXIT_OK

    run(go(), as_json=as_json)


@strategy_app.command("publish")
def publish(
    strategy_id: str = STRATEGY_ID,
    private: bool = typer.Option(False, "--private", help="Make a published strategy private again."),
    user: str = USER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Publish a strategy to every user (operators only: --user OPERATOR_EMAIL)."""
    settings = settings_or_exit(as_json=as_json)

    async def go() -> int:
        from rich.text import Text

        from tradedock.services.strategies import StrategyService

        from .output import make_console, print_json

        async def work(ctx: AppContext) -> dict[str, Any]:
            service = StrategyService(ctx, await acting_owner(ctx, user))
            return dict((await service.publish(strategy_id, public=not private)).to_json())

        view = await with_context(settings, work)
        if as_json:
            print_json(view)
        else:
            make_console().print(Text(f"Strategy {view['name']!r} ({view['id']}) is now {view['visibility']}."))
        return EXIT_OK

    run(go(), as_json=as_json)


@strategy_app.command("rotate-secret")
def rotate_secret(strategy_id: str = STRATEGY_ID, user: str = USER_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Give a webhook strategy a new signal secret (printed once); the old one stops working at once."""
    settings = settings_or_exit(as_json=as_json)

    async def go() -> int:
        from tradedock.services.strategies import StrategyService

        async def work(ctx: AppContext) -> dict[str, Any]:
            service = StrategyService(ctx, await acting_owner(ctx, user))
            return dict((await service.rotate_secret(strategy_id)).to_json())

        _print_secret(await with_context(settings, work), as_json=as_json)
        return EXIT_OK

    run(go(), as_json=as_json)


@strategy_app.command("remove")
def remove(
    strategy_id: str = STRATEGY_ID,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask (required without a terminal)."),
    user: str = USER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete a strategy and its signals (refused while a bot that is not stopped follows it)."""
    from tradedock.services.strategies import StrategyService

    async def ask(ctx: AppContext) -> tuple[str, str]:
        view = await StrategyService(ctx, await acting_owner(ctx, user)).get(strategy_id)
        return f"Delete strategy {view.name!r} ({view.id}) and its signals?", strategy_id

    async def delete(ctx: AppContext, item_id: str) -> None:
        await StrategyService(ctx, await acting_owner(ctx, user)).delete(item_id)

    remove_after_confirming(
        settings_or_exit(as_json=as_json),
        yes=yes,
        as_json=as_json,
        item_id=strategy_id,
        ask=ask,
        delete=delete,
        done=lambda item_id: f"Deleted strategy {item_id}; senders using its secret are now refused.",
    )


def register(app: typer.Typer) -> None:
    app.add_typer(strategy_app, name="strategy")
