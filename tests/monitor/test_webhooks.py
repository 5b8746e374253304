"""Webhook delivery against a real local HTTP receiver that verifies each signature as a third party would
(HMAC-SHA256 written here from the documented format, not TradeDock's signer); retries with backoff under a
frozen clock; every attempt recorded; an endpoint that keeps failing is disabled with an event the owner sees."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tests.services.conftest import Harness
from tradedock.clock import FrozenClock
from tradedock.db.models import WebhookAttempt, WebhookDelivery
from tradedock.errors import InvalidInputError
from tradedock.services import notifications
from tradedock.services.notifications import DeliveryPolicy, DeliveryService
from tradedock.services.records import Store
from tradedock.services.webhooks import WebhookService, check_url, internal_target

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class Receiver:
    url: str
    secret: str = ""
    statuses: list[int] = field(default_factory=list)  # answers to give, in order; then 200
    received: list[dict[str, object]] = field(default_factory=list)


def third_party_verify(secret: str, header: str, raw: bytes, tolerance_s: int, now_s: int) -> bool:
    """What a webhook consumer writes from the docs: parse t= and v1=, HMAC-SHA256 over "<t>.<raw body>"."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(now_s - int(parts["t"])) <= tolerance_s


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(
                {"raw": raw, "signature": self.headers.get("TradeDock-Signature"), "type": self.headers["Content-Type"]}
            )
            code = state.statuses.pop(0) if state.statuses else 200
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/tradedock"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


async def _webhook_and_event(harness: Harness, receiver: Receiver, clock: FrozenClock) -> tuple[str, str]:
    async with harness.ctx.transaction() as session:
        owner = await Store(session, harness.ctx.clock).owner_id("local")
        service = WebhookService(session, clock, harness.ctx.vault, owner)
        created = await service.create(receiver.url, allow_private=True)  # the receiver listens on loopback
        receiver.secret = created.secret
        event = await notifications.emit(
            session,
            clock,
            owner,
            "connection.status_changed",
            {"connection_id": "c1", "label": "bot <b>", "from": "connected", "to": "unreachable"},
            connection_id=None,
        )
    return created.id, event.id


async def _attempts(harness: Harness) -> list[WebhookAttempt]:
    async with harness.ctx.reading() as session:
        return list((await session.execute(select(WebhookAttempt).order_by(WebhookAttempt.id))).scalars())


async def test_signed_delivery_retried_with_backoff_and_every_attempt_recorded(
    mharness: Harness, receiver: Receiver
) -> None:
    clock = FrozenClock(T0)
    policy = DeliveryPolicy(max_attempts=5, backoff_base=timedelta(seconds=30), disable_after=10, allow_private=True)
    service = DeliveryService(mharness.ctx, "w1", policy, clock=clock)
    _, event_id = await _webhook_and_event(mharness, receiver, clock)
    receiver.statuses = [500, 503]

    assert await service.deliver_due() == 1  # 500
    assert await service.deliver_due() == 0  # not due again yet
    async with mharness.ctx.reading() as session:
        delivery = (await session.execute(select(WebhookDelivery))).scalar_one()
    first_retry = delivery.next_attempt_at - T0
    assert timedelta(seconds=15) <= first_retry <= timedelta(seconds=30)
    clock.set(delivery.next_attempt_at)
    assert await service.deliver_due() == 1  # 503
    async with mharness.ctx.reading() as session:
        delivery = (await session.execute(select(WebhookDelivery))).scalar_one()
    assert timedelta(seconds=30) <= delivery.next_attempt_at - clock.now() <= timedelta(seconds=60)
    clock.set(delivery.next_attempt_at)
    assert await service.deliver_due() == 1  # 200
    await service.aclose()

    async with mharness.ctx.reading() as session:
        delivery = (await session.execute(select(WebhookDelivery))).scalar_one()
    assert delivery.state == "delivered" and delivery.attempts == 3
    assert [(a.attempt, a.status_code) for a in await _attempts(mharness)] == [(1, 500), (2, 503), (3, 200)]

    assert len(receiver.received) == 3
    for request in receiver.received:
        raw = request["raw"]
        assert isinstance(raw, bytes) and isinstance(request["signature"], str)
        now_s = int(clock.now().timestamp())
        assert third_party_verify(receiver.secret, request["signature"], raw, 300, now_s)
        assert not third_party_verify("tdwh_wrong", request["signature"], raw, 300, now_s)
        assert not third_party_verify(receiver.secret, request["signature"], raw + b" ", 300, now_s)
        body = json.loads(raw)
        assert set(body) == {"id", "type", "created_at", "data"}
        assert body["id"] == event_id and body["type"] == "connection.status_changed"
        assert body["data"]["label"] == "bot <b>"
        assert request["type"] == "application/json"
    # The same event each time (same id and body); the timestamp is the attempt's own.
    assert len({r["raw"] for r in receiver.received}) == 1
    stamps = [int(str(r["signature"]).split(",")[0][2:]) for r in receiver.received]
    assert stamps[0] == int(T0.timestamp()) and stamps == sorted(stamps) and stamps[0] < stamps[-1]


async def test_an_endpoint_that_keeps_failing_is_disabled_and_the_owner_is_told(
    mharness: Harness, receiver: Receiver
) -> None:
    clock = FrozenClock(T0)
    policy = DeliveryPolicy(max_attempts=10, backoff_base=timedelta(seconds=1), disable_after=3, allow_private=True)
    service = DeliveryService(mharness.ctx, "w1", policy, clock=clock)
    webhook_id, _ = await _webhook_and_event(mharness, receiver, clock)
    receiver.statuses = [500] * 50
    for _ in range(5):
        await service.deliver_due()
        clock.advance(minutes=5)
    await service.aclose()
    assert len(receiver.received) == 3  # disabled after the third failure in a row: nothing more is sent
    assert [a.status_code for a in await _attempts(mharness)] == [500, 500, 500]
    async with mharness.ctx.reading() as session:
        owner = await Store(session, mharness.ctx.clock).users.get_by_name("local")
        assert owner is not None
        hooks = WebhookService(session, clock, mharness.ctx.vault, owner.id)
        [listed] = await hooks.list_webhooks(limit=10, offset=0)
        events = await hooks.list_events(limit=10, offset=0)
    assert listed.id == webhook_id and listed.disabled_at is not None
    disabled = [e for e in events if e.type == "webhook.disabled"]
    assert len(disabled) == 1 and disabled[0].data["webhook_id"] == webhook_id
    assert disabled[0].data["failures_in_a_row"] == 3


async def test_an_unreachable_endpoint_is_recorded_and_retried(mharness: Harness) -> None:
    clock = FrozenClock(T0)
    service = DeliveryService(mharness.ctx, "w1", DeliveryPolicy(timeout_s=1, allow_private=True), clock=clock)
    dead = Receiver(url="http://127.0.0.1:9/nothing-listens-here")
    await _webhook_and_event(mharness, dead, clock)
    assert await service.deliver_due() == 1
    await service.aclose()
    [attempt] = await _attempts(mharness)
    assert attempt.status_code is None and attempt.error and "ConnectError" in attempt.error
    async with mharness.ctx.reading() as session:
        delivery = (await session.execute(select(WebhookDelivery))).scalar_one()
    assert delivery.state == "pending" and delivery.next_attempt_at > T0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "https://app.localhost/hook",
        "https://10.0.0.5/hook",
        "https://192.168.1.10/hook",
        "https://172.16.0.1/hook",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
        "https://100.64.0.1/hook",  # shared address space
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://224.0.0.1/hook",
    ],
)
def test_internal_webhook_targets_are_refused_unless_the_operator_allows_them(url: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        check_url(url)
    assert refused.value.field == "url" and "internal address" in refused.value.message
    assert "TRADEDOCK_WEBHOOK_ALLOW_PRIVATE" in (refused.value.fix or "")
    assert check_url(url, allow_private=True) == url


@pytest.mark.parametrize("url", ["https://hooks.example.com/td", "https://8.8.8.8/hook", "https://[2001:4860::8888]/"])
def test_public_webhook_targets_are_accepted(url: str) -> None:
    assert check_url(url) == url


async def test_a_host_name_resolving_to_an_internal_address_is_refused_at_delivery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio
    import socket

    answers = {"evil.example": "10.1.2.3", "meta.example": "169.254.169.254", "good.example": "93.184.216.34"}

    async def resolve(host: str, port: int, **_: object) -> list[tuple[object, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", resolve)
    assert "resolves to an internal address" in (await internal_target("https://evil.example/hook") or "")
    assert "resolves to an internal address" in (await internal_target("https://meta.example/hook") or "")
    assert await internal_target("https://good.example/hook") is None
    assert "is an internal address" in (await internal_target("http://127.0.0.1:9/hook") or "")


async def test_a_delivery_to_an_internal_address_is_not_sent_but_recorded_as_a_failed_attempt(
    mharness: Harness, receiver: Receiver
) -> None:
    clock = FrozenClock(T0)
    await _webhook_and_event(mharness, receiver, clock)  # registered while the operator allowed it
    service = DeliveryService(mharness.ctx, "w1", DeliveryPolicy(max_attempts=3), clock=clock)  # now not allowed
    assert await service.deliver_due() == 1
    await service.aclose()
    assert receiver.received == []
    [attempt] = await _attempts(mharness)
    assert attempt.status_code is None and "internal address" in (attempt.error or "")
    async with mharness.ctx.reading() as session:
        delivery = (await session.execute(select(WebhookDelivery))).scalar_one()
    assert delivery.state == "pending" and delivery.attempts == 1  # retried later, like any failed attempt
