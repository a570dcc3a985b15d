"""The roulette scheduler: draws at T0+240 and sweeps stale payouts, driven by the clock.

It runs as a background task of the app. Every tick is idempotent and safe to
run from several EBS processes at once (the draw locks its cycle row). With a
virtual clock it wakes the moment time is moved; the e2e clock route also
awaits :meth:`RouletteScheduler.tick` so a caller sees the effect at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mgm_core.clock import Clock
from mgm_core.domain import roulette
from mgm_core.domain.payouts import EXPIRY_AGE, Transition
from mgm_core.store import payouts, pool
from mgm_core.store import roulette as roulette_store
from mgm_core.store.database import Database

log = logging.getLogger("mgm_core.scheduler")

SWEEP_INTERVAL = timedelta(hours=1)
DEDUPE_RETENTION = timedelta(hours=24)
MAX_SLEEP_SECONDS = 5.0


@dataclass
class TickReport:
    drawn: roulette.SpinCycle | None = None
    expired: list[Transition] = field(default_factory=list)


class RouletteScheduler:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        rng: random.Random,
        *,
        observe: Callable[[Transition], Awaitable[None]] | None = None,
        sweep_outbox: Callable[[], Awaitable[None]] | None = None,
        recover_outbox: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.rng = rng
        self.instance = uuid.uuid4().hex[:12]
        self._observe = observe
        self._sweep_outbox = sweep_outbox
        self._recover_outbox = recover_outbox
        self._next_sweep: datetime | None = None
        self._lock = asyncio.Lock()
        self.draws = 0  # cycles this instance drew (observability, and proof of single draws)

    async def tick(self) -> TickReport:
        """Do whatever is due at the clock's ``now``: create the cycle, draw, sweep."""
        async with self._lock:
            now = self.clock.now()
            start = roulette.cycle_start(now)
            report = TickReport()
            async with self.database.transaction() as conn:
                # Fold new enrollments into dense slots unless another replica is at it.
                size = await pool.try_lock(conn)
                if size is not None:
                    await pool.assign_slots(conn, size)
            async with self.database.transaction() as conn:
                if await pool.participants(conn) > 0:
                    await roulette_store.ensure_cycle(conn, start)
            if now >= roulette.draw_at(start):
                async with self.database.transaction() as conn:
                    report.drawn = await roulette_store.draw(conn, start, now, self.rng, self.instance)
                if report.drawn is not None:
                    self.draws += 1
                    log.info(
                        "spin drawn",
                        extra={
                            "spin_cycle_id": str(report.drawn.id),
                            "cycle_start": start.isoformat(),
                            "has_candidate": report.drawn.has_candidate,
                            "instance": self.instance,
                        },
                    )
            if self._next_sweep is None or now >= self._next_sweep:
                report.expired = await self.sweep(now)
                self._next_sweep = now + SWEEP_INTERVAL
            elif self._recover_outbox is not None:
                # Expired outbox leases are looked at every tick (at least every 5 min), not hourly.
                await self._recover_outbox()
            return report

    async def reset(self, erase: Callable[[], Awaitable[None]]) -> None:
        """Run ``erase`` between ticks and forget when the next sweep is due (development reset).

        After a reset the clock may be set back; the next tick then sweeps at once.
        """
        async with self._lock:
            await erase()
            self._next_sweep = None

    async def sweep(self, now: datetime) -> list[Transition]:
        """Expire Pending/InProgress payouts older than 24 h, forget old chat ids,
        and deliver outbox rows nobody claimed."""
        expired = await payouts.expire_stale(self.database, now - EXPIRY_AGE, now)
        async with self.database.transaction() as conn:
            await conn.execute("DELETE FROM chat_deliveries_seen WHERE seen_at < $1", now - DEDUPE_RETENTION)
        for transition in expired:
            log.info(
                "payout expired",
                extra={"payout_id": str(transition.payout.id), "from": transition.old_status.value},
            )
            if self._observe is not None:
                await self._observe(transition)
        if self._sweep_outbox is not None:
            await self._sweep_outbox()
        return expired

    def _seconds_until_due(self) -> float:
        now = self.clock.now()
        start = roulette.cycle_start(now)
        candidates = [roulette.next_boundary(now)]
        if now < roulette.draw_at(start):
            candidates.append(roulette.draw_at(start))
        if self._next_sweep is not None:
            candidates.append(self._next_sweep)
        due = min(candidates) - now
        return max(0.01, min(due.total_seconds(), MAX_SLEEP_SECONDS))

    async def run(self) -> None:
        """Tick until cancelled; wake early whenever the clock is moved by hand."""
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        unsubscribe = self.clock.subscribe(lambda _now: loop.call_soon_threadsafe(wake.set))
        try:
            while True:
                try:
                    await self.tick()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("scheduler tick failed; retrying")
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self._seconds_until_due())
        finally:
            unsubscribe()
