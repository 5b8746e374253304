"""Control API served on every simulator port under `/_sim/` (DESIGN.md "Simulator").

Belongs here: parsing/validating control payloads, creating accounts and keys, setting config/clock/faults/network,
reset. Scenario endpoints live in `scenarios.py`. Does not belong here: exchange wire formats.
Bad input -> HTTP 400 `{"error": "...", "field": "<dotted field>"}`. Control endpoints are exempt from faults
and rate limits (see `middleware.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tradedock_sim.core.faults import parse_faults
from tradedock_sim.core.jsonlimits import loads_body
from tradedock_sim.core.network import HANDSHAKE_ROUNDS, NetworkModel
from tradedock_sim.core.plugin import ExchangeSim
from tradedock_sim.core.rules import current as current_rules
from tradedock_sim.core.rules import describe as describe_rules
from tradedock_sim.core.rules import set_rules
from tradedock_sim.core.state import ENVIRONMENTS, POSITION_MODES, Account, ApiKey, ControlInputError, SimState

ACCOUNT_FIELDS = {"uid", "account_mode", "position_mode", "margin_mode", "balances", "open_positions", "open_orders"}
KEY_FIELDS = {"uid", "permissions", "ips", "expires_at", "environment", "label"}


def sim_state(request: Request) -> SimState:
    """The `SimState` of the app serving this request."""
    state: SimState = request.app.state.sim
    return state


def sim_plugin(request: Request) -> ExchangeSim:
    plugin: ExchangeSim = request.app.state.plugin
    return plugin


def error_response(exc: ControlInputError) -> JSONResponse:
    return JSONResponse({"error": exc.message, "field": exc.field}, status_code=400)


async def read_json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        payload = loads_body(raw)
    except ValueError as exc:
        raise ControlInputError("body", f"not valid JSON ({exc.args[0]})") from exc
    if not isinstance(payload, dict):
        raise ControlInputError("body", "must be a JSON object")
    return payload


def _choice(payload: Mapping[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = payload.get(name, default)
    if value not in allowed:
        raise ControlInputError(name, f"must be one of {', '.join(allowed)} (got {value!r})")
    return str(value)


def _flag(payload: Mapping[str, Any], name: str) -> bool:
    value = payload.get(name, False)
    if not isinstance(value, bool):
        raise ControlInputError(name, "must be true or false")
    return value


def _balances(plugin: ExchangeSim, raw: object) -> dict[str, dict[str, Decimal]]:
    if not isinstance(raw, dict):
        raise ControlInputError(
            "balances", 'must be an object {wallet: {coin: amount}}, e.g. {"UNIFIED": {"USDT": "100"}}'
        )
    balances: dict[str, dict[str, Decimal]] = {}
    for wallet, coins in raw.items():
        if wallet not in plugin.wallets:
            raise ControlInputError(
                f"balances.{wallet}", f"unknown wallet; {plugin.name} wallets: {', '.join(plugin.wallets)}"
            )
        if not isinstance(coins, dict):
            raise ControlInputError(f"balances.{wallet}", "must be an object {coin: amount}")
        for coin, amount in coins.items():
            try:
                value = Decimal(str(amount))
            except InvalidOperation as exc:
                raise ControlInputError(f"balances.{wallet}.{coin}", "must be a number") from exc
            if isinstance(amount, bool) or not value.is_finite() or value < 0:
                raise ControlInputError(f"balances.{wallet}.{coin}", "must be a non-negative number")
            balances.setdefault(wallet, {})[str(coin).upper()] = value
    return balances


def create_account(state: SimState, plugin: ExchangeSim, payload: Mapping[str, Any]) -> Account:
    """Validate a `POST /_sim/accounts` payload and store the account."""
    uid_raw = payload.get("uid")
    if uid_raw is None:
        uid = plugin.new_uid(state)
        while uid in state.accounts:  # random ids collide now and then in fleets of thousands
            uid = plugin.new_uid(state)
    elif isinstance(uid_raw, str | int) and not isinstance(uid_raw, bool):
        uid = plugin.validate_uid(str(uid_raw))
    else:
        raise ControlInputError("uid", "must be a string")
    if uid in state.accounts:
        raise ControlInputError("uid", f"account {uid} already exists")
    extra = plugin.validate_account_extra({k: v for k, v in payload.items() if k not in ACCOUNT_FIELDS})
    account = Account(
        uid=uid,
        account_mode=_choice(payload, "account_mode", tuple(plugin.account_modes), plugin.account_modes[0]),
        position_mode=_choice(payload, "position_mode", POSITION_MODES, "one_way"),
        margin_mode=_choice(payload, "margin_mode", plugin.margin_modes, plugin.default_margin_mode),
        balances=_balances(plugin, payload.get("balances", {})),
        open_positions=_flag(payload, "open_positions"),
        open_orders=_flag(payload, "open_orders"),
        extra=extra,
    )
    state.accounts[uid] = account
    return account


def _ips(raw: object) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(ip, str) and ip.strip() for ip in raw):
        raise ControlInputError("ips", 'must be a list of IP strings, e.g. ["203.0.113.7"] (or ["*"] for none)')
    return [ip.strip() for ip in raw]


def create_key(state: SimState, plugin: ExchangeSim, payload: Mapping[str, Any]) -> ApiKey:
    """Validate a `POST /_sim/keys` payload, mint credentials and store the key."""
    uid = payload.get("uid")
    if uid is None:
        raise ControlInputError("uid", "required: create an account first with POST /_sim/accounts")
    if str(uid) not in state.accounts:
        raise ControlInputError("uid", f"no account {uid}; create it first with POST /_sim/accounts")
    if "permissions" not in payload:
        raise ControlInputError("permissions", f"required, in {plugin.name}'s own vocabulary")
    permissions = plugin.validate_permissions(payload["permissions"])
    ips = _ips(payload.get("ips"))
    expires_at = payload.get("expires_at")
    if expires_at is not None and (not isinstance(expires_at, int) or isinstance(expires_at, bool)):
        raise ControlInputError("expires_at", "must be epoch milliseconds (integer)")
    environment = _choice(payload, "environment", ("live", *plugin.environments), "live")
    if environment not in ENVIRONMENTS:
        raise ControlInputError("environment", f"must be one of {', '.join(ENVIRONMENTS)}")
    label = payload.get("label", "")
    if not isinstance(label, str):
        raise ControlInputError("label", "must be a string")
    extra = plugin.validate_key_extra({k: v for k, v in payload.items() if k not in KEY_FIELDS})
    account = state.accounts[str(uid)]
    minted = plugin.mint_credentials(state, account, extra)
    key = ApiKey(
        key_id=minted.key_id,
        uid=account.uid,
        credentials=dict(minted.credentials),
        permissions=permissions,
        ips=ips,
        environment=environment,
        label=label,
        created_at=state.now_ms(),
        extra=extra,
    )
    key.expires_at = expires_at if expires_at is not None else plugin.default_key_expiry(state, key.ip_bound)
    state.keys[key.key_id] = key
    return key


def set_client_ip(state: SimState, payload: Mapping[str, Any]) -> None:
    value = payload.get("client_ip")
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ControlInputError("client_ip", "must be an IP string, or null to use the real peer address")
    state.client_ip = value.strip() if isinstance(value, str) else None


def set_clock(state: SimState, payload: Mapping[str, Any]) -> None:
    value = payload.get("offset_ms")
    if not isinstance(value, int) or isinstance(value, bool):
        raise ControlInputError(
            "offset_ms", "required integer: how far the exchange clock runs ahead (ms, may be negative)"
        )
    state.clock_offset_ms = value


async def _accounts(request: Request) -> Response:
    try:
        account = create_account(sim_state(request), sim_plugin(request), await read_json_object(request))
    except ControlInputError as exc:
        return error_response(exc)
    return JSONResponse({"uid": account.uid})


async def _keys(request: Request) -> Response:
    try:
        key = create_key(sim_state(request), sim_plugin(request), await read_json_object(request))
    except ControlInputError as exc:
        return error_response(exc)
    return JSONResponse(
        {**key.credentials, "uid": key.uid, "environment": key.environment, "expires_at": key.expires_at}
    )


async def _delete_key(request: Request) -> Response:
    key = sim_state(request).keys.get(request.path_params["key"])
    if key is None:
        return JSONResponse({"error": "no such key", "field": "key"}, status_code=404)
    key.deleted = True
    return JSONResponse({"deleted": key.key_id})


def set_config(state: SimState, plugin: ExchangeSim, payload: Mapping[str, Any]) -> None:
    """`POST /_sim/config`: `client_ip` (when given, or when the body is empty: then it is cleared) and `rules`."""
    unknown = sorted(set(payload) - {"client_ip", "rules"})
    if unknown:
        raise ControlInputError(unknown[0], "unknown field; /_sim/config takes client_ip and rules")
    if "rules" in payload:
        set_rules(state, plugin.rules, payload["rules"])
    if "client_ip" in payload or not payload:
        set_client_ip(state, payload)


def _config_view(request: Request) -> JSONResponse:
    state, plugin = sim_state(request), sim_plugin(request)
    return JSONResponse(
        {
            "client_ip": state.client_ip,
            "rules": current_rules(state, plugin.rules),
            "available_rules": describe_rules(plugin.rules),
        }
    )


async def _config(request: Request) -> Response:
    if request.method == "GET":
        return _config_view(request)
    try:
        set_config(sim_state(request), sim_plugin(request), await read_json_object(request))
    except ControlInputError as exc:
        return error_response(exc)
    return _config_view(request)


async def _clock(request: Request) -> Response:
    try:
        set_clock(sim_state(request), await read_json_object(request))
    except ControlInputError as exc:
        return error_response(exc)
    return JSONResponse({"offset_ms": sim_state(request).clock_offset_ms})


async def _faults(request: Request) -> Response:
    state = sim_state(request)
    try:
        state.faults = parse_faults(await read_json_object(request))
    except ControlInputError as exc:
        return error_response(exc)
    f = state.faults
    return JSONResponse({"latency_ms": f.latency_ms, "error_rate": f.error_rate, "error": f.error, "paths": f.paths})


def parse_network(payload: Mapping[str, Any], current: NetworkModel) -> NetworkModel:
    """Apply a `POST /_sim/network` body to ``current`` once every field is valid (nothing changes otherwise);
    fields left out keep their value, the connection count carries over."""
    known = {"handshake", "round_trip_ms"}
    for name in payload:
        if name not in known:
            raise ControlInputError(name, f"unknown field; use {', '.join(sorted(known))}")
    handshake = payload.get("handshake", current.handshake)
    if handshake not in HANDSHAKE_ROUNDS:
        raise ControlInputError("handshake", f"must be one of {', '.join(HANDSHAKE_ROUNDS)} (got {handshake!r})")
    rtt = payload.get("round_trip_ms", current.round_trip_ms)
    if rtt is not None and (not isinstance(rtt, int | float) or isinstance(rtt, bool) or rtt < 0):
        raise ControlInputError("round_trip_ms", "must be a non-negative number of milliseconds, or null")
    current.handshake = str(handshake)
    current.round_trip_ms = None if rtt is None else int(rtt)
    return current


async def _network(request: Request) -> Response:
    state = sim_state(request)
    if request.method == "POST":
        try:
            parse_network(await read_json_object(request), state.network)
        except ControlInputError as exc:
            return error_response(exc)
    return JSONResponse(state.network.to_json(state.faults.latency_ms))


async def _requests(request: Request) -> Response:
    """`GET /_sim/requests`: how many exchange requests this port has served since start (control paths not
    counted; a reset does not zero it), so a client in another process can count what an operation sent."""
    return JSONResponse({"count": sim_state(request).requests_served})


async def _reset(request: Request) -> Response:
    sim_state(request).reset()
    return JSONResponse({"reset": True})


def control_routes() -> list[Route]:
    return [
        Route("/_sim/accounts", _accounts, methods=["POST"]),
        Route("/_sim/keys", _keys, methods=["POST"]),
        Route("/_sim/keys/{key}", _delete_key, methods=["DELETE"]),
        Route("/_sim/config", _config, methods=["GET", "POST"]),
        Route("/_sim/clock", _clock, methods=["POST"]),
        Route("/_sim/faults", _faults, methods=["POST"]),
        Route("/_sim/network", _network, methods=["GET", "POST"]),
        Route("/_sim/reset", _reset, methods=["POST"]),
        Route("/_sim/requests", _requests, methods=["GET"]),
    ]
