"""HTTP load for `bench.api_load`, in its own process: open-loop (a fixed request rate) or closed-loop (a fixed
number of clients as fast as answers come). Prints one JSON line: sent, errors, latency percentiles, rate.

Open loop sends request *i* at ``start + i / rate`` whether or not earlier ones have been answered, and measures
latency from that scheduled time, so a server that falls behind shows its queueing (no coordinated omission).

    .venv/bin/python -m bench.api_client URL... --token T (--rate 200 | --clients 16) [--duration 10]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time

import httpx

#: A request unanswered after this long counts as an error (a server far behind the rate would otherwise make
#: the run last minutes while its queue drains).
TIMEOUT_S = 10.0


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _one(
    client: httpx.AsyncClient, url: str, scheduled: float, latencies: list[float], errors: list[str]
) -> None:
    try:
        answer = await client.get(url)
        if answer.status_code != 200:
            errors.append(str(answer.status_code))
            return
    except httpx.HTTPError as exc:
        errors.append(type(exc).__name__)
        return
    latencies.append(time.perf_counter() - scheduled)


async def open_loop(urls: list[str], token: str, rate: float, duration: float) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=TIMEOUT_S) as client:
        await client.get(urls[0])  # warm the connection and the server's first-use paths
        tasks = []
        start = time.perf_counter()
        for i, url in zip(range(int(rate * duration)), itertools.cycle(urls), strict=False):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_one(client, url, scheduled, latencies, errors)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return _summary(latencies, errors, elapsed)


async def closed_loop(urls: list[str], token: str, clients: int, duration: float) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=TIMEOUT_S) as client:
        await client.get(urls[0])
        start = time.perf_counter()
        deadline = start + duration

        async def worker(offset: int) -> None:
            for url in itertools.islice(itertools.cycle(urls), offset, None):
                if time.perf_counter() >= deadline:
                    return
                await _one(client, url, time.perf_counter(), latencies, errors)

        await asyncio.gather(*(worker(i) for i in range(clients)))
        elapsed = time.perf_counter() - start
    return _summary(latencies, errors, elapsed)


def _summary(latencies: list[float], errors: list[str], elapsed: float) -> dict[str, float]:
    return {
        "answered": len(latencies),
        "errors": len(errors),
        "error_kinds": ",".join(sorted(set(errors))),  # type: ignore[dict-item]
        "per_s": len(latencies) / elapsed,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies, default=float("nan")) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--token", required=True)
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    if args.rate:
        result = asyncio.run(open_loop(args.urls, args.token, args.rate, args.duration))
    else:
        result = asyncio.run(closed_loop(args.urls, args.token, args.clients or 16, args.duration))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
