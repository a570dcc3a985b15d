"""Shared reads: one query per batch, and never an answer older than the request."""

from __future__ import annotations

import asyncio

import pytest

from mgm_core.store.shared_reads import SharedReads


class Source:
    """A value that changes; each query returns the version current when it was *sent*."""

    def __init__(self) -> None:
        self.version = 0
        self.release = asyncio.Event()

    async def fetch(self, key: str) -> tuple[str, int]:
        seen = self.version
        await self.release.wait()
        return key, seen


def test_requests_arriving_during_a_query_wait_for_the_next_one():
    async def main() -> None:
        source = Source()
        reads = SharedReads(source.fetch)
        first = asyncio.create_task(reads.read("k"))
        for _ in range(3):
            await asyncio.sleep(0)  # the first query is sent with version 0
        source.version = 1  # a write commits while it runs
        later = [asyncio.create_task(reads.read("k")) for _ in range(10)]
        await asyncio.sleep(0)
        source.release.set()
        assert await first == ("k", 0)
        assert {await t for t in later} == {("k", 1)}  # none got the answer sent before they came
        assert reads.queries == 2

    asyncio.run(main())


def test_keys_are_read_separately():
    async def main() -> None:
        source = Source()
        source.release.set()
        reads = SharedReads(source.fetch)
        got = await asyncio.gather(*(reads.read(k) for k in "ababab"))
        assert got == [("a", 0), ("b", 0)] * 3
        # per key: the first read runs alone, the two that came while it ran share the next query
        assert reads.queries == 4

    asyncio.run(main())


def test_a_failed_query_fails_its_batch_and_the_next_batch_runs_again():
    calls = []

    async def fetch(key: str) -> int:
        calls.append(key)
        await asyncio.sleep(0)
        if len(calls) == 1:
            raise ConnectionError("database gone")
        return len(calls)

    async def main() -> None:
        reads = SharedReads(fetch)
        batch = [asyncio.create_task(reads.read("k")) for _ in range(3)]
        results = await asyncio.gather(*batch, return_exceptions=True)
        assert isinstance(results[0], ConnectionError)
        assert results[1:] == [2, 2]  # they came while the failing query ran: the next one answered
        assert await reads.read("k") == 3

    asyncio.run(main())


def test_a_cancelled_waiter_does_not_cancel_the_others():
    async def main() -> None:
        source = Source()
        reads = SharedReads(source.fetch)
        impatient = asyncio.create_task(reads.read("k"))
        patient = asyncio.create_task(reads.read("k"))
        await asyncio.sleep(0)
        impatient.cancel()
        source.release.set()
        assert await patient == ("k", 0)
        with pytest.raises(asyncio.CancelledError):
            await impatient

    asyncio.run(main())
