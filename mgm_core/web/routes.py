"""Every route of the EBS, in one table that also feeds ``/openapi.json``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from aiohttp import web

from mgm_core.config import Config
from mgm_core.web.access import Access, Handler, access_of
from mgm_core.web.handlers import e2e, eventsub, payouts, pool, roulette, service


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    request: str | None = None  # component schema name of the JSON body
    request_required: bool = True  # False: an empty body is read as {} (EventSub)
    responses: dict[int, str | None] = field(default_factory=dict)  # status -> schema name (None: no body)
    errors: tuple[int, ...] = ()
    # status -> what it means on this route, when more than the status's name
    notes: dict[int, str] = field(default_factory=dict)

    @property
    def access(self) -> str:
        return access_of(self.handler).value


ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/",
        service.root,
        "Service name and version (probed by the seed CI)",
        "service",
        responses={200: "ServiceInfo"},
    ),
    Route("GET", "/health", service.health, "Liveness", "service", responses={200: "Health"}),
    Route(
        "GET",
        "/health/ready",
        service.ready,
        "Readiness: 200 only when the database answers",
        "service",
        responses={200: "Health"},
        errors=(503,),
    ),
    Route(
        "GET",
        "/api/version",
        service.version,
        "Versions and minimum client versions",
        "service",
        responses={200: "VersionInfo"},
    ),
    Route(
        "GET",
        "/openapi.json",
        service.openapi,
        "This OpenAPI document",
        "service",
        responses={200: "OpenApiDocument"},
    ),
    Route(
        "POST",
        "/api/twitch/eventsub",
        eventsub.eventsub_webhook,
        "Twitch EventSub webhook: verification, channel.chat.message notifications, revocations",
        "twitch",
        request="EventSubPayload",
        request_required=False,
        responses={200: "Challenge", 204: None},
        errors=(403, 413, 415),
    ),
    Route(
        "GET",
        "/api/pool/me",
        pool.pool_me,
        "The caller's pool entry",
        "extension",
        responses={200: "PoolMe"},
        errors=(401, 429),
    ),
    Route(
        "POST",
        "/api/payouts/claim",
        pool.claim,
        "Join the pool through the Extension (idempotent)",
        "extension",
        request="ClaimRequest",
        responses={200: "PoolEnrollment", 201: "PoolEnrollment"},
        errors=(400, 401, 403, 409, 413, 415, 429),
        notes={
            403: "not_subscriber: the subscriber check says the viewer does not subscribe",
            503: (
                "service_unavailable: the database is unreachable; or subscriber_check_unavailable:"
                " whether the viewer subscribes cannot be checked now (Twitch refused, rate-limited,"
                " failed or unreachable; details.reason names which); retry after Retry-After seconds"
            ),
        },
    ),
    Route(
        "GET",
        "/api/roulette/state",
        roulette.state,
        "The roulette schedule and phase",
        "extension",
        responses={200: "RouletteState"},
        errors=(401, 429),
    ),
    Route(
        "GET",
        "/api/roulette/candidate",
        roulette.candidate,
        "The drawn candidate awaiting a /who report",
        "desktop",
        responses={200: "Candidate"},
        errors=(401, 403, 404, 429),
    ),
    Route(
        "POST",
        "/api/roulette/verify-candidate",
        roulette.verify_candidate,
        "Report the candidate's /who result: online creates the Pending payout",
        "desktop",
        request="VerifyCandidateRequest",
        responses={200: "VerifyCandidateResult"},
        errors=(400, 401, 403, 409, 413, 415, 429),
    ),
    Route(
        "GET",
        "/api/payouts/pending",
        payouts.pending,
        "Pending payouts, oldest first",
        "desktop",
        responses={200: "PayoutList"},
        errors=(401, 403, 429),
    ),
    Route(
        "GET",
        "/api/payouts/my-last",
        payouts.my_last,
        "The caller's most recent payout",
        "extension",
        responses={200: "PayoutDto"},
        errors=(401, 404, 429),
    ),
    Route(
        "GET",
        "/api/payouts/{id}",
        payouts.get_payout,
        "One payout",
        "desktop",
        responses={200: "PayoutDetail"},
        errors=(401, 403, 404, 429),
    ),
    Route(
        "GET",
        "/api/payouts/{id}/events",
        payouts.events,
        "A payout's append-only event history",
        "desktop",
        responses={200: "PayoutEventList"},
        errors=(401, 403, 404, 429),
    ),
    Route(
        "PATCH",
        "/api/payouts/{id}/status",
        payouts.patch_status,
        "Move a payout along the transition table",
        "desktop",
        request="StatusChange",
        responses={200: "PayoutDto"},
        errors=(400, 401, 403, 404, 409, 413, 415, 429),
    ),
    Route(
        "POST",
        "/api/payouts/{id}/confirm-acceptance",
        payouts.confirm_acceptance,
        "Record the winner's in-game consent (idempotent)",
        "desktop",
        request="AcceptanceRequest",
        responses={200: "PayoutDetail"},
        errors=(400, 401, 403, 404, 409, 413, 415, 429),
    ),
    Route(
        "POST",
        "/api/e2e/prepare-pending-payout",
        e2e.prepare_pending_payout,
        "Development harness: force a Pending payout for a pooled viewer (404 unless enabled)",
        "development",
        request="HarnessRequest",
        responses={200: "HarnessResult"},
        errors=(400, 401, 403, 404, 409, 413, 415, 429),
    ),
    Route(
        "POST",
        "/api/e2e/clock",
        e2e.move_clock,
        "Development: move the virtual clock; the scheduler acts before the answer (404 unless enabled)",
        "development",
        request="ClockMove",
        responses={200: "ClockMoved"},
        errors=(400, 401, 403, 404, 413, 415, 429),
    ),
    Route(
        "POST",
        "/api/e2e/reset",
        e2e.reset,
        "Development harness: erase the pool, cycles, payouts and rate-limit windows, and put back the"
        " start-up settings (404 unless enabled)",
        "development",
        responses={200: "ResetDone"},
        errors=(401, 403, 404),
    ),
    Route(
        "POST",
        "/api/e2e/config",
        e2e.configure,
        "Development harness: change the Extension rate limit, subscriber bypass, EventSub secret or"
        " broadcaster's Helix credentials until the next reset (404 unless enabled)",
        "development",
        request="SettingsChange",
        responses={200: "SettingsInForce"},
        errors=(400, 401, 403, 404, 413, 415, 429),
    ),
)


def described_routes(config: Config) -> tuple[Route, ...]:
    """The routes ``/openapi.json`` lists: the development-only ones only where they are enabled."""
    enabled = {Access.HARNESS.value: config.harness_enabled, Access.DEV_CLOCK.value: config.virtual_clock}
    return tuple(r for r in ROUTES if enabled.get(r.access, True))


def allowed_methods(path: str) -> list[str]:
    """The methods the route table serves at ``path`` (lower-cased); a literal route beats a template.

    aiohttp's own ``Allow`` would merge ``POST /api/payouts/claim`` with the
    ``GET /api/payouts/{id}`` template that also matches it.
    """
    path = path.lower()
    methods = {r.method for r in ROUTES if r.path == path}
    if not methods:
        methods = {r.method for r in ROUTES if "{" in r.path and _template(r.path).fullmatch(path)}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def literal_methods(path: str) -> list[str]:
    """The methods of a route whose path is exactly ``path`` (lower-cased), HEAD with GET; else empty."""
    path = path.lower()
    methods = {r.method for r in ROUTES if r.path == path and "{" not in r.path}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _template(path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\{\w+\\}", "[^/]+", re.escape(path)))


def add_routes(app: web.Application) -> None:
    for route in ROUTES:
        if route.method == "GET":
            app.router.add_get(route.path, route.handler)  # HEAD too, for uptime probes
        else:
            app.router.add_route(route.method, route.path, route.handler)
