"""TC-020: many Extension clients at once against one EBS — latency, 429s, and no 5xx.

Starts an embedded PostgreSQL and an EBS on a free loopback port (default
limits: 5 requests / 60 s per viewer), then lets N virtual viewers each send M
``GET /api/roulette/state`` requests concurrently. Prints the status counts and
latency percentiles; a 5xx is reported, never hidden.

Usage: python bench/concurrent_clients.py [--viewers 50] [--requests 8]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from mgm_core.clock import VirtualClock
from mgm_core.db.embedded import EmbeddedPostgres
from mgm_core.testing.ebs import DEFAULT_START, RunningEbs, test_config
from mgm_core.testing.postgres import TestDatabases


async def viewer(session: aiohttp.ClientSession, url: str, token: str, count: int, out: list) -> None:
    for _ in range(count):
        started = time.perf_counter()
        async with session.get(
            f"{url}/api/roulette/state", headers={"Authorization": f"Bearer {token}"}
        ) as answer:
            await answer.read()
            out.append((answer.status, (time.perf_counter() - started) * 1000))


async def load(url: str, tokens: list[str], count: int) -> list[tuple[int, float]]:
    results: list[tuple[int, float]] = []
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(viewer(session, url, token, count, results) for token in tokens))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--requests", type=int, default=8, help="per viewer (the limit is 5 per minute)")
    args = parser.parse_args()
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="mgm-bench-")), durable=False)
    databases = TestDatabases(server.start())
    try:
        databases.create_template()
        with RunningEbs(test_config(databases.clone()), clock=VirtualClock(DEFAULT_START)) as ebs:
            tokens = [ebs.token(f"viewer-{i}") for i in range(args.viewers)]
            started = time.perf_counter()
            results = asyncio.run(load(ebs.url, tokens, args.requests))
            wall = time.perf_counter() - started
    finally:
        databases.close()
        server.stop()
    statuses = collections.Counter(status for status, _ in results)
    latencies = sorted(ms for _, ms in results)
    rate = len(results) / wall
    print(f"{len(results)} requests from {args.viewers} viewers in {wall:.2f} s ({rate:.0f} req/s)")
    print("statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    print(f"expected: {args.viewers * min(args.requests, 5)} x 200, the rest 429")
    print(
        f"latency ms: median {statistics.median(latencies):.1f}, "
        f"p95 {latencies[int(len(latencies) * 0.95) - 1]:.1f}, max {latencies[-1]:.1f}"
    )
    print(f"5xx: {sum(n for s, n in statuses.items() if s >= 500)}")


if __name__ == "__main__":
    main()
