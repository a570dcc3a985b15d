"""Concurrent identical reads share one query that starts after each of them arrived.

``/api/roulette/state`` is polled by every viewer's Extension. When many
requests for the same key (the cycle start) are waiting, one query answers
all of those that arrived before it was sent; a request that arrives while a
query is already running waits for the *next* one. So every answer comes from
a snapshot taken after its request arrived (a viewer who just enrolled sees
themselves counted), and the database does one query per batch instead of
one per request (decisions.md "Performance").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedReads(Generic[K, V]):
    """Batches concurrent ``read(key)`` calls; at most one query per key runs at a time."""

    def __init__(self, fetch: Callable[[K], Awaitable[V]]) -> None:
        self._fetch = fetch
        self._waiting: dict[K, asyncio.Future[V]] = {}  # joined, not yet sent
        self._running: set[K] = set()
        self.queries = 0  # queries sent (observability and tests)

    async def read(self, key: K) -> V:
        batch = self._waiting.get(key)
        if batch is None:
            batch = asyncio.get_running_loop().create_future()
            self._waiting[key] = batch
            if key not in self._running:
                self._start(key)
        return await asyncio.shield(batch)

    def _start(self, key: K) -> None:
        batch = self._waiting.pop(key)
        self._running.add(key)
        self.queries += 1
        task = asyncio.ensure_future(self._fetch(key))
        task.add_done_callback(lambda done: self._finish(key, batch, done))

    def _finish(self, key: K, batch: asyncio.Future[V], done: asyncio.Future[V]) -> None:
        self._running.discard(key)
        if done.cancelled():
            batch.cancel()
        elif (error := done.exception()) is not None:
            batch.set_exception(error)
            batch.exception()  # each waiter re-raises it; none left must not log "never retrieved"
        else:
            batch.set_result(done.result())
        if key in self._waiting:
            self._start(key)
