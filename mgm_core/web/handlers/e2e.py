"""Development-only routes: the seed's harness, the virtual clock, reset and settings (404 elsewhere)."""

from __future__ import annotations

import logging
import math
import re
from datetime import UTC, datetime, timedelta

from aiohttp import web

from mgm_core.clock import VirtualClock
from mgm_core.config import Config, ConfigError, RateLimit
from mgm_core.domain import roulette
from mgm_core.domain.roulette import WhoReport
from mgm_core.errors import ErrorCode, Refusal
from mgm_core.store import pool
from mgm_core.store import reset as reset_store
from mgm_core.store import roulette as roulette_store
from mgm_core.store.verification import verify_candidate
from mgm_core.web import keys
from mgm_core.web.access import Access, access
from mgm_core.web.wire import Body, invalid, iso, json_response, read_body, whole_number

HARNESS_DEADLINE = timedelta(hours=1)
MAX_ADVANCE = timedelta(days=366)
# Virtual time stays where dates, tokens and rate windows are all representable.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

log = logging.getLogger("mgm_core.e2e")

# POST /api/e2e/config: the settings a scenario may change on a running development EBS.
MAX_RATE_REQUESTS = 1_000_000
MAX_RATE_WINDOW_SECONDS = 86_400
EVENTSUB_SECRET_LENGTH = (10, 100)  # Twitch's rule; empty = signatures are not checked
MAX_HELIX_VALUE_LENGTH = 256
PRINTABLE_ASCII = r"^[\x20-\x7e]*$"  # the EventSub secret (Twitch: ASCII)
HEADER_SAFE = r"^[\x21-\x7e]*$"  # sent in Helix URLs and headers: no space, no control character
# body field -> Config field, for the flat string settings (empty = not configured)
HELIX_FIELDS = {
    "broadcasterId": "broadcaster_id",
    "broadcasterToken": "broadcaster_token",
    "helixClientId": "helix_client_id",
}
SETTING_FIELDS = ("rateLimit", "devSkipSubscriberCheck", "eventsubSecret", *HELIX_FIELDS)


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
    """Erase the pool, cycles, payouts and rate-limit windows, and put back the start-up settings.

    The EBS as freshly started on a freshly migrated database.
    For test platforms that run scenarios one at a time against one shared
    development EBS (``pytest --mgm-profile stack``).
    """
    database = request.app[keys.DATABASE]

    async def erase() -> None:
        async with database.transaction() as conn:
            await reset_store.erase_all(conn)

    await request.app[keys.SCHEDULER].reset(erase)
    startup = request.app[keys.SETTINGS].restore()
    request.app[keys.EXTENSION_LIMITER].rebudget(startup.rate_limit)
    request.app[keys.EXTENSION_LIMITER].forget()
    request.app[keys.DESKTOP_LIMITER].forget()
    return json_response({"reset": True, "serverNow": iso(request.app[keys.CLOCK].now())})


@access(Access.HARNESS)
async def configure(request: web.Request) -> web.Response:
    """Change settings of the running EBS from the next request on; ``POST /api/e2e/reset`` undoes it.

    For scenarios that set their own Extension rate limit, subscriber bypass,
    EventSub secret or Helix credentials on a shared development EBS. Every field
    is optional; the body is checked whole before anything changes. Secrets are
    never echoed nor logged: the answer says whether each one is set.
    """
    body = await read_body(request)
    changes = _setting_changes(body)
    settings = request.app[keys.SETTINGS]
    try:
        config = settings.apply(settings.current.with_overrides(**changes))
    except ConfigError as refused:  # a rule of Config.validate the checks above do not cover
        raise invalid(None, str(refused)) from None
    request.app[keys.EXTENSION_LIMITER].rebudget(config.rate_limit)
    if changes:
        log.info("development settings changed", extra={"settings": sorted(changes)})
    return json_response(_settings_view(config))


def _setting_changes(body: Body) -> dict[str, object]:
    """The Config fields the body sets, validated (``400 invalid_payload`` naming the field)."""
    known = {name.lower() for name in SETTING_FIELDS}
    unknown = sorted(name for name in body.names() if name.lower() not in known)
    if unknown:
        raise invalid(
            unknown[0],
            f"{unknown[0]} is not a setting this route changes; it changes {', '.join(SETTING_FIELDS)}",
        )
    changes: dict[str, object] = {}
    if body.has("rateLimit"):
        changes["rate_limit"] = _rate_limit(body.raw("rateLimit"))
    if body.has("devSkipSubscriberCheck"):
        changes["dev_skip_subscriber_check"] = body.boolean("devSkipSubscriberCheck")
    if body.has("eventsubSecret"):
        secret = _setting_text(body, "eventsubSecret", EVENTSUB_SECRET_LENGTH[1], PRINTABLE_ASCII)
        if secret and not EVENTSUB_SECRET_LENGTH[0] <= len(secret):
            low, high = EVENTSUB_SECRET_LENGTH
            raise invalid("eventsubSecret", f"eventsubSecret must be empty or {low} to {high} characters")
        changes["eventsub_secret"] = secret
    for name, field in HELIX_FIELDS.items():
        if body.has(name):
            changes[field] = _setting_text(body, name, MAX_HELIX_VALUE_LENGTH, HEADER_SAFE)
    return changes


def _setting_text(body: Body, name: str, max_length: int, pattern: str) -> str:
    value = body.raw(name)
    if not isinstance(value, str):
        raise invalid(name, f"{name} must be a string (empty: not configured)")
    if len(value) > max_length:
        raise invalid(name, f"{name} must be at most {max_length} characters")
    if not re.fullmatch(pattern, value):
        allowed = "printable ASCII" if pattern == PRINTABLE_ASCII else "printable ASCII without spaces"
        raise invalid(name, f"{name} must be {allowed}")
    return value


def _rate_limit(value: object) -> RateLimit:
    if not isinstance(value, dict):
        raise invalid("rateLimit", "rateLimit must be an object {requests, windowSeconds}")
    limit = Body(value)
    extra = sorted(name for name in limit.names() if name.lower() not in {"requests", "windowseconds"})
    if extra:
        raise invalid(f"rateLimit.{extra[0]}", "rateLimit has only requests and windowSeconds")
    bounds = {"requests": MAX_RATE_REQUESTS, "windowSeconds": MAX_RATE_WINDOW_SECONDS}
    numbers: dict[str, int] = {}
    for name, highest in bounds.items():
        number = whole_number(limit.raw(name))
        if number is None or not 1 <= number <= highest:
            raise invalid(f"rateLimit.{name}", f"rateLimit.{name} must be a whole number from 1 to {highest}")
        numbers[name] = number
    return RateLimit(numbers["requests"], numbers["windowSeconds"])


def _settings_view(config: Config) -> dict[str, object]:
    """The changeable settings now in force; secrets only as set or not."""
    return {
        "rateLimit": {
            "requests": config.rate_limit.requests,
            "windowSeconds": config.rate_limit.window_seconds,
        },
        "devSkipSubscriberCheck": config.dev_skip_subscriber_check,
        "eventsubSecretSet": bool(config.eventsub_secret),
        "broadcasterId": config.broadcaster_id,
        "broadcasterTokenSet": bool(config.broadcaster_token),
        "helixClientId": config.helix_client_id,
    }
