"""Paper mode: a bot that trades with no real money, on an account of its own on the sandbox simulator.

What belongs here: provisioning that account through the simulator's control API over HTTP (tradedock never
imports the simulators) — the simulator's ``healthy`` preset (`POST /_sim/scenarios/healthy`: a funded futures
account in one-way mode and a trade-permitted key) — and connecting its key as a ``sandbox`` connection labelled
``paper: <bot name>``, verified and vaulted like any other. The engine then executes the paper bot on that
connection exactly as it executes a live one. What does not: execution (services.execution).

Needs the sandbox (``TRADEDOCK_SANDBOX_URLS`` or ``tradedock sandbox``); otherwise `create` refuses naming ``mode``.
"""

from __future__ import annotations

import httpx

from tradedock.domain import Environment, ExchangeId, Scope
from tradedock.errors import InvalidInputError
from tradedock.services.connect_input import ConnectRequest
from tradedock.services.connections import ConnectionService
from tradedock.services.context import AppContext

PAPER_PRESET = "healthy"
LABEL_PREFIX = "paper: "


def _no_sandbox(exchange: str, why: str) -> InvalidInputError:
    return InvalidInputError(
        "mode",
        f"paper mode needs the {exchange} sandbox simulator: {why}",
        fix="Start the simulators with `tradedock sandbox` (or set TRADEDOCK_SANDBOX_URLS), or create a live bot.",
    )


async def provision_paper_account(ctx: AppContext, owner: str, exchange: str, bot_name: str) -> str:
    """A new simulator account for one paper bot, connected for ``owner``; the connection id."""
    exchange_id = ExchangeId(exchange)
    try:
        root = ctx.access.base_url(exchange_id, Environment.SANDBOX, Environment.LIVE)
    except InvalidInputError as missing:
        raise _no_sandbox(exchange, missing.message) from None
    assert root is not None
    origin = root.split("/", 3)
    control = "/".join(origin[:3]) + f"/_sim/scenarios/{PAPER_PRESET}"
    transport = ctx.access.transports.get(exchange_id)
    async with httpx.AsyncClient(transport=transport, timeout=10.0) as client:
        try:
            answer = await client.post(control, json={"reset": False})
        except httpx.HTTPError as exc:
            raise _no_sandbox(exchange, f"it did not answer ({type(exc).__name__})") from None
    if answer.status_code != 200:
        raise _no_sandbox(exchange, f"its control API answered HTTP {answer.status_code}")
    credentials = answer.json().get("credentials")
    if not isinstance(credentials, dict):
        raise _no_sandbox(exchange, "its control API gave no credentials")
    label = (LABEL_PREFIX + bot_name)[:100]
    request = ConnectRequest(exchange_id, Environment.SANDBOX, Scope.FUTURES, None, label, credentials)
    outcome = await ConnectionService(ctx, owner).connect(request)
    if outcome.connection_id is None:
        raise _no_sandbox(exchange, f"its paper account could not be connected ({outcome.status.value})")
    return outcome.connection_id
