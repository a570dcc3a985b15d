"""Roulette routes: ``GET /api/roulette/state``."""

from __future__ import annotations

from aiohttp import web

from mgm_core.domain import roulette
from mgm_core.store import pool
from mgm_core.web import keys
from mgm_core.web.access import Access, access
from mgm_core.web.wire import iso, json_response


@access(Access.EXTENSION)
async def state(request: web.Request) -> web.Response:
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DATABASE].connection() as conn:
        pool_size = await pool.size(conn)
    cycle = roulette.CycleView(
        start=roulette.cycle_start(now), pool_size=pool_size, has_candidate=False, drawn=False, consumed=False
    )
    phase = roulette.phase_of(now, cycle)
    return json_response(
        {
            "nextSpinAt": iso(roulette.next_boundary(now)),
            "serverNow": iso(now),
            "spinIntervalSeconds": int(roulette.SPIN_INTERVAL.total_seconds()),
            "poolParticipantCount": pool_size,
            "spinPhase": phase.value,
            "currentSpinCycleId": None,
        }
    )
