"""Sign-in attempts and strategy signals are counted where every server process sees them when
``TRADEDOCK_RATE_LIMIT_STORAGE`` names a Redis (`services.attempt_windows`): two API apps on one database — what two
``tradedock serve`` processes are — share the five wrong passwords a minute an account gets, instead of allowing five
each. A Redis that is down never locks anyone out or fails a request: the process counts on its own meanwhile.

Needs the Redis server (127.0.0.1:6379, or ``TRADEDOCK_TEST_REDIS_URL``): fails instead of skipping when CI=true.
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from typing import Any

import httpx
import pytest
from limits import parse

from tests.api.conftest import BASE, PASSWORD, Api
from tests.conftest import in_ci
from tradedock.api.app import create_app
from tradedock.config import SettingError, load_settings
from tradedock.services.attempt_windows import AttemptWindows

REDIS_URL = os.environ.get("TRADEDOCK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
#: Nothing listens here: connecting is refused at once.
DOWN_URL = "redis://127.0.0.1:1/0"


async def _redis_or_skip() -> None:
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", 6379), 2)
        writer.close()
    except (OSError, TimeoutError) as exc:
        message = f"Redis unreachable at {REDIS_URL}: {type(exc).__name__}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def api_options() -> dict[str, Any]:
    return {"rate_limit_storage": REDIS_URL}


async def _login(client: httpx.AsyncClient, email: str, password: str) -> int:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    return response.status_code


async def test_two_server_processes_share_an_accounts_sign_in_window(api: Api) -> None:
    await _redis_or_skip()
    email = f"shared-{uuid.uuid4().hex[:10]}@example.com"  # Redis outlives the test: keys of its own
    await api.user(email)
    settings = api.app.state.api.ctx.settings
    other = create_app(settings, transports=dict(api.transports))
    ips = [f"198.51.100.{n}" for n in random.sample(range(30, 250), 2)]  # per-IP windows of their own too
    async with other.router.lifespan_context(other):
        one = httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app, client=(ips[0], 50000)), base_url=BASE)
        two = httpx.AsyncClient(transport=httpx.ASGITransport(app=other, client=(ips[1], 50000)), base_url=BASE)
        async with one, two:
            codes = [await _login(one if n % 2 == 0 else two, email, "wrong password!") for n in range(5)]
            assert codes == [401] * 5
            # the sixth, on either process, is over the account's window: 3 + 2 attempts were seen by both
            assert await _login(two, email, PASSWORD) == 429
            assert await _login(one, email, PASSWORD) == 429


async def test_a_storage_that_is_down_still_limits_each_process_and_fails_nothing() -> None:
    windows = AttemptWindows(DOWN_URL)
    item = parse("3/minute")
    key = uuid.uuid4().hex
    try:
        assert [await windows.hit(item, "signin", key) for _ in range(4)] == [True, True, True, False]
    finally:
        await windows.aclose()


async def test_the_memory_default_counts_in_this_process() -> None:
    first, second = AttemptWindows(), AttemptWindows()
    item = parse("2/minute")
    assert [await first.hit(item, "signin", "k") for _ in range(3)] == [True, True, False]
    assert await second.hit(item, "signin", "k")  # another process's memory: counted apart


@pytest.mark.parametrize("value", ["postgres://u:hunter2@h/db", "hunter2", "memcached://h:11211"])
def test_a_storage_that_is_not_memory_or_redis_is_refused_without_echoing_it(value: str) -> None:
    with pytest.raises(SettingError) as caught:
        load_settings(rate_limit_storage=value)
    error = caught.value
    assert error.field == "TRADEDOCK_RATE_LIMIT_STORAGE"
    assert "redis://" in (error.fix or "") and "hunter2" not in error.message + (error.fix or "")
    assert "hunter2" not in repr(load_settings(rate_limit_storage="redis://:hunter2@127.0.0.1:6379/0"))
