"""Control API (`/_sim/...`): accounts, keys, config, clock, reset, scenarios; errors name the field."""

from __future__ import annotations

import pytest

from tradedock_sim.app import UnknownExchangeError, create_app
from tradedock_sim.client import SimControlError


class TestAccounts:
    async def test_creates_account_with_defaults_and_given_values(self, sim_client) -> None:
        client = await sim_client("toy", seed=7)
        response = await client.post(
            "/_sim/accounts", json={"balances": {"main": {"usdt": "12.5"}}, "margin_mode": "isolated", "tier": 2}
        )
        assert response.status_code == 200
        uid = response.json()["uid"]
        account = client.sim_app.state.sim.accounts[uid]
        assert account.margin_mode == "isolated"
        assert account.account_mode == "unified"
        assert account.position_mode == "one_way"
        assert str(account.balances["main"]["USDT"]) == "12.5"
        assert account.extra == {"tier": 2}

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"account_mode": "portfolio"}, "account_mode"),
            ({"position_mode": "both"}, "position_mode"),
            ({"margin_mode": "REGULAR_MARGIN"}, "margin_mode"),
            ({"balances": {"FUND": {"USDT": 1}}}, "balances.FUND"),
            ({"balances": {"main": {"USDT": "lots"}}}, "balances.main.USDT"),
            ({"balances": {"main": {"USDT": -1}}}, "balances.main.USDT"),
            ({"balances": []}, "balances"),
            ({"open_orders": "yes"}, "open_orders"),
            ({"colour": "red"}, "colour"),
        ],
    )
    async def test_bad_input_is_400_naming_the_field(self, sim_client, payload, field) -> None:
        client = await sim_client("toy")
        response = await client.post("/_sim/accounts", json=payload)
        assert response.status_code == 400
        assert response.json()["field"] == field

    async def test_not_json_is_400(self, sim_client) -> None:
        client = await sim_client("toy")
        response = await client.post("/_sim/accounts", content=b"{nope")
        assert response.status_code == 400
        assert response.json()["field"] == "body"

    async def test_duplicate_uid_is_refused(self, sim_client) -> None:
        client = await sim_client("toy")
        assert (await client.post("/_sim/accounts", json={"uid": "u1"})).status_code == 200
        response = await client.post("/_sim/accounts", json={"uid": "u1"})
        assert (response.status_code, response.json()["field"]) == (400, "uid")


class TestKeys:
    async def test_creates_and_deletes_key(self, sim_client) -> None:
        client = await sim_client("toy")
        uid = (await client.post("/_sim/accounts", json={})).json()["uid"]
        response = await client.post(
            "/_sim/keys",
            json={"uid": uid, "permissions": ["read"], "ips": ["203.0.113.7"], "label": "bot", "environment": "demo"},
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) >= {"api_key", "secret", "uid", "environment"}
        key = client.sim_app.state.sim.keys[body["api_key"]]
        assert (key.uid, key.ips, key.label, key.environment, key.deleted) == (
            uid,
            ["203.0.113.7"],
            "bot",
            "demo",
            False,
        )
        assert (await client.delete(f"/_sim/keys/{body['api_key']}")).status_code == 200
        assert key.deleted
        assert client.sim_app.state.sim.live_key(body["api_key"]) is None

    async def test_deleting_unknown_key_is_404(self, sim_client) -> None:
        client = await sim_client("toy")
        assert (await client.delete("/_sim/keys/nope")).status_code == 404

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"permissions": ["read"]}, "uid"),
            ({"uid": "ghost", "permissions": ["read"]}, "uid"),
            ({"uid": "$uid"}, "permissions"),
            ({"uid": "$uid", "permissions": ["withdraw"]}, "permissions"),
            ({"uid": "$uid", "permissions": [], "ips": "1.2.3.4"}, "ips"),
            ({"uid": "$uid", "permissions": [], "expires_at": "soon"}, "expires_at"),
            ({"uid": "$uid", "permissions": [], "environment": "testnet"}, "environment"),
            ({"uid": "$uid", "permissions": [], "label": 5}, "label"),
        ],
    )
    async def test_bad_input_is_400_naming_the_field(self, sim_client, payload, field) -> None:
        client = await sim_client("toy")
        uid = (await client.post("/_sim/accounts", json={})).json()["uid"]
        payload = {k: (uid if v == "$uid" else v) for k, v in payload.items()}
        response = await client.post("/_sim/keys", json=payload)
        assert response.status_code == 400
        assert response.json()["field"] == field


class TestConfigClockReset:
    async def test_client_ip_is_peer_address_unless_overridden(self, sim_client) -> None:
        client = await sim_client("toy", client_ip="203.0.113.7")
        assert (await client.get("/api/whoami")).json()["ip"] == "203.0.113.7"
        assert (await client.post("/_sim/config", json={"client_ip": "198.51.100.9"})).status_code == 200
        assert (await client.get("/api/whoami")).json()["ip"] == "198.51.100.9"
        await client.post("/_sim/config", json={"client_ip": None})
        assert (await client.get("/api/whoami")).json()["ip"] == "203.0.113.7"

    async def test_bad_config_and_clock_name_the_field(self, sim_client) -> None:
        client = await sim_client("toy")
        assert (await client.post("/_sim/config", json={"client_ip": 7})).json()["field"] == "client_ip"
        assert (await client.post("/_sim/clock", json={"offset_ms": "1s"})).json()["field"] == "offset_ms"
        assert (await client.post("/_sim/clock", json={})).json()["field"] == "offset_ms"

    async def test_clock_offset_moves_exchange_time(self, sim_client) -> None:
        client = await sim_client("toy")
        before = (await client.get("/api/whoami")).json()["now"]
        await client.post("/_sim/clock", json={"offset_ms": 3_600_000})
        after = (await client.get("/api/whoami")).json()["now"]
        assert after - before >= 3_600_000

    async def test_reset_forgets_everything(self, sim_client) -> None:
        client = await sim_client("toy")
        uid = (await client.post("/_sim/accounts", json={})).json()["uid"]
        await client.post("/_sim/keys", json={"uid": uid, "permissions": []})
        await client.post("/_sim/clock", json={"offset_ms": 5})
        await client.post("/_sim/faults", json={"latency_ms": 1})
        assert (await client.post("/_sim/reset")).status_code == 200
        state = client.sim_app.state.sim
        assert (state.accounts, state.keys, state.clock_offset_ms, state.faults.latency_ms) == ({}, {}, 0, 0)


class TestEnvironments:
    async def test_prefix_selects_environment_and_is_stripped(self, sim_client) -> None:
        client = await sim_client("toy")
        live = (await client.get("/api/whoami")).json()
        demo = (await client.get("/demo/api/whoami")).json()
        assert (live["environment"], live["path"]) == ("live", "/api/whoami")
        assert (demo["environment"], demo["path"]) == ("demo", "/api/whoami")


class TestScenarios:
    async def test_lists_presets_with_descriptions(self, sim_client) -> None:
        client = await sim_client("toy")
        listing = (await client.get("/_sim/scenarios")).json()
        assert listing["bound"] == {"description": "key bound to the caller", "expect": "connected"}

    async def test_caller_ip_is_bound_and_credentials_returned(self, sim_client) -> None:
        client = await sim_client("toy", client_ip="203.0.113.50")
        result = (await client.post("/_sim/scenarios/bound")).json()
        assert result["ips"] == ["203.0.113.50"]
        assert result["credentials"]["api_key"] == result["key_id"]
        assert client.sim_app.state.sim.keys[result["key_id"]].permissions == ["read"]
        explicit = (await client.post("/_sim/scenarios/bound", json={"ip": "192.0.2.1"})).json()
        assert explicit["ips"] == ["192.0.2.1"]

    async def test_port_settings_and_deleted_keys(self, sim_client) -> None:
        client = await sim_client("toy")
        skewed = (await client.post("/_sim/scenarios/skewed")).json()
        assert "credentials" not in skewed
        assert client.sim_app.state.sim.clock_offset_ms == 20_000
        gone = (await client.post("/_sim/scenarios/gone")).json()
        assert client.sim_app.state.sim.keys[gone["key_id"]].deleted
        await client.post("/_sim/scenarios/broken")
        assert (await client.get("/api/whoami")).status_code == 500

    async def test_reset_option_and_unknown_names(self, sim_client) -> None:
        client = await sim_client("toy")
        await client.post("/_sim/scenarios/bound")
        await client.post("/_sim/scenarios/bound", json={"reset": True})
        assert len(client.sim_app.state.sim.accounts) == 1
        missing = await client.post("/_sim/scenarios/nope")
        assert (missing.status_code, missing.json()["field"]) == (404, "name")
        bad = await client.post("/_sim/scenarios/bound", json={"colour": 1})
        assert (bad.status_code, bad.json()["field"]) == (400, "colour")


def test_unknown_exchange_names_the_registered_ones() -> None:
    with pytest.raises(UnknownExchangeError, match=r"registered: .*bybit"):
        create_app("krakenish")


class TestStandardFaultPresets:
    async def test_every_fault_type_has_a_preset_built_on_healthy(self, sim_client) -> None:
        client = await sim_client("toy")
        listing = (await client.get("/_sim/scenarios")).json()
        assert {"http_500", "http_503_html", "timeout", "rate_limit", "geo_block"} <= set(listing)
        result = (await client.post("/_sim/scenarios/geo_block")).json()
        assert result["faults"] == {"error": "geo_block"}
        assert "credentials" in result
        assert (await client.get("/api/whoami")).status_code == 403


class TestSimControlClient:
    async def test_wraps_the_control_api_and_raises_with_the_field(self, sim_client, sim_control) -> None:
        control = sim_control(await sim_client("toy"))
        uid = await control.create_account(balances={"main": {"USDT": 3}})
        creds = await control.create_key(uid, ["read", "trade"], ips=["*"])
        assert creds["uid"] == uid
        await control.set_faults(latency_ms=0)
        await control.set_clock_offset(-5)
        await control.set_client_ip("192.0.2.5")
        assert "bound" in await control.scenarios()
        await control.delete_key(creds["api_key"])
        with pytest.raises(SimControlError) as raised:
            await control.create_key(uid, ["withdraw"])
        assert (raised.value.status, raised.value.field) == (400, "permissions")
        await control.reset()
