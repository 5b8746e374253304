"""The HTTP layer's outbound rate budgets, its 429 handling and its pooled clients (``exchanges/http.py``,
``budgets.py``, ``pool.py``). The exchange side is ``httpx.MockTransport`` answering as the exchanges do."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from tradedock.errors import RateLimitedError
from tradedock.exchanges import budgets as budgets_module
from tradedock.exchanges import pool
from tradedock.exchanges.base import HttpOptions
from tradedock.exchanges.bitget.endpoints import RATES as BITGET_RATES
from tradedock.exchanges.budgets import Budgets, LimitScope, RateBook, RateLimit
from tradedock.exchanges.bybit.endpoints import RATES as BYBIT_RATES
from tradedock.exchanges.http import ExchangeHttp


class TestParsing:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("1/s per UID", RateLimit(1, 1.0, LimitScope.UID)),
            ("20/s per IP", RateLimit(20, 1.0, LimitScope.IP)),
            ("600/5s per IP", RateLimit(600, 5.0, LimitScope.IP)),
            ("2400/min per IP", RateLimit(2400, 60.0, LimitScope.IP)),
            ("10/s", RateLimit(10, 1.0, LimitScope.UID)),
            ("10 req/s per UID", RateLimit(10, 1.0, LimitScope.UID)),
            ("IP", None),
            ("unknown (ccxt detects UTA with it)", None),
            ("0/s", None),
        ],
    )
    def test_documented_limits_are_read(self, text: str, expected: RateLimit | None) -> None:
        assert RateLimit.parse(text) == expected

    def test_the_exchanges_endpoints_feed_the_books(self) -> None:
        assert BITGET_RATES.paths["/api/v2/spot/account/info"] == RateLimit(1, 1.0, LimitScope.UID)
        assert BITGET_RATES.paths["/api/v2/public/time"].scope is LimitScope.IP
        assert BITGET_RATES.ip == RateLimit(6000, 60.0, LimitScope.IP)
        assert BYBIT_RATES.ip == RateLimit(600, 5.0, LimitScope.IP)
        assert BYBIT_RATES.paths["/v5/user/query-api"] == RateLimit(10, 1.0, LimitScope.UID)


def _max_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


class TestBudgets:
    async def test_a_burst_never_exceeds_the_limit_in_any_window(self) -> None:
        limit = RateLimit(6, 0.3, LimitScope.UID)
        book = RateBook(paths={"/p": limit})
        budgets = Budgets()
        loop = asyncio.get_running_loop()
        granted: list[float] = []

        async def one() -> None:
            turn = await budgets.take(book, exchange="x", host="h", base_url="b", account="a", path="/p", wait_s=9)
            assert turn is None
            granted.append(loop.time())

        await asyncio.gather(*(one() for _ in range(15)))
        assert len(granted) == 15
        assert _max_in_window(sorted(granted), limit.period_s) <= limit.requests

    async def test_one_per_second_waits_its_turn_and_other_accounts_do_not(self) -> None:
        book = RateBook(paths={"/info": RateLimit(1, 1.0, LimitScope.UID)})
        budgets = Budgets()
        loop = asyncio.get_running_loop()
        take = budgets.take
        started = loop.time()
        assert await take(book, exchange="x", host="h", base_url="b", account="a", path="/info", wait_s=3) is None
        assert await take(book, exchange="x", host="h", base_url="b", account="other", path="/info", wait_s=0) is None
        assert await take(book, exchange="x", host="h", base_url="b", account="a", path="/info", wait_s=3) is None
        assert loop.time() - started >= 1.0  # the same account waited a whole period for the second

    async def test_a_turn_beyond_the_bound_is_refused_without_spending_the_ip_budget(self) -> None:
        ip = RateLimit(4, 60.0, LimitScope.IP)  # a burst of 2
        book = RateBook(ip=ip, paths={"/info": RateLimit(1, 60.0, LimitScope.UID)})
        budgets = Budgets()
        kwargs = {"exchange": "x", "host": "h", "base_url": "b", "path": "/info", "wait_s": 0.05}
        assert await budgets.take(book, account="a", **kwargs) is None
        refused = await budgets.take(book, account="a", **kwargs)
        assert refused is not None and refused.limit.scope is LimitScope.UID
        # The refused request took nothing from the per-IP budget: another account still gets its turn at once.
        assert await budgets.take(book, account="b", **kwargs) is None

    async def test_grants_and_refusals_match_a_limiter_per_budget_from_its_first_take(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A budget taken once holds no limiter (`Budgets._once`) until it is taken again before it drained; at any
        pace it grants and refuses exactly what one limiter per budget, built at its first take, does."""
        limit = RateLimit(4, 1.0, LimitScope.UID)  # a burst of 2, drained at 2 per 1.1 s
        book = RateBook(paths={"/p": limit})
        loop = asyncio.get_running_loop()
        now = [loop.time()]
        monkeypatch.setattr(loop, "time", lambda: now[0])
        budgets = Budgets()
        reference = {account: limit.limiter() for account in "abc"}
        rng = random.Random(7)
        granted = refused = 0
        for _ in range(600):
            now[0] += rng.choice((0.0, 0.0, 0.05, 0.2, 0.5, 1.5))
            account = rng.choice("abc")
            turn = await budgets.take(book, exchange="x", host="h", base_url="b", account=account, path="/p", wait_s=0)
            limiter = reference[account]
            expected = limiter.has_capacity(1)
            if expected:
                await limiter.acquire(1)
            assert (turn is None) == expected
            granted, refused = granted + expected, refused + (not expected)
        assert granted > 100 and refused > 100  # both sides of the rule were exercised

    async def test_pruning_forgets_drained_budgets_and_is_not_repeated_for_every_new_one(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(budgets_module, "PRUNE_AT", 4)
        book = RateBook(paths={"/p": RateLimit(2, 1.0, LimitScope.UID)})  # a burst of 1, drained in 1.1 s
        loop = asyncio.get_running_loop()
        now = [loop.time()]
        monkeypatch.setattr(loop, "time", lambda: now[0])
        budgets = Budgets()

        async def take(account: str) -> bool:
            kwargs = {"exchange": "x", "host": "h", "base_url": "b", "path": "/p", "wait_s": 0}
            return await budgets.take(book, account=account, **kwargs) is None

        assert all([await take(f"a{i}") for i in range(6)])  # nothing drained: kept, the next prune at 8
        assert len(budgets._once) == 6 and budgets._prune_once_at == 8
        assert not await take("a0")  # taken again before it drained: refused, and a limiter from now on
        assert len(budgets._once) == 5 and len(budgets._limiters) == 1
        now[0] += 2.0  # everything drained
        assert all([await take(f"b{i}") for i in range(4)])  # the ninth prunes: only the new ones are left
        assert len(budgets._once) == 4 and budgets._prune_once_at == 6
        assert await take("a0")  # its limiter drained: granted as to a fresh budget


def _exchange(handler: httpx.MockTransport, **options: float) -> ExchangeHttp:
    book = RateBook(paths={"/info": RateLimit(1, 0.2, LimitScope.UID)})
    return ExchangeHttp(
        "Bitget", "https://api.example", HttpOptions(transport=handler, **options), account="k1", rates=book
    )


class TestRateLimitedAnswers:
    async def test_a_read_answered_429_is_sent_again_after_its_turn(self) -> None:
        sent: list[str] = []

        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(request.url.path)
            if len(sent) == 1:
                return httpx.Response(429, json={"code": "429", "msg": "Too many requests"})
            return httpx.Response(200, json={"code": "00000", "data": {}})

        http = _exchange(httpx.MockTransport(answer))
        response, body = await http.request("GET", "/info")
        assert response.status_code == 200 and body["code"] == "00000"
        assert sent == ["/info", "/info"]

    async def test_a_non_idempotent_call_is_never_sent_twice(self) -> None:
        sent: list[str] = []

        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(request.url.path)
            return httpx.Response(429, json={"code": "429"})

        http = _exchange(httpx.MockTransport(answer))
        with pytest.raises(RateLimitedError):
            await http.request("POST", "/order", content="{}", idempotent=False)
        with pytest.raises(RateLimitedError):
            await http.request("POST", "/order", content="{}")  # a POST is not idempotent unless said so
        assert sent == ["/order", "/order"]

    async def test_a_post_answered_503_is_never_sent_twice(self) -> None:
        sent: list[str] = []

        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(request.url.path)
            return httpx.Response(503, json={"code": "503"})

        http = _exchange(httpx.MockTransport(answer))
        await http.request("POST", "/order", content="{}")
        assert sent == ["/order"]
        await http.request("GET", "/info")
        assert sent == ["/order", "/info", "/info"]  # a read is retried once

    async def test_a_retry_takes_its_own_turn_of_the_budgets(self) -> None:
        """The exchange counts every request it receives, a retry too: a read answered 503 and sent again spends
        two turns of the per-IP budget, so the next read finds it spent (a burst of 2) and is not sent."""
        sent: list[str] = []

        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(request.url.path)
            return httpx.Response(503 if len(sent) == 1 else 200, json={"code": "00000"})

        book = RateBook(ip=RateLimit(4, 60.0, LimitScope.IP))
        http = ExchangeHttp(
            "Bitget", "https://api.example", HttpOptions(transport=httpx.MockTransport(answer), rate_wait_s=0.05),
            account="k3", rates=book,
        )  # fmt: skip
        response, _ = await http.request("GET", "/info")
        assert response.status_code == 200 and sent == ["/info", "/info"]
        with pytest.raises(RateLimitedError) as caught:
            await http.request("GET", "/info")
        assert caught.value.code == "budget"
        assert sent == ["/info", "/info"]

    async def test_a_retry_after_beyond_the_bound_is_reported_not_waited(self) -> None:
        sent: list[str] = []

        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(request.url.path)
            return httpx.Response(429, headers={"Retry-After": "30"}, json={"code": "429"})

        http = _exchange(httpx.MockTransport(answer), rate_wait_s=1.0)
        with pytest.raises(RateLimitedError) as caught:
            await http.request("GET", "/info")
        assert caught.value.retry_after_s == 30
        assert sent == ["/info"]

    async def test_own_budget_refusal_sends_nothing_and_says_so(self) -> None:
        sent: list[str] = []

        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(request.url.path)
            return httpx.Response(200, json={})

        book = RateBook(paths={"/info": RateLimit(1, 60.0, LimitScope.UID)})
        http = ExchangeHttp(
            "Bitget", "https://api.example", HttpOptions(transport=httpx.MockTransport(answer), rate_wait_s=0.05),
            account="k2", rates=book,
        )  # fmt: skip
        await http.request("GET", "/info")
        with pytest.raises(RateLimitedError) as caught:
            await http.request("GET", "/info")
        assert caught.value.code == "budget"
        assert "1/s per UID" not in caught.value.message and "60 s per UID" in caught.value.message
        assert sent == ["/info"]


class TestPooledTransports:
    async def test_adapters_of_one_host_share_one_transport_and_one_ssl_context(self) -> None:
        one = ExchangeHttp("Bybit", "https://api.bybit.com")
        two = ExchangeHttp("Bybit", "https://api.bybit.com/")
        other = ExchangeHttp("Bybit", "https://api-demo.bybit.com")
        first = pool.transport_for(pool.origin(one.base_url))
        assert pool.transport_for(pool.origin(two.base_url)) is first
        assert pool.transport_for(pool.origin(other.base_url)) is not first
        assert pool.ssl_context() is pool.ssl_context()
        await one.aclose()  # an adapter closing does not close the shared transport
        assert pool.transport_for(pool.origin(one.base_url)) is first
        budgets = pool.loop_pool().budgets
        await pool.aclose_clients()
        assert pool.transport_for(pool.origin(one.base_url)) is not first
        assert pool.loop_pool().budgets is budgets  # closing connections forgets no rate budget
        await pool.aclose_clients()

    def test_a_test_seam_is_used_as_given(self) -> None:
        seam = httpx.MockTransport(lambda request: httpx.Response(200))
        assert pool.transport_for("https://api.bybit.com", seam) is seam
