"""Development-only routes: the seed's harness and the virtual clock (404 elsewhere)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from aiohttp import web

from mgm_core.clock import VirtualClock
from mgm_core.domain import roulette
from mgm_core.domain.roulette import WhoReport
from mgm_core.errors import ErrorCode, Refusal
from mgm_core.store import pool
from mgm_core.store import reset as reset_store
from mgm_core.store import roulette as roulette_store
from mgm_core.store.verification import verify_candidate
from mgm_core.web import keys
from mgm_core.web.access import Access, access
from mgm_core.web.wire import invalid, iso, json_response, read_body

HARNESS_DEADLINE = timedelta(hours=1)
MAX_ADVANCE = timedelta(days=366)
# Virtual time stays where dates, tokens and rate windows are all representable.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


@access(Access.HARNESS)
async def prepare_pending_payout(request: web.Request) -> web.Response:
    """Make the viewer the current cycle's candidate and report them online (seed §6.6)."""
    body = await read_body(request)
    user_id = body.string("twitchUserId", max_length=128)
    database = request.app[keys.DATABASE]
    now = request.app[keys.CLOCK].now()
    async with database.transaction() as conn:
        await pool.lock(conn)
        entry = await pool.entry_of(conn, user_id)
        if entry is None:
            raise Refusal(
                ErrorCode.INVALID_PAYLOAD,
                "Viewer is not in the pool; run enrollment first.",
                {"field": "twitchUserId"},
            )
        cycle = await roulette_store.force_candidate(
            conn, roulette.cycle_start(now), entry, now, now + HARNESS_DEADLINE
        )
    result = await verify_candidate(database, WhoReport(1, cycle.id, entry.character_name, True), now)
    assert result.payout is not None  # a forced, open cycle always yields the payout
    return json_response({"payoutId": str(result.payout.id), "characterName": result.payout.character_name})


@access(Access.DEV_CLOCK)
async def move_clock(request: web.Request) -> web.Response:
    """Move the virtual clock, then let the scheduler act on the new time before answering."""
    clock = request.app[keys.CLOCK]
    if not isinstance(clock, VirtualClock):
        raise Refusal(ErrorCode.NOT_FOUND, "no such route")
    body = await read_body(request)
    if body.has("advanceSeconds") == body.has("setUtc"):
        raise invalid(None, "give exactly one of advanceSeconds or setUtc")
    if body.has("advanceSeconds"):
        seconds = body.raw("advanceSeconds")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not math.isfinite(seconds)
            or seconds < 0
        ):
            raise invalid("advanceSeconds", "advanceSeconds must be a number of seconds, 0 or more")
        if seconds > MAX_ADVANCE.total_seconds():
            raise invalid("advanceSeconds", "advanceSeconds may move at most a year at once")
        target, field = clock.now() + timedelta(seconds=float(seconds)), "advanceSeconds"
    else:
        target, field = body.instant("setUtc"), "setUtc"
    if not EARLIEST <= target < LATEST:
        raise invalid(field, f"virtual time must stay between {iso(EARLIEST)} and {iso(LATEST)}")
    now = clock.set(target)
    report = await request.app[keys.SCHEDULER].tick()
    return json_response(
        {
            "serverNow": iso(now),
            "drawnSpinCycleId": str(report.drawn.id) if report.drawn else None,
            "expiredPayoutIds": [str(t.payout.id) for t in report.expired],
        }
    )


@access(Access.HARNESS)
async def reset(request: web.Request) -> web.Response:
    """Erase the pool, cycles, payouts and rate-limit windows: the EBS as freshly migrated.

    For test platforms that run scenarios one at a time against one shared
    development EBS (``pytest --mgm-profile stack``).
    """
    database = request.app[keys.DATABASE]

    async def erase() -> None:
        async with database.transaction() as conn:
            await reset_store.erase_all(conn)

    await request.app[keys.SCHEDULER].reset(erase)
    request.app[keys.EXTENSION_LIMITER].forget()
    request.app[keys.DESKTOP_LIMITER].forget()
    return json_response({"reset": True, "serverNow": iso(request.app[keys.CLOCK].now())})
