"""``POST /api/twitch/eventsub``: Twitch's webhook (decisions.md "EventSub").

Signature first; then the message type decides. Once the signature holds,
every business outcome answers 2xx so Twitch neither retries nor revokes.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from aiohttp import web

from mgm_core.domain.chat_command import parse_twgold
from mgm_core.domain.names import name_problem
from mgm_core.domain.pool import Viewer
from mgm_core.domain.text import storable
from mgm_core.plugins.context import (
    SubscriberCheckUnavailable,
    SubscriberQuery,
    SubscriberSource,
    SubscriberVerdict,
)
from mgm_core.security import eventsub
from mgm_core.store import enrollment
from mgm_core.store.enrollment import ChatDelivery, ChatOutcome
from mgm_core.web import keys
from mgm_core.web.access import Access, access
from mgm_core.web.subscribers import check_subscriber
from mgm_core.web.wire import require_json_content

log = logging.getLogger("mgm_core.eventsub")

CHAT_MESSAGE = "channel.chat.message"
NOT_A_COMMAND = "not a !twgold command"


def _text(value: object) -> str:
    """A field as text; anything PostgreSQL cannot store counts as missing (the delivery is ignored)."""
    if isinstance(value, str):
        return value.strip() if storable(value) else ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@access(Access.EVENTSUB)
async def eventsub_webhook(request: web.Request) -> web.Response:
    config = keys.config(request.app)
    now = request.app[keys.CLOCK].now()
    headers = request.headers
    raw = await request.read()
    delivery_id = headers.get(eventsub.HEADER_MESSAGE_ID)
    if delivery_id is not None and not storable(delivery_id):
        delivery_id = None  # header bytes that are not text: no id (signed deliveries then fail)
    timestamp = headers.get(eventsub.HEADER_TIMESTAMP)
    if config.eventsub_secret:
        eventsub.verify_signature(
            config.eventsub_secret, delivery_id, timestamp, raw, headers.get(eventsub.HEADER_SIGNATURE)
        )
        eventsub.check_freshness(timestamp, now)
    elif timestamp:
        eventsub.check_freshness(timestamp, now)
    if raw.strip():
        require_json_content(request)

    try:
        payload = json.loads(raw) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        log.warning("eventsub body is not JSON; ignored", extra={"delivery_id": delivery_id})
        return web.Response(status=204)
    payload = _object(payload)
    message_type = (headers.get(eventsub.HEADER_MESSAGE_TYPE) or "").strip().lower()

    if message_type == "webhook_callback_verification" or (not message_type and "challenge" in payload):
        challenge = payload.get("challenge")
        if not isinstance(challenge, str):
            log.warning("verification without a challenge string; ignored")
            return web.Response(status=204)
        log.info("eventsub verification answered", extra={"subscription_type": _subscription_type(payload)})
        return web.Response(text=challenge, content_type="text/plain")

    subscription = _object(payload.get("subscription"))
    if message_type == "revocation":
        await enrollment.record_revocation(
            request.app[keys.DATABASE],
            _text(subscription.get("id")) or None,
            _text(subscription.get("type")) or None,
            _text(subscription.get("status")) or None,
            now,
        )
        log.warning(
            "eventsub subscription revoked",
            extra={
                "subscription_type": _text(subscription.get("type")),
                "status": _text(subscription.get("status")),
            },
        )
        return web.Response(status=204)

    event = payload.get("event")
    if not subscription or not isinstance(event, dict):
        log.info(
            "eventsub payload without subscription or event; ignored", extra={"delivery_id": delivery_id}
        )
        return web.Response(status=204)
    if _subscription_type(payload) != CHAT_MESSAGE:
        log.info(
            "eventsub type not handled; ignored", extra={"subscription_type": _subscription_type(payload)}
        )
        return web.Response(status=204)

    await _handle_chat_message(
        request, ChatDelivery(delivery_id or None, _text(event.get("message_id")) or None), event
    )
    return web.Response(status=204)


def _subscription_type(payload: dict[str, Any]) -> str:
    return _text(_object(payload.get("subscription")).get("type"))


async def _handle_chat_message(request: web.Request, delivery: ChatDelivery, event: dict[str, Any]) -> None:
    database = request.app[keys.DATABASE]
    now = request.app[keys.CLOCK].now()
    chatter_id = _text(event.get("chatter_user_id"))
    display = _text(event.get("chatter_user_name")) or _text(event.get("chatter_user_login")) or chatter_id
    text = _object(event.get("message")).get("text")
    listed = event.get("badges")
    badges = (
        [_text(b.get("set_id")) for b in listed if isinstance(b, dict)] if isinstance(listed, list) else []
    )
    context = {
        "delivery_id": delivery.delivery_id,
        "message_id": delivery.message_id,
        "chatter_id": chatter_id,
    }

    reason: str | None = None
    raw_name = parse_twgold(text)
    if not delivery.message_id or not chatter_id:
        reason = "message_id or chatter_user_id missing"
    elif raw_name is None:
        reason = NOT_A_COMMAND
    elif (
        verdict := await check_subscriber(
            request.app,
            SubscriberQuery(
                chatter_id,
                display,
                SubscriberSource.CHAT,
                tuple(badges),
                _text(event.get("broadcaster_user_id")),
            ),
        )
    ) is not SubscriberVerdict.ALLOW:
        reason = (
            f"subscriber_check_unavailable: {verdict.reason}"
            if isinstance(verdict, SubscriberCheckUnavailable)
            else "not_subscriber"
        )
    elif (problem := name_problem(raw_name)) is not None:
        reason = f"invalid_character_name: {problem}"
    if reason is not None or raw_name is None:
        fresh = await enrollment.remember_chat_delivery(database, delivery, now)
        outcome = ChatOutcome.IGNORED if fresh else ChatOutcome.REPLAY
        # A chat line that is no command (most of a channel's chat) or a replay: DEBUG and the tally.
        quiet = outcome is ChatOutcome.REPLAY or reason == NOT_A_COMMAND
        _record(request, outcome, now, context, reason, quiet=quiet)
        return
    outcome, why = await enrollment.enroll_from_chat(
        database, delivery, Viewer(chatter_id, display), raw_name.strip(), now
    )
    _record(request, outcome, now, context, why, quiet=outcome is not ChatOutcome.REFUSED)


def _record(
    request: web.Request,
    outcome: ChatOutcome,
    now: datetime,
    context: dict[str, str | None],
    reason: str | None,
    *,
    quiet: bool,
) -> None:
    """Count the outcome; log it at INFO when an operator needs the line, else at DEBUG."""
    request.app[keys.CHAT_TALLY].count(outcome.value, now)
    level = logging.DEBUG if quiet else logging.INFO
    if log.isEnabledFor(level):
        log.log(level, "chat enrollment %s", outcome.value, extra={**context, "reason": reason})
