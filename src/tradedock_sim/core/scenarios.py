"""Scenario presets: `GET /_sim/scenarios` lists them, `POST /_sim/scenarios/{name}` applies one.

Belongs here: turning a plugin's `Scenario` data into an account, a key and port settings, through the same
validation as the control API. The presets themselves live with each exchange (`<exchange>/scenarios.py`).

`POST /_sim/scenarios/{name}` body (all optional): `{"reset": true}` to forget everything first,
`"ip": "203.0.113.7"` to use as "$caller" in the preset's key IPs (default: the IP the exchange sees for this
request). The answer: `{scenario, description, expect, uid, environment, credentials, key_id, ...}`.

A plugin with `standard_fault_presets = True` also gets one preset per fault type, named exactly like the fault
(`http_500`, `http_503_html`, `timeout`, `rate_limit`, `geo_block`): its `healthy` preset (or a default account
and key) plus that fault on every exchange request. A plugin preset with the same name wins.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tradedock_sim.core.control import (
    create_account,
    create_key,
    error_response,
    read_json_object,
    set_client_ip,
    set_clock,
    sim_plugin,
    sim_state,
)
from tradedock_sim.core.faults import FAULT_TYPES, parse_faults
from tradedock_sim.core.middleware import client_ip
from tradedock_sim.core.plugin import ExchangeSim, Scenario
from tradedock_sim.core.state import ControlInputError, SimState

CALLER_IP = "$caller"

FAULT_WIRE = {
    "http_500": "HTTP 500 without JSON",
    "http_503_html": "an HTML 503 maintenance page",
    "timeout": "nothing for 60 s (the client times out)",
    "rate_limit": "the exchange's own rate-limit answer",
    "geo_block": "a CloudFront HTML 403 (country blocked)",
}


def all_scenarios(plugin: ExchangeSim) -> dict[str, Scenario]:
    """The plugin's presets plus the standard fault presets (plugin names win)."""
    presets = dict(plugin.scenarios())
    if not plugin.standard_fault_presets:
        return presets
    base = presets.get("healthy", Scenario("", ""))
    for kind in FAULT_TYPES:
        presets.setdefault(
            kind,
            dataclasses.replace(
                base,
                description=f"healthy account and key; every exchange request answers {FAULT_WIRE[kind]}",
                expect="unreachable (an exchange fault, never invalid)",
                faults={"error": kind},
            ),
        )
    return presets


def apply_scenario(state: SimState, plugin: ExchangeSim, name: str, caller_ip: str) -> dict[str, Any]:
    """Create what the preset describes; return the credentials and what a verifier should report."""
    scenario: Scenario | None = all_scenarios(plugin).get(name)
    if scenario is None:
        raise ControlInputError("name", f"unknown scenario {name!r}; GET /_sim/scenarios lists them")
    account = create_account(state, plugin, scenario.account)
    result: dict[str, Any] = {
        "scenario": name,
        "description": scenario.description,
        "expect": scenario.expect,
        "uid": account.uid,
    }
    if scenario.key is not None:
        payload = dict(scenario.key)
        payload["uid"] = account.uid
        payload.setdefault("permissions", plugin.default_permissions())
        if "ips" in payload:
            payload["ips"] = [caller_ip if ip == CALLER_IP else ip for ip in payload["ips"]]
        if scenario.key_expires_in_ms is not None:
            payload["expires_at"] = state.now_ms() + scenario.key_expires_in_ms
        key = create_key(state, plugin, payload)
        if scenario.delete_key:
            key.deleted = True
        result.update(
            key_id=key.key_id,
            environment=key.environment,
            credentials=dict(key.credentials),
            ips=key.ips,
            expires_at=key.expires_at,
        )
    if scenario.clock_offset_ms is not None:
        set_clock(state, {"offset_ms": scenario.clock_offset_ms})
        result["clock_offset_ms"] = scenario.clock_offset_ms
    if scenario.client_ip is not None:
        set_client_ip(state, {"client_ip": scenario.client_ip})
        result["client_ip"] = scenario.client_ip
    if scenario.faults is not None:
        state.faults = parse_faults(scenario.faults)
        result["faults"] = dict(scenario.faults)
    return result


async def _list(request: Request) -> Response:
    presets: Mapping[str, Scenario] = all_scenarios(sim_plugin(request))
    return JSONResponse(
        {name: {"description": s.description, "expect": s.expect} for name, s in presets.items()},
    )


async def _apply(request: Request) -> Response:
    state, plugin = sim_state(request), sim_plugin(request)
    try:
        body = await read_json_object(request)
        unknown = set(body) - {"reset", "ip"}
        if unknown:
            raise ControlInputError(sorted(unknown)[0], "unknown field; use reset and/or ip")
        if body.get("reset", False) is True:
            state.reset()
        caller = body.get("ip", client_ip(request))
        if not isinstance(caller, str) or not caller:
            raise ControlInputError("ip", "must be an IP string")
        result = apply_scenario(state, plugin, request.path_params["name"], caller)
    except ControlInputError as exc:
        if exc.field == "name":
            return JSONResponse({"error": exc.message, "field": exc.field}, status_code=404)
        return error_response(exc)
    return JSONResponse(result)


def scenario_routes() -> list[Route]:
    return [
        Route("/_sim/scenarios", _list, methods=["GET"]),
        Route("/_sim/scenarios/{name}", _apply, methods=["POST"]),
    ]
