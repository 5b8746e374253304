"""`tradedock strategy …` and `tradedock bot …` in process against the simulators: the secret printed once,
operators publishing with --user, a bot created, started (re-verified), paused and stopped, refusals naming the
field or the reason with exit 2, and user text printed literally (no Rich markup)."""

from __future__ import annotations

from tests.cli.conftest import Cli

MARKUP_NAME = "[bold red]boom[/] [link=http://x]y[/link]"


def _strategy(cli: Cli, *extra: str) -> dict[str, object]:
    made = cli.run("strategy", "create", MARKUP_NAME, *extra, "--json")
    assert made.code == 0, made.stdout + made.stderr
    answer: dict[str, object] = made.json()
    return answer


def test_strategy_commands(cli: Cli) -> None:
    plain = cli.run("strategy", "create", MARKUP_NAME, "--description", "from TradingView")
    assert plain.code == 0, plain.stdout + plain.stderr
    secret = plain.stdout.strip()
    assert secret.startswith("tds_") and "\n" not in secret
    assert "shown only this once" in plain.stderr and '"action": "{{strategy.market_position}}"' in plain.stderr

    listed = cli.run("strategy", "list", "--json")
    [strategy] = listed.json()
    assert strategy["name"] == MARKUP_NAME and strategy["secret_hint"] == secret[:8] and secret not in listed.stdout
    table = cli.run("strategy", "list")
    assert MARKUP_NAME in table.stdout and secret not in table.stdout  # printed literally, never as markup

    shown = cli.run("strategy", "show", strategy["id"])
    assert shown.code == 0 and MARKUP_NAME in shown.stdout and secret not in shown.stdout

    rotated = cli.run("strategy", "rotate-secret", strategy["id"], "--json")
    new_secret = rotated.json()["secret"]
    assert rotated.code == 0 and new_secret != secret and rotated.json()["strategy"]["secret_hint"] == new_secret[:8]

    # Publishing needs an operator: the local user is not one; --user must name an existing user.
    refused = cli.run("strategy", "publish", strategy["id"], "--json")
    assert refused.code == 2 and refused.json()["error"]["type"] == "NotAllowedError"
    nobody = cli.run("strategy", "publish", strategy["id"], "--user", "nobody@example.com", "--json")
    assert nobody.code == 2 and nobody.json()["error"]["field"] == "user"
    made = cli.run("user", "create", "op@example.com", "--operator", "--password-stdin", stdin="correct horse 1\n")
    assert made.code == 0, made.stderr
    mine = _strategy(cli, "--user", "op@example.com")["strategy"]
    assert isinstance(mine, dict)
    published = cli.run("strategy", "publish", mine["id"], "--user", "op@example.com", "--json")
    assert published.code == 0 and published.json()["visibility"] == "public"
    seen = {s["id"]: s["owned"] for s in cli.run("strategy", "list", "--json").json()}
    assert seen == {strategy["id"]: True, mine["id"]: False}

    bad = cli.run("strategy", "create", "MA", "--params", "[1]", "--builtin", "ma_crossover", "--json")
    assert bad.code == 2 and bad.json()["error"]["field"] == "params"
    catalog = cli.run("strategy", "builtins", "--json").json()
    assert {"ma_crossover", "dca"} <= {b["name"] for b in catalog}
    assert "fast" in cli.run("strategy", "builtins").stdout
    unknown = cli.run("strategy", "show", "not-a-strategy-id", "--json")
    assert unknown.code == 2 and unknown.json()["error"]["type"] == "NotFoundError"

    needs_yes = cli.run("strategy", "remove", strategy["id"], "--json")
    assert needs_yes.code == 2 and needs_yes.json()["error"]["field"] == "yes"
    removed = cli.run("strategy", "remove", strategy["id"], "--yes", "--json")
    assert removed.code == 0 and removed.json() == {"removed": strategy["id"]}
    assert [s["id"] for s in cli.run("strategy", "list", "--json").json()] == [mine["id"]]


def test_bot_commands(cli: Cli) -> None:
    connected = cli.connect("bybit", cli.scenario("bybit", "healthy")["credentials"])
    assert connected.code == 0, connected.stdout + connected.stderr
    connection_id = connected.json()["connection_id"]
    strategy = _strategy(cli)["strategy"]
    assert isinstance(strategy, dict)
    base = ("bot", "create", "--connection", connection_id[:8], "--strategy", strategy["id"], "--symbol", "BTCUSDT")

    both = cli.run(*base, "--quote", "100", "--balance-pct", "5", "--json")
    assert both.code == 2 and both.json()["error"]["field"] == "quote"
    not_number = cli.run(*base, "--quote", "lots", "--json")
    assert not_number.code == 2 and not_number.json()["error"]["field"] == "quote"
    bad_stop = cli.run(*base, "--quote", "100", "--stop", "max_loss_pct", "--json")
    assert bad_stop.code == 2 and bad_stop.json()["error"]["field"] == "stop"
    no_symbol = cli.run(*base[:-1], "DOGEMOONUSDT", "--quote", "100", "--json")
    assert no_symbol.code == 2 and no_symbol.json()["error"]["field"] == "symbols"

    created = cli.run(*base, "--quote", "100", "--name", MARKUP_NAME, "--stop", "max_loss_pct=10", "--json")
    assert created.code == 0, created.stdout + created.stderr
    bot = created.json()
    assert (bot["state"], bot["sizing_kind"], bot["sizing_value"], bot["stops"]) == (
        "draft",
        "fixed_quote",
        "100",
        {"max_loss_pct": "10"},
    )
    assert MARKUP_NAME in cli.run("bot", "list").stdout

    started = cli.run("bot", "start", bot["id"][:8], "--json")
    assert started.code == 0 and started.json()["state"] == "running", started.stdout + started.stderr
    paused = cli.run("bot", "pause", bot["id"][:8])
    assert paused.code == 0 and "paused" in paused.stdout
    shown = cli.run("bot", "show", bot["id"][:8])
    assert shown.code == 0 and MARKUP_NAME in shown.stdout and "bot.state_changed" in shown.stdout
    detail = cli.run("bot", "show", bot["id"], "--json").json()
    assert [e["data"]["to"] for e in detail["events"]] == ["paused", "running", "draft"]
    stopped = cli.run("bot", "stop", bot["id"], "--close-position", "--json")
    assert stopped.code == 0 and stopped.json()["state"] == "stopped"
    again = cli.run("bot", "start", bot["id"], "--json")
    assert again.code == 2 and again.json()["error"]["type"] == "ConflictError"
    needs_yes = cli.run("bot", "remove", bot["id"], "--json")
    assert needs_yes.code == 2 and needs_yes.json()["error"]["field"] == "yes"
    closing = cli.run("bot", "remove", bot["id"][:8], "--yes", "--json")  # its close order waits for a worker
    assert closing.code == 2 and closing.json()["error"]["type"] == "ConflictError"
    draft = cli.run(*base, "--quote", "100", "--json").json()
    removed = cli.run("bot", "remove", draft["id"][:8], "--yes", "--json")
    assert removed.code == 0, removed.stdout + removed.stderr
    assert [b["id"] for b in cli.run("bot", "list", "--json").json()] == [bot["id"]]


def test_bot_start_refused_names_the_reason(cli: Cli) -> None:
    hedge = cli.connect("bybit", cli.scenario("bybit", "hedge_mode")["credentials"])
    assert hedge.code == 3, hedge.stdout + hedge.stderr
    strategy = _strategy(cli)["strategy"]
    assert isinstance(strategy, dict)
    created = cli.run(
        "bot", "create", "--connection", hedge.json()["connection_id"], "--strategy", strategy["id"],
        "--symbol", "BTCUSDT", "--balance-pct", "10", "--json",
    )  # fmt: skip
    assert created.code == 0, created.stdout + created.stderr
    refused = cli.run("bot", "start", created.json()["id"], "--json")
    error = refused.json()["error"]
    assert refused.code == 2 and error["type"] == "BotNotReadyError"
    assert error["reason"] in ("connection_status", "position_mode") and error["fix"]
    plain = cli.run("bot", "start", created.json()["id"])
    assert plain.code == 2 and "Reason:" in plain.stderr and "Fix:" in plain.stderr
    assert cli.run("bot", "show", created.json()["id"], "--json").json()["bot"]["state"] == "draft"
