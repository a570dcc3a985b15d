"""Roulette routes: state (Extension), candidate and verify-candidate (Desktop)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from mgm_core.domain import roulette
from mgm_core.domain.names import character_name
from mgm_core.domain.roulette import SpinCycle, SpinPhase, WhoReport
from mgm_core.errors import ErrorCode, Refusal
from mgm_core.store import pool
from mgm_core.store import roulette as roulette_store
from mgm_core.store.verification import verify_candidate as verify_in_store
from mgm_core.web import keys
from mgm_core.web.access import Access, access
from mgm_core.web.dto import payout_dto
from mgm_core.web.wire import invalid, iso, json_response, read_body

SCHEMA_VERSION = 1


def _phase(now: datetime, cycle: SpinCycle | None, pool_size: int) -> SpinPhase:
    start = roulette.cycle_start(now)
    if cycle is not None and cycle.cycle_start < start:
        return SpinPhase.VERIFICATION  # a previous cycle inside its 30 s grace
    view = roulette.CycleView(
        start=start,
        pool_size=pool_size,
        has_candidate=bool(cycle and cycle.has_candidate),
        drawn=bool(cycle and cycle.drawn_at is not None),
        consumed=bool(cycle and cycle.consumed),
    )
    return roulette.phase_of(now, view)


@access(Access.EXTENSION)
async def state(request: web.Request) -> web.Response:
    now = request.app[keys.CLOCK].now()
    start = roulette.cycle_start(now)
    database = request.app[keys.DATABASE]
    # One round trip, shared with the requests that arrived while the last one ran.
    pool_size, cycle = await request.app[keys.STATE_READS].read(start)
    if cycle is None and pool_size > 0:  # once per cycle: create it so its id can be shown
        async with database.transaction() as conn:
            cycle = await roulette_store.ensure_cycle(conn, start)
    phase = _phase(now, cycle, pool_size)
    return json_response(
        {
            "nextSpinAt": iso(roulette.next_boundary(now)),
            "serverNow": iso(now),
            "spinIntervalSeconds": int(roulette.SPIN_INTERVAL.total_seconds()),
            "poolParticipantCount": pool_size,
            "spinPhase": phase.value,
            "currentSpinCycleId": str(cycle.id) if cycle and phase is not SpinPhase.IDLE else None,
        }
    )


@access(Access.DESKTOP)
async def candidate(request: web.Request) -> web.Response:
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DATABASE].connection() as conn:
        cycle = await roulette_store.waiting_candidate(conn, now)
        pool_size = await pool.participants(conn)
    if cycle is None:
        raise Refusal(ErrorCode.NOT_FOUND, "no candidate is waiting for a /who report")
    return json_response(
        {
            "spinCycleId": str(cycle.id),
            "characterName": cycle.candidate_character_name,
            "selectedAt": iso(cycle.drawn_at),
            "verificationDeadline": iso(cycle.verification_deadline),
            "spinPhase": _phase(now, cycle, pool_size).value,
        }
    )


@access(Access.DESKTOP)
async def verify_candidate(request: web.Request) -> web.Response:
    body = await read_body(request)
    version = body.integer("schemaVersion")
    if version != SCHEMA_VERSION:
        raise invalid("schemaVersion", f"schemaVersion must be {SCHEMA_VERSION}; got {version}")
    name = character_name(body.text("characterName", max_length=256))
    report = WhoReport(version, body.uuid("spinCycleId"), name, body.boolean("online"))
    if body.has("capturedAt") and body.raw("capturedAt") is not None:
        body.instant("capturedAt")  # must be readable when given; not otherwise checked
    result = await verify_in_store(request.app[keys.DATABASE], report, request.app[keys.CLOCK].now())
    return json_response(
        {
            "spinCycleId": str(report.spin_cycle_id),
            "outcome": result.verdict.value,
            "payout": payout_dto(result.payout) if result.payout else None,
        }
    )
