"""MockEventSubWebhook (port 9051): the seed's signed relay plus a Twitch EventSub message source.

Seed routes (ebs-contract.md §9), unchanged:

- ``GET /health``
- ``POST /api/twitch/eventsub``: check the HMAC like the EBS does (§3), then
  forward the raw body and the Twitch headers to ``{backend}/api/twitch/eventsub``
  and relay the EBS's answer.

Added routes build full Twitch messages (see :mod:`mgm_mocks.eventsub_payloads`),
sign them and deliver them to the backend or hand them back to the caller:
``POST /api/mock/chat-message``, ``/api/mock/verification``,
``/api/mock/revocation``, ``GET /api/mock/deliveries``, ``POST /api/mock/reset``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from mgm_core.clock import Clock, SystemClock
from mgm_core.errors import ErrorCode, Refusal
from mgm_core.security.eventsub import (
    HEADER_MESSAGE_ID,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    format_timestamp,
    verify_signature,
)

from . import env
from .errors import BACKEND_UNREACHABLE, MockError, error_response, invalid_payload, json_errors
from .eventsub_payloads import (
    CHAT_MESSAGE,
    CHAT_MESSAGE_VERSION,
    DEFAULT_CHANNEL,
    NOTIFICATION,
    REVOCATION,
    REVOCATION_STATUSES,
    SIGNATURE_MODES,
    TIMESTAMP_MODES,
    VERIFICATION,
    Channel,
    Delivery,
    Subscription,
    chat_message_event,
    notification_payload,
    resend,
    revocation_payload,
    sign,
    verification_payload,
)
from .json_body import (
    optional_bool,
    optional_choice,
    optional_str,
    read_json_object,
    required_str,
)
from .outbound import client_session_context

SERVICE = "MockEventSubWebhook"
DEFAULT_SECRET = "e2e-ci-eventsub-secret"
DEFAULT_BACKEND_URL = "http://127.0.0.1:8080"
EVENTSUB_PATH = "/api/twitch/eventsub"
_TWITCH_HEADER_PREFIX = "twitch-eventsub-"


@dataclass(frozen=True)
class EventSubMockSettings:
    """How the EventSub mock signs, whom it forwards to and which channel it speaks for."""

    backend_base_url: str = DEFAULT_BACKEND_URL
    secret: str = field(default=DEFAULT_SECRET, repr=False)
    channel: Channel = DEFAULT_CHANNEL
    bot_user_id: str = ""
    forward_timeout_seconds: float = 60.0
    clock: Clock = field(default_factory=SystemClock, repr=False, compare=False)

    @property
    def eventsub_url(self) -> str:
        """Where notifications are delivered: the EBS's EventSub callback."""
        return env.base_url(self.backend_base_url) + EVENTSUB_PATH

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EventSubMockSettings:
        """Read ``MGM_*`` variables and the seed's ``Backend__BaseUrl`` / ``Twitch__EventSubSecret``."""
        e = os.environ if environ is None else environ
        broadcaster_id = env.text(e, "MGM_BROADCASTER_ID", "Twitch:BroadcasterUserId")
        login = env.text(e, "MGM_MOCK_BROADCASTER_LOGIN") or (
            broadcaster_id.lower() if broadcaster_id else DEFAULT_CHANNEL.login
        )
        return cls(
            backend_base_url=env.base_url(
                env.text(e, "MGM_MOCK_BACKEND_URL", "Backend:BaseUrl", default=DEFAULT_BACKEND_URL)
                or DEFAULT_BACKEND_URL
            ),
            secret=env.text(e, "MGM_EVENTSUB_SECRET", "Twitch:EventSubSecret", default=DEFAULT_SECRET),
            channel=Channel(
                user_id=broadcaster_id or DEFAULT_CHANNEL.user_id,
                login=login,
                name=env.text(e, "MGM_MOCK_BROADCASTER_NAME")
                or (login if broadcaster_id else DEFAULT_CHANNEL.name),
            ),
            bot_user_id=env.text(e, "MGM_MOCK_BOT_USER_ID"),
            forward_timeout_seconds=env.number(e, "MGM_MOCK_FORWARD_TIMEOUT_SECONDS", default=60.0),
            clock=env.clock(e, "MGM_MOCK_NOW"),
        )


@dataclass
class SentDelivery:
    """A generated delivery and what became of it."""

    delivery: Delivery
    sent_at: str
    backend: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.delivery.describe(),
            "createdAt": self.sent_at,
            "delivered": self.backend is not None,
            "backend": self.backend,
        }


@dataclass
class DeliveryLog:
    """Every generated delivery, findable by Twitch message id or by chat ``message_id`` for replays."""

    entries: list[SentDelivery] = field(default_factory=list)
    first: dict[str, Delivery] = field(default_factory=dict)
    latest: dict[str, Delivery] = field(default_factory=dict)
    by_event_message_id: dict[str, str] = field(default_factory=dict)

    def add(self, entry: SentDelivery) -> None:
        self.entries.append(entry)
        delivery = entry.delivery
        self.first.setdefault(delivery.message_id, delivery)
        self.latest[delivery.message_id] = delivery
        event = delivery.payload().get("event")
        if isinstance(event, dict) and isinstance(event.get("message_id"), str):
            self.by_event_message_id[event["message_id"]] = delivery.message_id

    def find(self, message_id: str) -> tuple[Delivery, Delivery] | None:
        """The first and the newest delivery with this Twitch message id or chat message id."""
        twitch_id = message_id if message_id in self.latest else self.by_event_message_id.get(message_id)
        if twitch_id is None:
            return None
        return self.first[twitch_id], self.latest[twitch_id]

    def clear(self) -> None:
        self.entries.clear()
        self.first.clear()
        self.latest.clear()
        self.by_event_message_id.clear()


@dataclass(frozen=True)
class ChatSubscriptionIdentity:
    """The mock's one chat subscription: a stable id and creation time, like a real one."""

    id: str
    created_at: str


SETTINGS = web.AppKey("eventsub_settings", EventSubMockSettings)
DELIVERIES = web.AppKey("eventsub_deliveries", DeliveryLog)
SUBSCRIPTION = web.AppKey("eventsub_subscription", ChatSubscriptionIdentity)
HTTP = web.AppKey("eventsub_http", aiohttp.ClientSession)


def create_app(settings: EventSubMockSettings) -> web.Application:
    """The MockEventSubWebhook application."""
    app = web.Application(middlewares=[json_errors])
    app[SETTINGS] = settings
    app[DELIVERIES] = DeliveryLog()
    app[SUBSCRIPTION] = ChatSubscriptionIdentity(str(uuid.uuid4()), format_timestamp(settings.clock.now()))
    app.cleanup_ctx.append(client_session_context(HTTP, settings.forward_timeout_seconds))
    app.router.add_get("/health", health)
    app.router.add_post(EVENTSUB_PATH, relay)
    app.router.add_post("/api/mock/chat-message", chat_message)
    app.router.add_post("/api/mock/verification", verification)
    app.router.add_post("/api/mock/revocation", revocation)
    app.router.add_get("/api/mock/deliveries", deliveries)
    app.router.add_post("/api/mock/reset", reset)
    return app


async def health(request: web.Request) -> web.Response:
    """Seed health answer."""
    return web.json_response({"status": "ok", "service": SERVICE})


async def relay(request: web.Request) -> web.Response:
    """Seed relay: verify like the EBS, forward raw body and Twitch headers, relay the answer."""
    settings = request.app[SETTINGS]
    body = await request.read()
    if settings.secret:
        try:
            verify_signature(
                settings.secret,
                request.headers.get(HEADER_MESSAGE_ID),
                request.headers.get(HEADER_TIMESTAMP),
                body,
                request.headers.get(HEADER_SIGNATURE),
            )
        except Refusal as refusal:
            # The seed answered 401 here (not the EBS's 403); keep the seed's status.
            return error_response(401, refusal.code, refusal.message)
    headers = {
        name: value
        for name, value in request.headers.items()
        if name.lower().startswith(_TWITCH_HEADER_PREFIX)
    }
    headers["Content-Type"] = "application/json"
    try:
        answer = await _post(request.app[HTTP], settings.eventsub_url, body, headers)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return error_response(
            500,
            BACKEND_UNREACHABLE,
            f"the backend did not answer: {exc!r}",
            {"url": settings.eventsub_url},
        )
    status, content_type, text = answer
    return web.Response(status=status, body=text, headers={"Content-Type": content_type})


async def _post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str, bytes]:
    async with session.post(url, data=body, headers=headers) as response:
        return (
            response.status,
            response.headers.get("Content-Type", "application/json"),
            await response.read(),
        )


def _subscription(
    request: web.Request, subscription_type: str, channel: Channel | None = None
) -> Subscription:
    settings = request.app[SETTINGS]
    identity = request.app[SUBSCRIPTION]
    channel = channel or settings.channel
    return Subscription(
        id=identity.id,
        type=subscription_type,
        version=CHAT_MESSAGE_VERSION,
        condition={
            "broadcaster_user_id": channel.user_id,
            "user_id": settings.bot_user_id or channel.user_id,
        },
        callback=settings.eventsub_url,
        created_at=identity.created_at,
    )


@dataclass(frozen=True)
class SendOptions:
    """The delivery options shared by every generator route."""

    secret: str
    signature_mode: str
    timestamp_mode: str
    timestamp: str | None
    eventsub_message_id: str | None
    replay_of: str | None
    deliver: bool


def _send_options(request: web.Request, body: dict[str, Any]) -> SendOptions:
    replay_of = optional_str(body, "replayOf")
    modes = (*TIMESTAMP_MODES, "original") if replay_of else TIMESTAMP_MODES
    secret = optional_str(body, "secret", allow_blank=True)
    return SendOptions(
        secret=request.app[SETTINGS].secret if secret is None else secret,
        signature_mode=optional_choice(body, "signatureMode", SIGNATURE_MODES, "valid"),
        timestamp_mode=optional_choice(body, "timestampMode", modes, "now"),
        timestamp=optional_str(body, "timestamp"),
        eventsub_message_id=optional_str(body, "eventsubMessageId"),
        replay_of=replay_of,
        deliver=optional_bool(body, "deliver", True),
    )


async def _generate(
    request: web.Request, options: SendOptions, message_type: str, payload: dict[str, Any] | None
) -> web.Response:
    """Sign ``payload`` (or resend ``replayOf``), deliver it if asked, log it and describe it."""
    settings = request.app[SETTINGS]
    log = request.app[DELIVERIES]
    now = settings.clock.now()
    if options.replay_of:
        found = log.find(options.replay_of)
        if found is None:
            raise MockError(
                404,
                ErrorCode.NOT_FOUND,
                f"no earlier delivery has message id {options.replay_of!r}",
                {"field": "replayOf"},
            )
        first, latest = found
        # "original" means the first send's timestamp, so the replay can be byte-for-byte that request.
        timestamp = options.timestamp
        if timestamp is None and options.timestamp_mode == "original":
            timestamp = first.timestamp
        delivery = resend(
            latest,
            secret=options.secret,
            now=now,
            timestamp_mode=options.timestamp_mode,
            timestamp=timestamp,
            signature_mode=options.signature_mode,
        )
    else:
        assert payload is not None
        delivery = sign(
            payload,
            secret=options.secret,
            message_type=message_type,
            now=now,
            message_id=options.eventsub_message_id,
            timestamp_mode=options.timestamp_mode,
            timestamp=options.timestamp,
            signature_mode=options.signature_mode,
        )
    backend: dict[str, Any] | None = None
    if options.deliver:
        try:
            status, content_type, text = await _post(
                request.app[HTTP], settings.eventsub_url, delivery.body, delivery.headers
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.add(SentDelivery(delivery, format_timestamp(now), None))
            raise MockError(
                502,
                BACKEND_UNREACHABLE,
                f"the backend did not answer: {exc!r}",
                {"url": settings.eventsub_url, "delivery": delivery.describe()},
            ) from exc
        backend = {
            "url": settings.eventsub_url,
            "status": status,
            "contentType": content_type,
            "body": text.decode(errors="replace"),
        }
    entry = SentDelivery(delivery, format_timestamp(now), backend)
    log.add(entry)
    return web.json_response(entry.to_json())


def _badges(body: dict[str, Any]) -> list[str | dict[str, str]]:
    given = body.get("badges")
    if given is None:
        return []
    if not isinstance(given, list):
        raise invalid_payload("badges must be a list of set ids or badge objects", "badges")
    badges: list[str | dict[str, str]] = []
    for item in given:
        if isinstance(item, str) and item.strip():
            badges.append(item.strip())
        elif isinstance(item, dict) and all(isinstance(v, str) for v in item.values()):
            badges.append(item)
        else:
            raise invalid_payload("each badge must be a set id or an object of strings", "badges")
    return badges


async def chat_message(request: web.Request) -> web.Response:
    """Build, sign and (by default) deliver a full ``channel.chat.message`` notification."""
    body = await read_json_object(request)
    options = _send_options(request, body)
    payload = None
    if not options.replay_of:
        settings = request.app[SETTINGS]
        channel = Channel(
            user_id=optional_str(body, "broadcasterUserId") or settings.channel.user_id,
            login=optional_str(body, "broadcasterLogin") or settings.channel.login,
            name=optional_str(body, "broadcasterName") or settings.channel.name,
        )
        subscription = _subscription(request, CHAT_MESSAGE, channel)
        event = chat_message_event(
            channel,
            chatter_user_id=required_str(body, "chatterUserId"),
            chatter_login=required_str(body, "chatterLogin"),
            chatter_name=optional_str(body, "chatterName"),
            text=required_str(body, "text", allow_blank=True),
            badges=_badges(body),
            message_id=optional_str(body, "messageId"),
            color=optional_str(body, "color", allow_blank=True) or "",
        )
        payload = notification_payload(subscription, event)
    return await _generate(request, options, NOTIFICATION, payload)


async def verification(request: web.Request) -> web.Response:
    """Build, sign and (by default) deliver a ``webhook_callback_verification`` challenge."""
    body = await read_json_object(request, required=False)
    options = _send_options(request, body)
    payload = None
    if not options.replay_of:
        subscription = _subscription(request, optional_str(body, "subscriptionType") or CHAT_MESSAGE)
        challenge = optional_str(body, "challenge") or f"mgm-challenge-{uuid.uuid4().hex}"
        payload = verification_payload(subscription, challenge)
    return await _generate(request, options, VERIFICATION, payload)


async def revocation(request: web.Request) -> web.Response:
    """Build, sign and (by default) deliver a ``revocation`` with one of Twitch's statuses."""
    body = await read_json_object(request, required=False)
    options = _send_options(request, body)
    payload = None
    if not options.replay_of:
        status = optional_choice(body, "status", REVOCATION_STATUSES, "authorization_revoked")
        subscription = _subscription(request, optional_str(body, "subscriptionType") or CHAT_MESSAGE)
        payload = revocation_payload(subscription, status)
    return await _generate(request, options, REVOCATION, payload)


async def deliveries(request: web.Request) -> web.Response:
    """Every generated delivery since start or the last reset, oldest first."""
    entries = request.app[DELIVERIES].entries
    return web.json_response({"count": len(entries), "deliveries": [e.to_json() for e in entries]})


async def reset(request: web.Request) -> web.Response:
    """Forget every generated delivery (replays of them are then 404)."""
    request.app[DELIVERIES].clear()
    return web.json_response({"ok": True})
