"""A monitor batch asks each exchange host for its server time once, not once per connection; an interactive check
still measures its own (docs/architecture.md, "The batch contract"). The sharing is the engine's, the same for every
exchange (tests/verification/test_shared_server_time.py); here Bybit and Bitget show it end to end."""

from __future__ import annotations

import httpx
import pytest

from tests.monitor.conftest import store_connection
from tests.services.conftest import Harness
from tradedock.domain import ExchangeId
from tradedock.exchanges.bitget import endpoints as bitget
from tradedock.exchanges.bybit import endpoints as bybit
from tradedock.services import monitor_batch
from tradedock.services.phases import open_credentials
from tradedock.services.verifying import run_verification
from tradedock.verification import Outcome

SERVER_TIME = {
    ExchangeId.BYBIT: bybit.SERVER_TIME.path,
    ExchangeId.BITGET: bitget.SERVER_TIME.path,
}


class PathLog(httpx.AsyncBaseTransport):
    """The simulator's transport, recording the path of every request that reaches it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize("exchange", list(SERVER_TIME))
async def test_a_batch_reads_the_server_time_once_and_an_interactive_check_reads_its_own(
    mharness: Harness, exchange: ExchangeId
) -> None:
    counting = mharness.transports[exchange]
    log = counting.inner = PathLog(counting.inner)
    ids = []
    for _ in range(4):
        preset = await mharness.scenario(exchange, "healthy")
        ids.append(await store_connection(mharness, preset["credentials"], exchange=exchange))
    loaded, unreadable = await monitor_batch.load(mharness.ctx, ids)
    assert not unreadable
    log.paths.clear()
    items = await monitor_batch.verify_all(mharness.ctx, loaded)
    assert log.paths.count(SERVER_TIME[exchange]) == 1
    for item in items:
        assert isinstance(item, monitor_batch.Verified)
        assert item.report.status.value == "connected", item.report.to_dict()
        assert item.report.check("clock.skew").outcome is Outcome.PASS
        assert item.report.facts.server_offset_ms is not None
    signed = len(log.paths) - 1
    assert signed % 4 == 0  # every connection sent its own signed reads; only the time reading was shared

    log.paths.clear()
    one, owner_id = loaded[0]
    credentials = open_credentials(mharness.ctx.vault, owner_id, one)
    for _ in range(2):
        await run_verification(mharness.ctx.access, mharness.ctx.settings, credentials, one.target)
    assert log.paths.count(SERVER_TIME[exchange]) == 2
