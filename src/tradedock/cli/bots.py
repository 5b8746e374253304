"""``tradedock bot …``: list, create, show, start, pause, stop — a connection put to work on a strategy.

What belongs here: mapping the options onto the service's `BotRequest`, and the plain or ``--json`` rendering of
bots, their positions and PnL, orders and events (user text always as `rich.text.Text`). A start the connection
is not fit for exits 2 and prints the reason, the failing checks and the fix (``--json``: ``error`` with
``reason`` and ``problems``). What does not: the rules (services.bots) or executing orders (the workers). Services,
settings and Rich are imported inside the commands (start-up time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from tradedock.errors import BotNotReadyError, InvalidInputError

from .common import EXIT_INPUT, EXIT_OK, guarded, report_error, run, settings_or_exit
from .strategies import USER_OPTION, acting_owner, remove_after_confirming, with_context

if TYPE_CHECKING:
    from tradedock.services.context import AppContext

bot_app = typer.Typer(no_args_is_help=True, help="Bots: a connection trading a strategy's signals.")

JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON.")
BOT_ID = typer.Argument(..., help="A bot id or a unique prefix (tradedock bot list).")


def _bot_rows(bots: list[dict[str, Any]]) -> Any:
    from rich.text import Text

    from .output import grid

    rows = []
    for bot in bots:
        positions = ", ".join(f"{p['symbol']} {p['qty']}" for p in bot["positions"]) or "flat"
        sizing = f"{bot['sizing_value']} USDT" if bot["sizing_kind"] == "fixed_quote" else f"{bot['sizing_value']} %"
        rows.append(
            [
                Text(bot["id"][:8]),
                Text(bot["name"]),
                Text(bot["state"] + (" (paper)" if bot["mode"] == "paper" else "")),
                Text(", ".join(bot["symbols"])),
                Text(sizing),
                Text(positions),
                Text(bot["realized_pnl"]),
            ]
        )
    headers = ("id", "name", "state", "symbols", "sizing", "position", "realized PnL")
    return grid(f"Bots ({len(rows)})", headers, rows, right={6})


def _print_bot(view: dict[str, Any], *, as_json: bool, said: str | None = None) -> None:
    from rich.text import Text

    from .output import make_console, print_json

    if as_json:
        print_json(view)
        return
    console = make_console()
    if said:
        console.print(Text(said))
    console.print(_bot_rows([view]), soft_wrap=True)
    if view.get("state_reason"):
        console.print(Text(f"Reason: {view['state_reason']}"))


@bot_app.command("list")
def list_bots(user: str = USER_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Your bots: state, symbols, sizing, position and realized PnL."""
    settings = settings_or_exit(as_json=as_json)

    async def go() -> int:
        from tradedock.services.bots import BotService

        from .output import make_console, print_json

        async def work(ctx: AppContext) -> list[dict[str, Any]]:
            return [b.to_json() for b in await BotService(ctx, await acting_owner(ctx, user)).list()]

        bots = await with_context(settings, work)
        if as_json:
            print_json(bots)
        elif not bots:
            make_console().print(
                "No bots yet. Create one: tradedock bot create --connection ID --strategy ID --symbol BTCUSDT "
                "--quote 100",
                markup=False,
            )
        else:
            make_console().print(_bot_rows(bots), soft_wrap=True)
        return EXIT_OK

    run(go(), as_json=as_json)


def _stops(given: list[str]) -> dict[str, str]:
    stops: dict[str, str] = {}
    for item in given:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InvalidInputError(
                "stop", "--stop takes NAME=VALUE", fix="e.g. --stop max_loss_pct=10 --stop take_profit_quote=50"
            )
        stops[key.strip()] = value.strip()
    return stops


@bot_app.command("create")
def create(
    connection: str = typer.Option(..., "--connection", help="The connection the bot trades on (id or prefix)."),
    strategy: str = typer.Option(..., "--strategy", help="The strategy whose signals it trades (id)."),
    symbol: list[str] = typer.Option(..., "--symbol", help="A symbol to trade, e.g. BTCUSDT (repeat for more)."),
    quote: str = typer.Option(None, "--quote", help="Fixed size: every position is worth this much USDT."),
    balance_pct: str = typer.Option(None, "--balance-pct", help="Size: this percent of the futures balance."),
    name: str = typer.Option(None, "--name", help='A name for the bot (default: "<symbols> bot").'),
    leverage_cap: str = typer.Option(None, "--leverage-cap", help="At most this times the balance in positions."),
    max_position: str = typer.Option(None, "--max-position", help="At most this much USDT in one position."),
    stop: list[str] = typer.Option(
        [],
        "--stop",
        help="A stop condition NAME=VALUE: max_loss_quote, max_loss_pct, take_profit_quote, "
        "take_profit_pct (repeat for more).",
    ),
    paper: bool = typer.Option(False, "--paper", help="Paper mode: trade a fresh sandbox account, no real money."),
    user: str = USER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a bot (state draft) linking a connection to a strategy; start it with `tradedock bot start`."""
    settings = settings_or_exit(as_json=as_json)
    with guarded(as_json=as_json):
        from pydantic import ValidationError

        from tradedock.services.bot_views import BotMode, BotRequest, SizingKind

        if (quote is None) == (balance_pct is None):
            raise InvalidInputError("quote", "give exactly one of --quote and --balance-pct", fix="e.g. --quote 100")
        fields: dict[str, Any] = {
            "name": name or f"{' '.join(symbol)} bot",
            "connection_id": connection,
            "strategy_id": strategy,
            "symbols": symbol,
            "sizing_kind": SizingKind.FIXED_QUOTE if quote is not None else SizingKind.BALANCE_PCT,
            "sizing_value": quote if quote is not None else balance_pct,
            "leverage_cap": leverage_cap,
            "max_position_quote": max_position,
            "stops": _stops(stop),
            "mode": BotMode.PAPER if paper else BotMode.LIVE,
        }
        option = {"sizing_value": "quote" if quote is not None else "balance-pct", "max_position_quote": "max-position"}
        try:
            request = BotRequest(**fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = str(first["loc"][0]) if first.get("loc") else "bot"
            raise InvalidInputError(
                option.get(where, where.replace("_", "-")),
                f"--{option.get(where, where)}: {first['msg']}",
                fix="Give a number, e.g. 100.",
            ) from None

    async def go() -> int:
        from tradedock.services.bots import BotService

        async def work(ctx: AppContext) -> dict[str, Any]:
            return dict((await BotService(ctx, await acting_owner(ctx, user)).create(request)).to_json())

        view = await with_context(settings, work)
        _print_bot(
            view,
            as_json=as_json,
            said=f"Created bot {view['id']} (draft). Start it: tradedock bot start {view['id'][:8]}",
        )
        return EXIT_OK

    run(go(), as_json=as_json)


@bot_app.command("show")
def show(bot_id: str = BOT_ID, user: str = USER_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Show a bot: state, positions and PnL, its newest orders and its audit trail."""
    settings = settings_or_exit(as_json=as_json)

    async def go() -> int:
        from rich.text import Text

        from tradedock.services.bots import BotService

        from .output import grid, make_console, print_json, render_fields

        async def work(ctx: AppContext) -> dict[str, Any]:
            return dict((await BotService(ctx, await acting_owner(ctx, user)).get(bot_id)).to_json())

        detail = await with_context(settings, work)
        if as_json:
            print_json(detail)
            return EXIT_OK
        console = make_console()
        bot = dict(detail["bot"])
        positions = bot.pop("positions")
        bot["symbols"] = ", ".join(bot["symbols"])
        bot["stops"] = ", ".join(f"{k}={v}" for k, v in bot["stops"].items()) or None
        render_fields(console, bot, none_text={"paper_connection_id": "— (live)", "started_at": "never"})
        if positions:
            keys = ("symbol", "qty", "entry_price", "mark_price", "unrealised_pnl")
            rows = [[_cell(p[k]) for k in keys] for p in positions]
            columns = ("symbol", "qty", "entry", "mark", "unrealised PnL")
            console.print(grid("Positions", columns, rows, right={1, 2, 3, 4}), soft_wrap=True)
        else:
            console.print(Text("Positions: flat"))
        if detail["orders"]:
            fields = ("created_at", "symbol", "action", "side", "qty", "state", "filled_qty", "avg_price", "error")
            rows = [[_cell(o[f] if f != "created_at" else o[f][:19]) for f in fields] for o in detail["orders"]]
            headers = ("created", "symbol", "signal", "side", "qty", "state", "filled", "avg price", "error")
            console.print(grid("Orders (newest first)", headers, rows, right={4, 6, 7}), soft_wrap=True)
        if detail["events"]:
            console.print(Text("Events (newest first):", style="bold"))
            for event in detail["events"]:
                data = event["data"]
                line = Text("  ")
                line.append(event["created_at"][:19], style="dim")
                line.append(f"  {event['type']}  ")
                if "from" in data and "to" in data:
                    line.append(f"{data['from']} → {data['to']}  ")
                line.append(str(data.get("reason") or data.get("error") or data.get("state") or ""))
                console.print(line)
        return EXIT_OK

    run(go(), as_json=as_json)


def _cell(value: object) -> Any:
    from rich.text import Text

    return Text("—" if value is None else str(value))


def _transition(bot_id: str, user: str | None, as_json: bool, action: str, **options: bool) -> None:
    settings = settings_or_exit(as_json=as_json)

    async def go() -> int:
        from tradedock.services.bots import BotService

        async def work(ctx: AppContext) -> dict[str, Any]:
            service = BotService(ctx, await acting_owner(ctx, user))
            return dict((await getattr(service, action)(bot_id, **options)).to_json())

        try:
            view = await with_context(settings, work)
        except BotNotReadyError as refused:
            return _not_ready(refused, as_json=as_json)
        _print_bot(view, as_json=as_json, said=f"Bot {view['id']} is {view['state']}.")
        return EXIT_OK

    run(go(), as_json=as_json)


def _not_ready(refused: BotNotReadyError, *, as_json: bool) -> int:
    """The connection is not fit to trade: the reason code, each failing check, the fix; exit 2."""
    if as_json:
        from .output import print_json

        error = {"type": type(refused).__name__, "message": refused.message, "reason": refused.reason,
                 "problems": refused.problems, "fix": refused.fix}  # fmt: skip
        print_json({"error": error})
        return EXIT_INPUT
    from rich.text import Text

    from .output import make_console

    report_error(refused, as_json=False)
    console = make_console(stderr=True)
    console.print(Text(f"Reason: {refused.reason}"))
    for problem in refused.problems:
        console.print(Text(f"  ✘ {problem}"))
    return EXIT_INPUT


@bot_app.command("start")
def start(bot_id: str = BOT_ID, user: str = USER_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Start (or resume) a bot after re-verifying its connection; refused (exit 2) when it cannot trade."""
    _transition(bot_id, user, as_json, "start")


@bot_app.command("pause")
def pause(bot_id: str = BOT_ID, user: str = USER_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Pause a running bot: no new order until it is started again."""
    _transition(bot_id, user, as_json, "pause")


@bot_app.command("stop")
def stop(
    bot_id: str = BOT_ID,
    close_position: bool = typer.Option(
        False, "--close-position", help="Also close its positions (reduce-only, sent by the workers)."
    ),
    user: str = USER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Stop a bot for good (from any state)."""
    _transition(bot_id, user, as_json, "stop", close_position=close_position)


@bot_app.command("remove")
def remove(
    bot_id: str = BOT_ID,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask (required without a terminal)."),
    user: str = USER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete a draft or stopped bot with no order in progress (its events stay)."""
    from tradedock.services.bots import BotService

    async def ask(ctx: AppContext) -> tuple[str, str]:
        view = (await BotService(ctx, await acting_owner(ctx, user)).get(bot_id)).bot
        return f"Delete bot {view.name!r} ({view.id}, {view.state.value})?", view.id

    async def delete(ctx: AppContext, item_id: str) -> None:
        await BotService(ctx, await acting_owner(ctx, user)).delete(item_id)

    remove_after_confirming(
        settings_or_exit(as_json=as_json),
        yes=yes,
        as_json=as_json,
        item_id=bot_id,
        ask=ask,
        delete=delete,
        done=lambda item_id: f"Deleted bot {item_id}; its events stay in the history.",
    )


def register(app: typer.Typer) -> None:
    app.add_typer(bot_app, name="bot")
