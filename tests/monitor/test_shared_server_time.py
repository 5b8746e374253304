"""A monitor batch asks each exchange host for its server time once, not once per connection; an interactive check
still measures its own (docs/architecture.md, "The batch contract")."""

from __future__ import annotations

import httpx

from tests.monitor.conftest import seed_healthy
from tests.services.conftest import Harness
from tradedock.domain import ExchangeId
from tradedock.services import monitor_batch
from tradedock.services.phases import open_credentials
from tradedock.services.verifying import run_verification
from tradedock.verification import Outcome

SERVER_TIME = "/v5/market/time"


class PathLog(httpx.AsyncBaseTransport):
    """The simulator's transport, recording the path of every request that reaches it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


async def test_a_batch_reads_the_server_time_once_and_an_interactive_check_reads_its_own(mharness: Harness) -> None:
    counting = mharness.transports[ExchangeId.BYBIT]
    log = counting.inner = PathLog(counting.inner)
    ids = await seed_healthy(mharness, 6)
    loaded, unreadable = await monitor_batch.load(mharness.ctx, ids)
    assert not unreadable
    log.paths.clear()
    items = await monitor_batch.verify_all(mharness.ctx, loaded)
    assert [type(item) for item in items] == [monitor_batch.Verified] * 6
    assert log.paths.count(SERVER_TIME) == 1
    assert len(log.paths) == 6 * 5 + 1  # each connection's five signed reads, one time reading for the batch
    for item in items:
        assert isinstance(item, monitor_batch.Verified)
        assert item.report.status.value == "connected", item.report.to_dict()
        assert item.report.check("clock.skew").outcome is Outcome.PASS
        assert item.report.facts.server_offset_ms is not None

    log.paths.clear()
    one, owner_id = loaded[0]
    credentials = open_credentials(mharness.ctx.vault, owner_id, one)
    for _ in range(2):
        await run_verification(mharness.ctx.access, mharness.ctx.settings, credentials, one.target)
    assert log.paths.count(SERVER_TIME) == 2
