"""MockHelixApi (port 9053): Twitch Helix's Send Chat Message and subscription checks, scriptable.

Seed routes (ebs-contract.md §9): ``GET /health``, ``GET /last-request`` and
``POST /helix/chat/messages``. The chat route answers like real Helix
(twitch-api.md): 200 ``{"data":[{"message_id","is_sent":true,"drop_reason":null}]}``
where the seed answered 204 (the seed's scripts accept both), with Helix's
400/422 validation and, in strict mode, 401 for a missing bearer token or
``Client-Id``.

Added: ``GET /helix/subscriptions`` (Get Broadcaster Subscriptions, what the
EBS calls) and ``GET /helix/subscriptions/user`` (Check User Subscription,
kept for the seed's tooling), both backed by a roster; a request journal,
a fault script and a reset, all under ``/api/mock/``. Every ``/helix/`` call,
refused ones included, is journaled; the health, last-request and admin routes
are not, so the journal shows exactly what the EBS sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

from mgm_core.clock import Clock, SystemClock
from mgm_core.errors import ErrorCode

from . import env
from .errors import Handler, MockError, invalid_payload, json_errors
from .helix_eventsub import EventSubRequestError, EventSubStore
from .helix_faults import DEFAULT_DROP_CODE, DEFAULT_DROP_MESSAGE, Fault, FaultError, FaultScript
from .helix_journal import JournaledRequest, JournalFilter, RequestJournal
from .helix_roster import PageError, RosterError, Subscriber, SubscriberRoster
from .json_body import items_of, read_json

SERVICE = "MockHelixApi"
MAX_MESSAGE_LENGTH = 500
DEFAULT_RATELIMIT_LIMIT = 800
RATELIMIT_WINDOW_SECONDS = 60
_NOT_JOURNALED = ("/health", "/last-request")
_DEFAULT_ERROR_MESSAGES = {
    401: "Invalid OAuth token",
    403: "The sender is not permitted to send chat messages to the broadcaster's chat room.",
    429: "Too Many Requests",
}
# A body cut off mid-object, for clients that must survive unparsable JSON.
_MALFORMED_BODY = b'{"data":[{"message_id":'


@dataclass(frozen=True)
class HelixMockSettings:
    """Authentication strictness and the rate-limit budget the mock reports."""

    strict_auth: bool = False
    expected_token: str = field(default="", repr=False)
    expected_client_id: str = ""
    ratelimit_limit: int = DEFAULT_RATELIMIT_LIMIT
    clock: Clock = field(default_factory=SystemClock, repr=False, compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> HelixMockSettings:
        """Read ``MGM_MOCK_HELIX_*`` variables and the seed's ``MockHelix__StrictAuth``."""
        e = os.environ if environ is None else environ
        return cls(
            strict_auth=env.flag(e, "MGM_MOCK_HELIX_STRICT_AUTH", "MockHelix:StrictAuth"),
            expected_token=env.text(e, "MGM_MOCK_HELIX_EXPECTED_TOKEN"),
            expected_client_id=env.text(e, "MGM_MOCK_HELIX_EXPECTED_CLIENT_ID"),
            ratelimit_limit=int(
                env.number(e, "MGM_MOCK_HELIX_RATELIMIT_LIMIT", default=DEFAULT_RATELIMIT_LIMIT)
            ),
            clock=env.clock(e, "MGM_MOCK_NOW"),
        )


@dataclass(frozen=True)
class CapturedChatMessage:
    """The seed's ``/last-request`` record."""

    body: Any
    authorization: str
    client_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "captured": True,
            "body": self.body,
            "authorizationHeader": self.authorization,
            "clientIdHeader": self.client_id,
        }


@dataclass
class RateWindow:
    """Helix's ``Ratelimit-*`` headers, reported over a fixed window (the mock never enforces them)."""

    limit: int
    started: int = 0
    used: int = 0

    def count(self, epoch: int) -> dict[str, str]:
        """Count one call at ``epoch`` seconds and return the headers for its answer."""
        if epoch >= self.started + RATELIMIT_WINDOW_SECONDS:
            self.started, self.used = epoch, 0
        self.used += 1
        return {
            "Ratelimit-Limit": str(self.limit),
            "Ratelimit-Remaining": str(max(self.limit - self.used, 0)),
            "Ratelimit-Reset": str(self.started + RATELIMIT_WINDOW_SECONDS),
        }


@dataclass
class HelixState:
    """Everything the Helix mock remembers; ``POST /api/mock/reset`` empties it."""

    journal: RequestJournal = field(default_factory=RequestJournal)
    faults: FaultScript = field(default_factory=FaultScript)
    roster: SubscriberRoster = field(default_factory=SubscriberRoster)
    eventsub: EventSubStore = field(default_factory=EventSubStore)
    last_chat_message: CapturedChatMessage | None = None

    def reset(self) -> None:
        self.journal.clear()
        self.faults.clear()
        self.roster.clear()
        self.eventsub.clear()
        self.last_chat_message = None


SETTINGS = web.AppKey("helix_settings", HelixMockSettings)
STATE = web.AppKey("helix_state", HelixState)
WINDOW = web.AppKey("helix_rate_window", RateWindow)
JOURNAL_ENTRY = web.RequestKey("helix_journal_entry", JournaledRequest)


def create_app(settings: HelixMockSettings) -> web.Application:
    """The MockHelixApi application."""
    app = web.Application(middlewares=[json_errors, journal_api_calls])
    app[SETTINGS] = settings
    app[STATE] = HelixState()
    app[WINDOW] = RateWindow(settings.ratelimit_limit)
    app.router.add_get("/health", health)
    app.router.add_get("/last-request", last_request)
    app.router.add_post("/helix/chat/messages", send_chat_message)
    app.router.add_get("/helix/subscriptions", get_broadcaster_subscriptions)
    app.router.add_get("/helix/subscriptions/user", check_user_subscription)
    app.router.add_post("/helix/eventsub/subscriptions", create_eventsub_subscription)
    app.router.add_get("/helix/eventsub/subscriptions", get_eventsub_subscriptions)
    app.router.add_delete("/helix/eventsub/subscriptions", delete_eventsub_subscription)
    app.router.add_route("*", "/helix/{tail:.*}", unknown_helix_route)
    app.router.add_get("/api/mock/requests", list_requests)
    app.router.add_get("/api/mock/requests/count", count_requests)
    app.router.add_post("/api/mock/reset", reset)
    app.router.add_get("/api/mock/faults", list_faults)
    app.router.add_post("/api/mock/faults", add_faults)
    app.router.add_delete("/api/mock/faults", clear_faults)
    app.router.add_get("/api/mock/subscribers", list_subscribers)
    app.router.add_put("/api/mock/subscribers", replace_subscribers)
    app.router.add_post("/api/mock/subscribers", add_subscribers)
    app.router.add_delete("/api/mock/subscribers", remove_subscribers)
    return app


def helix_error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """Helix's error body: ``{"error": <reason phrase>, "status": n, "message": "…"}``."""
    return web.json_response(
        {"error": HTTPStatus(status).phrase, "status": status, "message": message},
        status=status,
        headers=headers,
    )


def _is_api_call(path: str) -> bool:
    return path not in _NOT_JOURNALED and not path.startswith("/api/mock/")


@web.middleware
async def journal_api_calls(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Journal every Helix call before it is answered and add Helix's ``Ratelimit-*`` headers."""
    if not _is_api_call(request.path):
        return await handler(request)
    app = request.app
    now = app[SETTINGS].clock.now()
    entry = app[STATE].journal.record(request, await request.read(), now)
    request[JOURNAL_ENTRY] = entry
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        entry.status = exc.status
        raise
    except BaseException:
        entry.status = 500
        raise
    entry.status = None if entry.fault and entry.fault.get("reset") else response.status
    for name, value in app[WINDOW].count(int(now.timestamp())).items():
        response.headers.setdefault(name, value)
    return response


async def health(request: web.Request) -> web.Response:
    """Seed health answer."""
    return web.json_response({"status": "healthy", "component": SERVICE})


async def last_request(request: web.Request) -> web.Response:
    """Seed route: the last chat message that passed the auth check, or ``{"captured": false}``."""
    captured = request.app[STATE].last_chat_message
    return web.json_response(captured.to_json() if captured else {"captured": False})


def _auth_refusal(request: web.Request) -> web.Response | None:
    """Helix's 401 when strict mode or a configured expected token/client id is not satisfied."""
    settings = request.app[SETTINGS]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    client_id = request.headers.get("Client-Id", "").strip()
    if (settings.strict_auth or settings.expected_token) and not token:
        return helix_error(401, "OAuth token is missing")
    if settings.expected_token and token != settings.expected_token:
        return helix_error(401, "Invalid OAuth token")
    if (settings.strict_auth or settings.expected_client_id) and not client_id:
        return helix_error(401, "Client ID is missing")
    if settings.expected_client_id and client_id != settings.expected_client_id:
        return helix_error(401, "Client ID and OAuth token do not match")
    return None


def _abort_connection(request: web.Request) -> None:
    # Linger 0 makes close() send a TCP RST, which clients see as "connection reset by peer".
    sock = request.transport.get_extra_info("socket") if request.transport else None
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if request.transport is not None:
        request.transport.abort()


async def _scripted(request: web.Request) -> tuple[web.Response | None, Fault | None]:
    """Take the next matching fault: an answer that replaces the normal one, and the fault itself."""
    state = request.app[STATE]
    fault = state.faults.take(request.method, request.path)
    if fault is None:
        return None, None
    request[JOURNAL_ENTRY].fault = fault.to_json()
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)
    status = fault.status or 200
    if fault.reset:
        _abort_connection(request)
        return web.Response(status=500), fault  # never written: the connection is gone
    if fault.malformed:
        return web.Response(status=status, body=_MALFORMED_BODY, content_type="application/json"), fault
    if fault.empty:
        return web.Response(status=status, headers={"Content-Type": "application/json"}), fault
    if status == 429:
        epoch = int(request.app[SETTINGS].clock.now().timestamp())
        headers = {
            "Ratelimit-Limit": str(fault.ratelimit_limit or request.app[SETTINGS].ratelimit_limit),
            "Ratelimit-Remaining": "0",
            "Ratelimit-Reset": str(fault.ratelimit_reset if fault.ratelimit_reset is not None else epoch + 1),
        }
        return helix_error(429, fault.message or _DEFAULT_ERROR_MESSAGES[429], headers), fault
    if status >= 300:
        message = fault.message or _DEFAULT_ERROR_MESSAGES.get(status, HTTPStatus(status).phrase)
        return helix_error(status, message), fault
    return None, fault


def _required_param(value: Any, name: str) -> web.Response | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return helix_error(400, f'Missing required parameter "{name}"')
    if not isinstance(value, str):
        return helix_error(400, f'The parameter "{name}" was malformed')
    return None


async def send_chat_message(request: web.Request) -> web.Response:
    """``POST /helix/chat/messages`` as Helix answers it."""
    refusal = _auth_refusal(request)
    if refusal is not None:
        return refusal
    try:
        body = json.loads(await request.read())
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    if isinstance(body, dict):
        request.app[STATE].last_chat_message = CapturedChatMessage(
            body, request.headers.get("Authorization", ""), request.headers.get("Client-Id", "")
        )
    scripted, fault = await _scripted(request)
    if scripted is not None:
        return scripted
    if not isinstance(body, dict):
        return helix_error(400, "The request body must be a JSON object")
    for name in ("broadcaster_id", "sender_id", "message"):
        problem = _required_param(body.get(name), name)
        if problem is not None:
            return problem
    if len(body["message"]) > MAX_MESSAGE_LENGTH:
        return helix_error(422, f"The message is too large (more than {MAX_MESSAGE_LENGTH} characters)")
    status = fault.status if fault and fault.status else 200
    if status == 204:
        return web.Response(status=204)
    if fault and fault.is_sent is False:
        item: dict[str, Any] = {
            "message_id": "",
            "is_sent": False,
            "drop_reason": {
                "code": fault.drop_code or DEFAULT_DROP_CODE,
                "message": fault.drop_message or DEFAULT_DROP_MESSAGE,
            },
        }
    else:
        item = {"message_id": str(uuid.uuid4()), "is_sent": True, "drop_reason": None}
    return web.json_response({"data": [item]}, status=status)


async def get_broadcaster_subscriptions(request: web.Request) -> web.Response:
    """``GET /helix/subscriptions``: the roster as Get Broadcaster Subscriptions answers it.

    A viewer not in the roster is a 200 with an empty ``data`` (Twitch's answer:
    this endpoint has no 404). The mock cannot tell whose token it got, so it
    does not enforce "broadcaster_id must match the token's user".
    """
    scripted, fault = await _helix_preamble(request)
    if scripted is not None:
        return scripted
    broadcaster_id = request.query.get("broadcaster_id", "")
    problem = _required_param(broadcaster_id, "broadcaster_id")
    if problem is not None:
        return problem
    user_ids = [u.strip() for u in request.query.getall("user_id", []) if u.strip()]
    try:
        body = request.app[STATE].roster.broadcaster_subscriptions(
            broadcaster_id.strip(), user_ids, request.query.get("first"), request.query.get("after")
        )
    except PageError as exc:
        return helix_error(400, str(exc))
    status = fault.status if fault and fault.status else 200
    return web.json_response(body, status=status)


async def check_user_subscription(request: web.Request) -> web.Response:
    """``GET /helix/subscriptions/user``: 200 from the roster, 404 when not subscribed."""
    scripted, fault = await _helix_preamble(request)
    if scripted is not None:
        return scripted
    broadcaster_id = request.query.get("broadcaster_id", "")
    user_id = request.query.get("user_id", "")
    for name, value in (("broadcaster_id", broadcaster_id), ("user_id", user_id)):
        problem = _required_param(value, name)
        if problem is not None:
            return problem
    subscriber = request.app[STATE].roster.find(broadcaster_id.strip(), user_id.strip())
    if subscriber is None:
        return helix_error(404, "User has no subscription")
    status = fault.status if fault and fault.status else 200
    return web.json_response({"data": [subscriber.to_helix()]}, status=status)


async def _helix_preamble(request: web.Request) -> tuple[web.Response | None, Fault | None]:
    """Auth, then the next fault rule: an answer that replaces the normal one, or ``None``."""
    refusal = _auth_refusal(request)
    if refusal is not None:
        return refusal, None
    return await _scripted(request)


async def create_eventsub_subscription(request: web.Request) -> web.Response:
    """``POST /helix/eventsub/subscriptions``: 202 pending, 409 duplicate, 400 malformed."""
    scripted, fault = await _helix_preamble(request)
    if scripted is not None:
        return scripted
    try:
        body = json.loads(await request.read())
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    try:
        created = request.app[STATE].eventsub.create(body, request.app[SETTINGS].clock.now())
    except EventSubRequestError as exc:
        return helix_error(exc.status, str(exc))
    return web.json_response(created, status=fault.status if fault and fault.status else 202)


async def get_eventsub_subscriptions(request: web.Request) -> web.Response:
    """``GET /helix/eventsub/subscriptions``, filtered by ``status``, ``type`` or ``user_id``."""
    scripted, _fault = await _helix_preamble(request)
    if scripted is not None:
        return scripted
    query = request.query
    given = [name for name in ("status", "type", "user_id") if query.get(name)]
    if len(given) > 1:
        return helix_error(400, "Only one of status, type or user_id may be specified")
    listing = request.app[STATE].eventsub.listing(
        query.get("status") or None, query.get("type") or None, query.get("user_id") or None
    )
    return web.json_response(listing)


async def delete_eventsub_subscription(request: web.Request) -> web.Response:
    """``DELETE /helix/eventsub/subscriptions?id=``: 204, or 404 for an unknown id."""
    scripted, _fault = await _helix_preamble(request)
    if scripted is not None:
        return scripted
    subscription_id = request.query.get("id", "")
    problem = _required_param(subscription_id, "id")
    if problem is not None:
        return problem
    if not request.app[STATE].eventsub.delete(subscription_id.strip()):
        return helix_error(404, "subscription not found")
    return web.Response(status=204)


async def unknown_helix_route(request: web.Request) -> web.Response:
    """Helix's 404 for an endpoint the mock does not implement (journaled, so tests can see it)."""
    return helix_error(404, f"{request.method} {request.path} is not implemented by {SERVICE}")


def _journal_filter(query: Mapping[str, str]) -> JournalFilter:
    status: int | None = None
    if query.get("status"):
        try:
            status = int(query["status"])
        except ValueError as exc:
            raise invalid_payload("status must be a whole number", "status") from exc
    return JournalFilter(
        method=query.get("method") or None,
        path=query.get("path") or None,
        status=status,
        body_contains=query.get("bodyContains") or None,
    )


async def list_requests(request: web.Request) -> web.Response:
    """The journal, oldest first, filtered by ``method``, ``path``, ``status``, ``bodyContains``."""
    found = request.app[STATE].journal.find(_journal_filter(request.query))
    return web.json_response({"count": len(found), "requests": [e.to_json() for e in found]})


async def count_requests(request: web.Request) -> web.Response:
    """How many journaled requests match the same filters."""
    found = request.app[STATE].journal.find(_journal_filter(request.query))
    return web.json_response({"count": len(found)})


async def reset(request: web.Request) -> web.Response:
    """Empty the journal, the fault script, the roster and the last captured message."""
    request.app[STATE].reset()
    return web.json_response({"ok": True})


def _faults_json(script: FaultScript) -> web.Response:
    return web.json_response({"faults": [f.to_json() for f in script.pending()]})


async def list_faults(request: web.Request) -> web.Response:
    """The rules not yet used up, in the order they will apply."""
    return _faults_json(request.app[STATE].faults)


async def add_faults(request: web.Request) -> web.Response:
    """Append one rule, a list of rules, or ``{"faults": [...]}``."""
    try:
        faults = [Fault.parse(item) for item in items_of(await read_json(request), "faults")]
    except FaultError as exc:
        raise invalid_payload(str(exc), exc.field) from exc
    script = request.app[STATE].faults
    script.add(faults)
    return _faults_json(script)


async def clear_faults(request: web.Request) -> web.Response:
    """Drop every pending rule."""
    request.app[STATE].faults.clear()
    return _faults_json(request.app[STATE].faults)


def _roster_json(roster: SubscriberRoster) -> web.Response:
    return web.json_response({"subscribers": [s.to_json() for s in roster.all()]})


async def _subscribers_from(request: web.Request) -> list[Subscriber]:
    try:
        return [Subscriber.parse(item) for item in items_of(await read_json(request), "subscribers")]
    except RosterError as exc:
        raise invalid_payload(str(exc), exc.field) from exc


async def list_subscribers(request: web.Request) -> web.Response:
    """The roster."""
    return _roster_json(request.app[STATE].roster)


async def replace_subscribers(request: web.Request) -> web.Response:
    """Replace the whole roster."""
    roster = request.app[STATE].roster
    roster.replace(await _subscribers_from(request))
    return _roster_json(roster)


async def add_subscribers(request: web.Request) -> web.Response:
    """Add or update roster entries."""
    roster = request.app[STATE].roster
    roster.add(await _subscribers_from(request))
    return _roster_json(roster)


async def remove_subscribers(request: web.Request) -> web.Response:
    """Remove ``?broadcasterId=&userId=``, or empty the roster when neither is given."""
    roster = request.app[STATE].roster
    broadcaster_id = request.query.get("broadcasterId", "").strip()
    user_id = request.query.get("userId", "").strip()
    if not broadcaster_id and not user_id:
        roster.clear()
    elif not (broadcaster_id and user_id):
        raise invalid_payload("give both broadcasterId and userId, or neither to empty the roster")
    elif not roster.remove(broadcaster_id, user_id):
        raise MockError(404, ErrorCode.NOT_FOUND, "no such subscription in the roster")
    return _roster_json(roster)
