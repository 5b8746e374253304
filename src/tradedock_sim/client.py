"""`SimControl`: a small async client for the control API (`/_sim/...`) of one simulator port.

Belongs here: typed wrappers over the control endpoints, for tests, the `sandbox`/`demo` commands and scripts.
Does not belong here: exchange calls (use a real exchange client pointed at the simulator's base URL).
Raises `SimControlError` (with the field the simulator named) on a 4xx answer.
"""

from __future__ import annotations

from typing import Any

import httpx


class SimControlError(RuntimeError):
    def __init__(self, status: int, field: str | None, message: str) -> None:
        super().__init__(f"HTTP {status}: {field}: {message}" if field else f"HTTP {status}: {message}")
        self.status = status
        self.field = field


class SimControl:
    """Control API of one simulator. `http` is any AsyncClient whose base_url is the simulator (or ASGI app)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        response = await self.http.request(method, path, json=payload)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"error": response.text}
            raise SimControlError(response.status_code, body.get("field"), str(body.get("error")))
        return response.json()

    async def create_account(self, **fields: Any) -> str:
        """POST /_sim/accounts; returns the uid."""
        return str((await self._call("POST", "/_sim/accounts", fields))["uid"])

    async def create_key(self, uid: str, permissions: Any, **fields: Any) -> dict[str, Any]:
        """POST /_sim/keys; returns the credentials (DESIGN field names) plus uid/environment/expires_at."""
        result: dict[str, Any] = await self._call(
            "POST", "/_sim/keys", {"uid": uid, "permissions": permissions, **fields}
        )
        return result

    async def delete_key(self, key_id: str) -> None:
        await self._call("DELETE", f"/_sim/keys/{key_id}")

    async def set_client_ip(self, client_ip: str | None) -> None:
        await self._call("POST", "/_sim/config", {"client_ip": client_ip})

    async def set_rules(self, **rules: str) -> dict[str, str]:
        """POST /_sim/config {"rules": ...}: pick a reading of UNCONFIRMED behaviour; returns the current rules."""
        result: dict[str, str] = (await self._call("POST", "/_sim/config", {"rules": rules}))["rules"]
        return result

    async def set_clock_offset(self, offset_ms: int) -> None:
        await self._call("POST", "/_sim/clock", {"offset_ms": offset_ms})

    async def set_faults(self, **faults: Any) -> None:
        """POST /_sim/faults, e.g. `set_faults(error="http_500", paths=["/v5/account"])`; no args clears."""
        await self._call("POST", "/_sim/faults", faults)

    async def set_network(self, **fields: Any) -> dict[str, Any]:
        """POST /_sim/network, e.g. `set_network(handshake="tls1.3")`; returns the model and its connection count."""
        result: dict[str, Any] = await self._call("POST", "/_sim/network", fields)
        return result

    async def network(self) -> dict[str, Any]:
        """GET /_sim/network: handshake, round_trip_ms, handshake_ms and `connections` (new TCP connections seen)."""
        result: dict[str, Any] = await self._call("GET", "/_sim/network")
        return result

    async def reset(self) -> None:
        await self._call("POST", "/_sim/reset")

    async def set_price(
        self, symbol: str, price: str | None = None, *, path: list[tuple[int, str]] | None = None
    ) -> str:
        """POST /_sim/prices: one mark price now, or a step path [(ms from now, price), ...]; returns the mark."""
        payload: dict[str, Any] = {"symbol": symbol}
        if path is not None:
            payload["path"] = [{"after_ms": after, "price": value} for after, value in path]
        else:
            payload["price"] = price
        return str((await self._call("POST", "/_sim/prices", payload))["mark"])

    async def load_candles(
        self, symbol: str, interval: str, closes: list[str], *, volumes: list[str] | None = None
    ) -> dict[str, Any]:
        """POST /_sim/candles: the last close is the most recent closed candle; the mark becomes that close."""
        payload: dict[str, Any] = {"symbol": symbol, "interval": interval, "closes": closes}
        if volumes is not None:
            payload["volumes"] = volumes
        result: dict[str, Any] = await self._call("POST", "/_sim/candles", payload)
        return result

    async def set_fees(self, *, taker: str | None = None, maker: str | None = None) -> dict[str, str]:
        """POST /_sim/fees (rates, e.g. "0.00055")."""
        payload = {name: value for name, value in (("taker", taker), ("maker", maker)) if value is not None}
        result: dict[str, str] = await self._call("POST", "/_sim/fees", payload)
        return result

    async def order_faults(self, fault: str | None, count: int = 1) -> None:
        """POST /_sim/order-faults: the next `count` placements get `accept_then_timeout` or `reject`; None clears."""
        await self._call("POST", "/_sim/order-faults", {"fault": fault, "count": count} if fault else {})

    async def orders(self, uid: str | None = None) -> list[dict[str, Any]]:
        """GET /_sim/orders: every order the matching engine holds (of one uid), oldest first."""
        result = await self._call("GET", "/_sim/orders" + (f"?uid={uid}" if uid else ""))
        return list(result["orders"])

    async def positions(self, uid: str | None = None) -> list[dict[str, Any]]:
        """GET /_sim/positions: every position leg the matching engine holds (of one uid)."""
        result = await self._call("GET", "/_sim/positions" + (f"?uid={uid}" if uid else ""))
        return list(result["positions"])

    async def scenarios(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/_sim/scenarios")
        return result

    async def apply_scenario(self, name: str, *, reset: bool = False, ip: str | None = None) -> dict[str, Any]:
        """POST /_sim/scenarios/{name}; returns uid, credentials, expect, ..."""
        body: dict[str, Any] = {"reset": reset}
        if ip is not None:
            body["ip"] = ip
        result: dict[str, Any] = await self._call("POST", f"/_sim/scenarios/{name}", body)
        return result
